import { describe, expect, it } from 'vitest';
import { startProcess } from './processes.js';
import { scaled, timeoutScale } from './timeouts.js';

const node = process.execPath;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startProcess', () => {
  it('waits for a line, and stop() ends the whole process group, grandchildren included', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('ready ' + grandchild.pid);
      setInterval(() => {}, 1000);`;
    const p = startProcess(node, ['-e', script]);
    const [, pid] = await p.waitFor(/ready (\d+)/, { stream: 'stdout' });
    expect(alive(Number(pid))).toBe(true);
    expect(await p.stop()).toBeNull(); // ended by SIGTERM, not by an exit code
    await expect.poll(() => alive(Number(pid)), { timeout: scaled(5000) }).toBe(false);
  });

  it('fails a wait at once, with the output, when the process exits without printing what was awaited', async () => {
    const p = startProcess(node, ['-e', 'console.error("bad config"); process.exit(3)']);
    await expect(p.waitFor(/listening/)).rejects.toThrow(
      /exited \(3\) before \/listening\/[\s\S]*bad config/,
    );
    expect(await p.exited).toBe(3);
  });

  it('feeds stdin and keeps all output until the exit', async () => {
    const p = startProcess(node, ['-e', 'process.stdin.pipe(process.stdout)'], {
      input: 'a\n'.repeat(100_000),
    });
    expect(await p.exited).toBe(0);
    expect(p.stdout.length).toBe(200_000);
  });
});

describe('test time limits', () => {
  it('come from STATUSKIT_TEST_TIMEOUT_SCALE when set, else from CI and the load', () => {
    expect(scaled(1000, { STATUSKIT_TEST_TIMEOUT_SCALE: '2.5' })).toBe(2500);
    expect(timeoutScale({ CI: 'true' })).toBeGreaterThanOrEqual(4);
    expect(timeoutScale({})).toBeGreaterThanOrEqual(1);
    expect(timeoutScale({ CI: 'true' })).toBeLessThanOrEqual(20);
  });
});
