import type { Store } from '@statuskit/store';
import { type Problem, problem } from './problem.js';

export type ReadyAnswer =
  | {
      readonly ready: true;
      readonly engine: Store['engine'];
      readonly schemaVersion: number;
    }
  | { readonly ready: false; readonly problem: Problem };

export interface Readiness {
  /** Whether the API should get traffic now: not shutting down, migrations done, the database answering. */
  check(): Promise<ReadyAnswer>;
  /** From now on the API is shutting down: `check()` says not ready. */
  drain(): void;
  readonly draining: boolean;
}

export interface ReadinessOptions {
  /** How long the database may take to answer (default 2 s; STATUSKIT_READY_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

const notReady = (slug: string, detail: string, extra: Record<string, unknown> = {}): ReadyAnswer => ({
  ready: false,
  problem: problem(503, slug, detail, extra),
});

/**
 * `/readyz`: one query (the newest migration recorded in the database) that shows the database answers and
 * its schema is the one this code needs. At most one query is out at a time: checks made while it is out
 * share it, and once it is older than the timeout they answer "not ready" at once rather than queue more
 * queries behind it (a database that stopped answering would otherwise soak up every pooled connection, one
 * probe at a time).
 */
export function createReadiness(store: Store, options: ReadinessOptions = {}): Readiness {
  const timeoutMs = options.timeoutMs ?? 2000;
  let draining = false;
  let pending: { readonly since: number; readonly answer: Promise<ReadyAnswer> } | undefined;

  const ask = async (): Promise<ReadyAnswer> => {
    try {
      const { applied, expected } = await store.schemaVersion();
      if (applied < expected)
        return notReady(
          'migrations-pending',
          `The database is at schema version ${applied}; this version of statuskit needs ${expected}. Start it once so it migrates the database.`,
          { schemaVersion: applied, expectedSchemaVersion: expected },
        );
      return { ready: true, engine: store.engine, schemaVersion: applied };
    } catch (error) {
      return notReady(
        'database-unavailable',
        `The database did not answer: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  return {
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    async check() {
      if (draining) return notReady('shutting-down', 'The API is shutting down and takes no new work.');
      const now = Date.now();
      if (pending && now - pending.since >= timeoutMs)
        return notReady(
          'database-unavailable',
          `The database has not answered the readiness check sent ${Math.round((now - pending.since) / 1000)} s ago.`,
        );
      if (!pending) {
        const current = { since: now, answer: ask() };
        pending = current;
        void current.answer.finally(() => {
          if (pending === current) pending = undefined;
        });
      }
      // Checks made at the same moment share one query, each waiting at most until its deadline.
      const { since, answer } = pending;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<ReadyAnswer>((resolve) => {
        timer = setTimeout(
          () =>
            resolve(notReady('database-unavailable', `The database did not answer within ${timeoutMs} ms.`)),
          since + timeoutMs - now,
        );
        timer.unref();
      });
      try {
        return await Promise.race([answer, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
