import { type Catalog, type Classification, classifyStatus } from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** One raw status value (null: missing) of a tenant, with its accounts and its class in the current catalog. */
export interface RawStatusCount {
  readonly raw: string | null;
  readonly accounts: number;
  readonly classification: Classification;
}

/**
 * A tenant's accounts per raw status now (account_status_counts, kept by ingest): O(distinct values) rows,
 * whatever the number of accounts. Values no account holds any more are left out.
 */
export async function countsPerRawStatus(
  db: Kysely<Database>,
  tenantId: string,
): Promise<{ raw: string | null; accounts: number }[]> {
  const rows = await sql<{ raw_status: string | null; n: number }>`
    SELECT raw_status, n::float8 AS n FROM account_status_counts WHERE tenant_id = ${tenantId} AND n <> 0
  `.execute(db);
  return rows.rows.map((r) => ({ raw: r.raw_status, accounts: Number(r.n) }));
}

/** `countsPerRawStatus`, each value classified with `catalog`. */
export async function rawStatusCounts(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
): Promise<RawStatusCount[]> {
  return (await countsPerRawStatus(db, tenantId)).map(({ raw, accounts }) => ({
    raw,
    accounts,
    classification: classifyStatus(raw ?? undefined, catalog),
  }));
}
