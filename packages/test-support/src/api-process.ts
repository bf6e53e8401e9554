import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  copyPGliteTemplate,
  dropTestSchema,
  type TestEngine,
  testSchemaName,
} from '@statuskit/store/testing';
import { type StartedProcess, startProcess } from './processes.js';
import { scaled } from './timeouts.js';

/** The built API (`npm start`'s process): tests that start it depend on `@statuskit/api#build`. */
export const apiMain = fileURLToPath(new URL('../../../apps/api/dist/main.js', import.meta.url));

export interface ApiProcess extends StartedProcess {
  readonly url: string;
  /** The key printed at start (a new data directory, or `--new-key`), if any. */
  readonly key: string | undefined;
  readonly dataDir: string;
}

export interface StartApiOptions {
  /**
   * PGlite data directory (also read from `env.STATUSKIT_DATA_DIR`). Default: a new temporary one, removed
   * when the process is stopped. Unused when `env.DATABASE_URL` is set.
   */
  readonly dataDir?: string;
  /**
   * Start a new data directory from `initdb`, as a first `npm start` does. Default false: it is copied from
   * the migrated template, which saves seconds of CPU per process.
   */
  readonly fresh?: boolean;
  /**
   * Added to the environment. DATABASE_URL is removed unless given here: by default the API runs on PGlite.
   * {@link apiDatabase} gives the environment of a database that outlives one process.
   */
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
}

/**
 * Starts the API as `npm start` does (PORT=0, scheduler and webhook dispatcher off and the statement timeout
 * scaled, unless `env` says otherwise) in its own process
 * group, and resolves once it listens, with the URL and key it printed. Rejects, with its output, if it exits
 * first (use {@link startProcess} with {@link apiMain} to watch a start that is meant to fail).
 */
export async function startApi(options: StartApiOptions = {}): Promise<ApiProcess> {
  const postgres = Boolean(options.env?.DATABASE_URL);
  const given = options.dataDir ?? options.env?.STATUSKIT_DATA_DIR;
  const owned = given === undefined ? mkdtempSync(join(tmpdir(), 'statuskit-api-')) : undefined;
  const dataDir = given ?? join(owned as string, 'data');
  if (!postgres && !options.fresh && !existsSync(dataDir)) await copyPGliteTemplate(dataDir);
  const { DATABASE_URL: _pglite, ...inherited } = process.env;
  const started = startProcess(process.execPath, [apiMain, ...(options.args ?? [])], {
    env: {
      ...inherited,
      PORT: '0',
      STATUSKIT_SCHEDULER: 'off',
      // The default statement timeout (30 s), scaled like every time limit of the tests: a loaded machine.
      STATUSKIT_STATEMENT_TIMEOUT: String(scaled(30_000) / 1000),
      STATUSKIT_WEBHOOKS: 'off',
      ...options.env,
      STATUSKIT_DATA_DIR: dataDir,
    },
  });
  const cleanup = () => {
    if (owned) rmSync(owned, { recursive: true, force: true });
  };
  try {
    // main.ts writes the URL and key lines in one write, after the server listens.
    const [, url] = await started.waitFor(/STATUSKIT_URL=(\S+)\n/, { stream: 'stdout', timeoutMs: 60_000 });
    const key = /STATUSKIT_API_KEY=(\S+)/.exec(started.stdout)?.[1];
    const stop = started.stop;
    return Object.assign(started, {
      url: url as string,
      key,
      dataDir,
      async stop(signal?: NodeJS.Signals) {
        try {
          return await stop(signal);
        } finally {
          cleanup();
        }
      },
    });
  } catch (error) {
    await started.stop('SIGKILL');
    cleanup();
    throw error;
  }
}

/** The environment of a database for API processes (restarts included), and the function that removes it. */
export interface ApiDatabase {
  readonly env: { readonly [name: string]: string };
  cleanup(): Promise<void>;
}

/**
 * A fresh database for API processes started with `startApi({ env: database.env })`: a PGlite data directory
 * (made from the migrated template by the first start), or a PostgreSQL schema of its own on DATABASE_URL.
 */
export function apiDatabase(engine: TestEngine, env: NodeJS.ProcessEnv = process.env): ApiDatabase {
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'statuskit-api-'));
    return {
      env: { STATUSKIT_DATA_DIR: join(dir, 'data') },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const schema = testSchemaName('statuskit_proc');
  return {
    env: { DATABASE_URL: databaseUrl, STATUSKIT_DB_SCHEMA: schema },
    cleanup: () => dropTestSchema(databaseUrl, schema),
  };
}
