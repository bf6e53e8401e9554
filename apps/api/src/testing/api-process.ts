// The API as a real process (`node dist/main.js`, what `npm start` runs), for the suites that need one: the
// fuzz, crash and start-up tests. Each process gets its own process group, so stopping or killing it takes
// its children too; readiness is its "listening on" line, never a sleep.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropTestSchema, type TestEngine, testSchemaName } from '@statuskit/store/testing';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'main.js');

export interface ApiProcess {
  /** STATUSKIT_URL, once it listens (undefined when it exited first). */
  readonly url: string | undefined;
  /** STATUSKIT_API_KEY, when it printed one. */
  readonly key: string | undefined;
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the process group; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL to the process group (a crash); resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts the API with `env` added to this process's environment (PORT=0 and no scheduler by default). */
export function startApi(env: Record<string, string | undefined>, args: string[] = []): Promise<ApiProcess> {
  const { DATABASE_URL: _db, STATUSKIT_DATA_DIR: _dir, ...base } = process.env;
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...base, PORT: '0', STATUSKIT_SCHEDULER: 'off', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let errText = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  const handle = (url: string | undefined, key: string | undefined): ApiProcess => ({
    url,
    key,
    child,
    stdout: () => out,
    stderr: () => errText,
    exited,
    stop: () => {
      signal('SIGTERM');
      return exited;
    },
    kill: async () => {
      signal('SIGKILL');
      await exited;
    },
  });
  return new Promise((resolve) => {
    const check = () => {
      if (!errText.includes('listening on')) return;
      const url = /^STATUSKIT_URL=(\S+)$/m.exec(out)?.[1];
      if (!url) return;
      resolve(handle(url, /^STATUSKIT_API_KEY=(\S+)$/m.exec(out)?.[1]));
    };
    child.stdout?.on('data', (d) => {
      out += d;
      check();
    });
    child.stderr?.on('data', (d) => {
      errText += d;
      check();
    });
    void exited.then(() => resolve(handle(undefined, undefined)));
  });
}

/** The environment that points the API at a fresh database of `engine`, and the function that removes it. */
export function engineEnv(engine: TestEngine): {
  env: Record<string, string>;
  cleanup: () => Promise<void>;
} {
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'statuskit-api-'));
    return {
      env: { STATUSKIT_DATA_DIR: join(dir, 'data') },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const schema = testSchemaName('statuskit_proc');
  return {
    env: { DATABASE_URL: databaseUrl, STATUSKIT_DB_SCHEMA: schema },
    cleanup: () => dropTestSchema(databaseUrl, schema),
  };
}
