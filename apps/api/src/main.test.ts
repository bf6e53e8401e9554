import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const dataRoot = mkdtempSync(join(tmpdir(), 'statuskit-start-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Starts `statuskit-api` like `npm start` does and waits for its URL line (or its exit). */
function start(dataDir: string, port: number, args: string[] = []): Promise<Started> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...env, PORT: String(port), STATUSKIT_DATA_DIR: dataDir, STATUSKIT_SCHEDULER: 'off' },
  });
  const s: Started = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  child.stdout?.on('data', (d) => {
    s.stdout += d;
  });
  child.stderr?.on('data', (d) => {
    s.stderr += d;
  });
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (s.stderr.includes('listening on') || child.exitCode !== null) {
        clearInterval(check);
        resolve(s);
      }
    }, 50);
    void s.exited.then(() => {
      clearInterval(check);
      resolve(s);
    });
  });
}

async function stop(s: Started) {
  s.child.kill('SIGTERM');
  return s.exited;
}

const port = () => 20_000 + Math.floor(Math.random() * 20_000);

describe('npm start (statuskit-api)', () => {
  it('prints the URL and a key a shell can paste, keeps the tenant across restarts, and guards the data directory', async () => {
    const dataDir = join(dataRoot, 'data');
    const p = port();
    const first = await start(dataDir, p);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toBe(`STATUSKIT_URL=http://127.0.0.1:${p}`);
    expect(lines[1]).toMatch(/^STATUSKIT_API_KEY=sk_[0-9a-f]{16}_\S{43}$/);
    const key = lines[1]?.split('=')[1] as string;
    const put = await fetch(`http://127.0.0.1:${p}/v1/accounts/acme/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Pro' }),
    });
    expect(put.status).toBe(200);

    const second = await start(dataDir, port());
    expect(await second.exited).toBe(1);
    expect(second.stderr).toMatch(/in use by process \d+/);

    expect(await stop(first)).toBe(0);

    const again = await start(dataDir, p);
    expect(again.stdout.trim()).toBe(`STATUSKIT_URL=http://127.0.0.1:${p}`);
    const get = await fetch(`http://127.0.0.1:${p}/v1/accounts/acme`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(((await get.json()) as { status: string }).status).toBe('Pro');
    expect(await stop(again)).toBe(0);

    const fresh = await start(dataDir, p, ['--new-key']);
    expect(fresh.stdout).toMatch(/STATUSKIT_API_KEY=sk_/);
    expect(fresh.stdout).not.toContain(key);
    expect(await stop(fresh)).toBe(0);
  }, 120_000);
});
