import type pg from 'pg';

/** The store's database connections at one moment: what a `/metrics` gauge or an operator reads. */
export interface ConnectionStats {
  readonly engine: 'pglite' | 'postgres';
  /** Most connections the store opens (PGlite: its one in-process connection). */
  readonly max: number;
  /** Connections open now (PostgreSQL: established, idle or in use). */
  readonly open: number;
  readonly idle: number;
  /** Connections running a query or held by a transaction. */
  readonly inUse: number;
  /** Queries and transactions waiting for a connection (all are in use, or one is being opened). */
  readonly waiting: number;
}

export function pgPoolStats(pool: pg.Pool, max: number): () => ConnectionStats {
  return () => ({
    engine: 'postgres',
    max,
    open: pool.totalCount,
    idle: pool.idleCount,
    inUse: pool.totalCount - pool.idleCount,
    waiting: pool.waitingCount,
  });
}
