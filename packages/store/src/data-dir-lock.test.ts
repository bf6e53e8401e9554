import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir, processStartTime } from './data-dir-lock.js';
import { openStore } from './open-store.js';
import { copyPGliteTemplate } from './testing.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'statuskit-lock-'));
  dirs.push(d);
  return join(d, 'data');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('data directory lock', () => {
  it('refuses a directory held by a live process, with a clear message', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${dir}.lock`, JSON.stringify({ pid: child.pid, since: 'now' }));
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill();
    }
  });

  it('takes over a lock whose pid now belongs to an unrelated process (a reused pid)', async () => {
    const dir = tempDir();
    const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const lock = {
        pid: unrelated.pid,
        host: hostname(),
        since: 'before a crash',
        started: 'an earlier process',
      };
      writeFileSync(`${dir}.lock`, JSON.stringify(lock));
      const release = lockDataDir(dir);
      expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
      release();
    } finally {
      unrelated.kill();
    }
  });

  it('refuses a lock whose pid is still the process that took it (same start time)', async () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const started = processStartTime(holder.pid as number);
      expect(started).toBeDefined();
      writeFileSync(
        `${dir}.lock`,
        JSON.stringify({ pid: holder.pid, host: hostname(), since: 'now', started }),
      );
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${holder.pid}`));
    } finally {
      holder.kill();
    }
  });

  it('writes its own start time into the lock, so a later start can tell it from a reused pid', () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({
      pid: process.pid,
      started: processStartTime(process.pid),
    });
    release();
  });

  it('takes over a lock left by a dead process and releases it', async () => {
    const dir = tempDir();
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, since: 'long ago' }));
    const release = lockDataDir(dir);
    expect(existsSync(`${dir}.lock`)).toBe(true);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('lets one store open a PGlite directory at a time, and keeps data across reopen', async () => {
    const dir = tempDir();
    await copyPGliteTemplate(dir);
    const first = await openStore({ dataDir: dir });
    try {
      await first.createTenant({ id: 'kept', name: 'Kept' });
      await expect(openStore({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await first.close();
    }
    const second = await openStore({ dataDir: dir });
    try {
      expect(await second.getTenant('kept')).toMatchObject({ name: 'Kept' });
    } finally {
      await second.close();
    }
  });
});
