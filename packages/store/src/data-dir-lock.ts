import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started, as a string that differs between two processes that had the same pid one after
 * the other: the start time in clock ticks since boot from /proc on Linux, else `ps -o lstart=`. Undefined
 * when it cannot be told (no such process, or neither source available).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const starttime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (starttime) return `linux:${starttime}`;
  } catch {
    // not Linux, or no such process
  }
  if (process.platform === 'win32') return undefined;
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 });
  const text = ps.status === 0 ? ps.stdout.trim() : '';
  return text ? `ps:${text}` : undefined;
}

/**
 * Takes `<dataDir>.lock` for this process: PGlite allows one process per data directory. The lock names the
 * holder's pid, host and start time. A lock whose process no longer runs is taken over, and so is one whose
 * pid now belongs to another process (its start time differs: a pid reused after a crash or a restart of the
 * container); a live holder is refused. Returns the function that releases it.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir.replace(/\/+$/, '')}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const started = processStartTime(process.pid);
      writeSync(
        fd,
        JSON.stringify({
          pid: process.pid,
          host: hostname(),
          since: new Date().toISOString(),
          ...(started ? { started } : {}),
        }),
      );
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid?: number; host?: string; since?: string; started?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // unreadable or half-written: treat as stale
      }
      const sameHost = holder.host === undefined || holder.host === hostname();
      // A lock from before start times were recorded, or a start time that cannot be read now: the pid alone.
      const sameProcess = (pid: number) => {
        const started = processStartTime(pid);
        return holder.started === undefined || started === undefined || started === holder.started;
      };
      if (typeof holder.pid === 'number' && sameHost && alive(holder.pid) && sameProcess(holder.pid)) {
        throw new DataDirLockedError(
          `The data directory ${dataDir} is in use by process ${holder.pid} (since ${holder.since ?? 'unknown'}). ` +
            'PGlite allows one process per data directory: stop that process, or set STATUSKIT_DATA_DIR to another directory.',
        );
      }
      if (!sameHost) {
        throw new DataDirLockedError(
          `The data directory ${dataDir} is locked by host ${holder.host} (pid ${holder.pid}); remove ${path} if that host is gone.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}: another process keeps taking ${path}.`);
}
