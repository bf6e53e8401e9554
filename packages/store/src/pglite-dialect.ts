import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { ConnectionStats } from './connection-stats.js';
import { currentWork, type Lane, stopReason, type Work } from './work-context.js';

/**
 * Kysely over one in-process PGlite instance. PGlite is a single connection, so connections are handed
 * out one at a time (writes first, see PGliteDriver): a transaction holds it until commit or rollback, and
 * other queries wait.
 */
export class PGliteDialect implements Dialect {
  #driver: PGliteDriver | undefined;
  constructor(private readonly db: PGlite) {}
  /** The one connection (in use or idle) and the queries waiting for it. */
  stats(): ConnectionStats {
    const inUse = this.#driver?.inUse ? 1 : 0;
    return { engine: 'pglite', max: 1, open: 1, idle: 1 - inUse, inUse, waiting: this.#driver?.waiting ?? 0 };
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    this.#driver = new PGliteDriver(this.db);
    return this.#driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly db: PGlite) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.db.query<R>(compiled.sql, compiled.parameters as unknown[]);
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }
  // biome-ignore lint/correctness/useYield: PGlite has no cursors; streaming is not offered
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamQuery is not supported on PGlite; page with keyset queries instead');
  }
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly work: Work | undefined;
  onAbort?: () => void;
}

const LANES: readonly Lane[] = ['write', 'read', 'bulk'];
/** A lane passed over this many times in a row while it waited goes next: priority, never starvation. */
const MAX_SKIPS = 8;

/**
 * Hands out PGlite's one connection in lane order: a waiting write goes before waiting reads, and those
 * before the chunks of long work, so a write waits at most for the statement (chunk) that is running.
 * PGlite runs each statement to its end on this thread (no timer fires, nothing can cancel it); what can be
 * stopped is work not yet started: a waiter whose request timed out or whose client went away leaves the
 * queue at once with that error, and such work is refused the connection.
 */
class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  readonly #queues: Record<Lane, Waiter[]> = { write: [], read: [], bulk: [] };
  readonly #skips: Record<Lane, number> = { write: 0, read: 0, bulk: 0 };
  /** Taken: by work, or reserved while the event loop polls before the next hand-over. */
  #busy = false;
  /** Held by work now. */
  #held = false;
  /** Callers waiting in acquireConnection. */
  waiting = 0;

  constructor(private readonly db: PGlite) {
    this.#connection = new PGliteConnection(db);
  }
  get inUse(): boolean {
    return this.#held;
  }
  async init(): Promise<void> {
    await this.db.waitReady;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const work = currentWork();
    const stop = stopReason(work);
    if (stop) throw stop;
    if (!this.#busy) {
      this.#busy = true;
      this.#held = true;
      return this.#connection;
    }
    const queuedAt = performance.now();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, work };
      const queue = this.#queues[work?.lane ?? 'read'];
      queue.push(waiter);
      this.waiting++;
      const signal = work?.signal;
      if (signal) {
        waiter.onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at < 0) return;
          queue.splice(at, 1);
          this.waiting--;
          reject(stopReason(work) ?? new Error('aborted'));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
    });
    if (work?.waited) work.waited.ms += performance.now() - queuedAt;
    this.#held = true;
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'begin', parameters: [] } as unknown as CompiledQuery);
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'commit', parameters: [] } as unknown as CompiledQuery);
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery({ sql: 'rollback', parameters: [] } as unknown as CompiledQuery);
  }
  async releaseConnection(): Promise<void> {
    // PGlite runs each statement synchronously, and handing the connection on at once (or letting the same
    // work take it again) would chain the next statement in the same run of microtasks: the event loop would
    // never read new requests, and a write arriving during a long report would wait for all of it. So the
    // connection stays taken until the loop has polled for I/O; then the highest lane waiting gets it.
    this.#held = false;
    setImmediate(() => this.#handOn());
  }
  /** The lanes in the order they are served now: a starved one first, then by priority. */
  #order(): Lane[] {
    const starved = LANES.filter((l) => this.#skips[l] >= MAX_SKIPS && this.#queues[l].length > 0);
    return [...starved, ...LANES.filter((l) => !starved.includes(l))];
  }
  #handOn(): void {
    for (const lane of this.#order()) {
      const queue = this.#queues[lane];
      for (let waiter = queue.shift(); waiter; waiter = queue.shift()) {
        this.waiting--;
        if (waiter.onAbort) waiter.work?.signal?.removeEventListener('abort', waiter.onAbort);
        // Work that must stop now (its request timed out or its client left) is refused, not started.
        const stop = stopReason(waiter.work);
        if (stop) {
          waiter.reject(stop);
          continue;
        }
        for (const other of LANES)
          this.#skips[other] =
            other === lane || this.#queues[other].length === 0 ? 0 : this.#skips[other] + 1;
        waiter.resolve();
        return;
      }
    }
    this.#busy = false;
  }
  async destroy(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
