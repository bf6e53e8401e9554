import { type ChildProcess, spawn } from 'node:child_process';
import { scaled } from './timeouts.js';

/** A child process started in a process group of its own, so stopping it stops everything it started. */
export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /**
   * Resolves with the first match of `pattern` in the output (stdout, stderr or both), as soon as the
   * output holds it; rejects, with the output, if the process exits first or `timeoutMs` (scaled) passes.
   */
  waitFor(pattern: RegExp, options?: WaitOptions): Promise<RegExpExecArray>;
  /** Sends `signal` to the whole group and waits for the exit; SIGKILL if it has not exited in time. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WaitOptions {
  readonly stream?: 'stdout' | 'stderr' | 'both';
  /** On a quiet machine; scaled. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to stdin, which is then closed. Without it stdin is closed at once. */
  readonly input?: string | Buffer;
}

const running = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
// A test file that ends (or fails) with a process still running never leaves it behind.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** Starts `command` in its own process group with piped output (see {@link StartedProcess}). */
export function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): StartedProcess {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    changed();
  });
  child.stdin?.on('error', () => {}); // a child that exits without reading its input
  child.stdin?.end(options.input);
  let closed = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => {
      closed = true;
      running.delete(child);
      reject(error);
      changed();
    });
    // 'close' comes after the output streams ended: everything the process wrote has been read.
    child.once('close', (code) => {
      closed = true;
      running.delete(child);
      resolve(code);
      changed();
    });
  });
  exited.catch(() => {}); // a failed spawn is reported by waitFor / stop, not as an unhandled rejection
  const describeOutput = () =>
    `\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`;
  const handle: StartedProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(pattern, waitOptions = {}) {
      const stream = waitOptions.stream ?? 'both';
      const limit = scaled(waitOptions.timeoutMs ?? 30_000);
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const text = stream === 'stdout' ? stdout : stream === 'stderr' ? stderr : `${stdout}\n${stderr}`;
          const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text);
          if (match) {
            done();
            resolve(match);
          } else if (closed) {
            done();
            reject(
              new Error(
                `${command} exited (${child.exitCode ?? child.signalCode}) before ${pattern}${describeOutput()}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} from ${command} within ${limit} ms${describeOutput()}`));
        }, limit);
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (closed) return exited;
      killGroup(child, signal);
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), scaled(10_000));
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return handle;
}
