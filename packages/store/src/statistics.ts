import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** The tables whose size follows a tenant's accounts and history: the ones bulk changes move. */
export const BULK_TABLES = [
  'accounts',
  'status_events',
  'status_day_changes',
  'health_run_exclusions',
] as const;
export type BulkTable = (typeof BULK_TABLES)[number];

/**
 * A table needs fresh planner statistics when a large share of it changed since its last ANALYZE, by
 * either of two signals: the rows modified since (`n_mod_since_analyze`, the signal autovacuum uses,
 * reported with a delay of up to a second), or its size on disk against the size ANALYZE last saw
 * (`relpages`; immediate, and every update grows a table that no VACUUM reclaims). The thresholds are
 * autovacuum's defaults (50 rows + 10%) and 10% more pages; a table never analyzed and not empty always
 * qualifies.
 */
export async function staleTables(
  db: Kysely<Database>,
  tables: readonly BulkTable[] = BULK_TABLES,
): Promise<BulkTable[]> {
  const rows = await sql<{
    relname: BulkTable;
    mods: number;
    tuples: number;
    pages: number;
    pages_now: number;
  }>`
    SELECT c.relname,
           coalesce(pg_stat_get_mod_since_analyze(c.oid), 0)::float8 AS mods,
           c.reltuples::float8 AS tuples,
           c.relpages::float8 AS pages,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages_now
    FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY(${[...tables]}::text[])
  `.execute(db);
  return rows.rows
    .filter((r) => {
      const tuples = Math.max(Number(r.tuples), 0);
      if (Number(r.tuples) < 0 && Number(r.pages_now) > 0) return true;
      return Number(r.mods) > 50 + 0.1 * tuples || Number(r.pages_now) > 8 + 1.1 * Number(r.pages);
    })
    .map((r) => r.relname);
}

const running = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Runs VACUUM (ANALYZE) on the tables that a bulk change left without fresh statistics (see staleTables). PGlite
 * has no autovacuum and PostgreSQL's may be off or late: without statistics, plans over a million rows
 * turn into repeated full scans. `vacuum: false` (a request's own path, such as an ingest batch) runs ANALYZE
 * alone, whose cost is bounded by its sample; VACUUM reads the whole table. One at a time per table in this
 * process. Returns what it analyzed.
 */
export async function freshenStatistics(
  db: Kysely<Database>,
  tables: readonly BulkTable[] = BULK_TABLES,
  { vacuum = true }: { vacuum?: boolean } = {},
): Promise<BulkTable[]> {
  const stale = await staleTables(db, tables);
  let inFlight = running.get(db);
  if (!inFlight) {
    inFlight = new Map();
    running.set(db, inFlight);
  }
  const flights = inFlight;
  await Promise.all(
    stale.map((table) => {
      const key = vacuum ? `vacuum:${table}` : table;
      let p = flights.get(key);
      if (!p) {
        // VACUUM too: it sets the visibility map (index-only scans, such as the Unknown report's counts,
        // read the heap of every row until it is set) and reclaims the rows a bulk update left dead.
        p = (vacuum ? sql`VACUUM (ANALYZE) ${sql.table(table)}` : sql`ANALYZE ${sql.table(table)}`)
          .execute(db)
          .then(() => undefined)
          .finally(() => flights.delete(key));
        flights.set(key, p);
      }
      return p;
    }),
  );
  return stale;
}
