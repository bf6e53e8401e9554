import { type Kysely, sql } from 'kysely';
import { ChunkSizer } from './chunking.js';
import type { Database } from './schema.js';
import { countsPerRawStatus } from './status-counts.js';

/** What rules may read of an account beyond its raw status. */
export interface RuleReads {
  /** The rules read `attributes`. */
  readonly attributes: boolean;
  /** The rules read `statusObservedAt` or `daysInStatus`. */
  readonly observed: boolean;
}

/**
 * Accounts that look the same to a rule set: the same raw status, and the same attributes and status
 * observation time when the rules read them. A tenant has millions of accounts but few such groups when
 * rules read only the status, so a preview evaluates each group once.
 */
export interface RuleInputGroup {
  readonly status: string | null;
  /** The group's attributes; `{}` when the rules do not read them. */
  readonly attributes: Record<string, unknown>;
  /** Epoch ms of the status observation; 0 when the rules do not read it. */
  readonly observedMs: number;
  readonly accounts: number;
}

const observedSql = sql`floor(extract(epoch FROM status_observed_at) * 1000)::float8`;

/**
 * A tenant's accounts grouped by what the rules read (see RuleInputGroup). Rules that read the status alone:
 * the per-raw-status counts, no pass over the accounts. Otherwise keyset pages of accounts grouped in SQL,
 * each page its own short statement sized by `sizer` (PGlite's queue serves others between pages), merged
 * here; every account is counted once, in the state its page read.
 */
export async function ruleInputGroups(
  db: Kysely<Database>,
  tenantId: string,
  reads: RuleReads,
  sizer: ChunkSizer = new ChunkSizer(Number.POSITIVE_INFINITY, 250_000, 250_000, 250_000),
): Promise<RuleInputGroup[]> {
  if (!reads.attributes && !reads.observed) {
    return (await countsPerRawStatus(db, tenantId)).map(({ raw, accounts }) => ({
      status: raw,
      attributes: {},
      observedMs: 0,
      accounts,
    }));
  }
  const groups = new Map<string, { -readonly [K in keyof RuleInputGroup]: RuleInputGroup[K] }>();
  for (let after = ''; ; ) {
    const size = sizer.size;
    const rows = await sizer.time('groups', size, () =>
      sql<{
        raw_status: string | null;
        attributes: Record<string, unknown> | null;
        observed: number | null;
        n: number;
        last: string;
      }>`
        SELECT raw_status, attributes, observed, count(*)::int AS n, max(max(account_id)) OVER () AS last
        FROM (
          SELECT account_id, raw_status, ${reads.attributes ? sql`attributes` : sql`NULL::jsonb`} AS attributes,
                 ${reads.observed ? observedSql : sql`NULL::float8`} AS observed
          FROM accounts WHERE tenant_id = ${tenantId} AND account_id > ${after}
          ORDER BY account_id LIMIT ${size}
        ) p
        GROUP BY 1, 2, 3
      `.execute(db),
    );
    let read = 0;
    for (const r of rows.rows) {
      const group = {
        status: r.raw_status,
        attributes: r.attributes ?? {},
        observedMs: r.observed === null ? 0 : Number(r.observed),
        accounts: Number(r.n),
      };
      read += group.accounts;
      const key = JSON.stringify([group.status, group.attributes, group.observedMs]);
      const seen = groups.get(key);
      if (seen) seen.accounts += group.accounts;
      else groups.set(key, group);
    }
    const last = rows.rows[0]?.last;
    if (last === undefined || read < size) break;
    after = last;
  }
  return [...groups.values()];
}

/** Groups beyond this many are matched by one pass over the accounts instead of an index probe each. */
const PROBED_GROUPS = 2000;

/**
 * The first `limit` accounts (in account id order, the order of listing) that belong to any of `groups`,
 * each with the index of its group in `groups`. Few groups: an index probe of accounts_by_raw_status per
 * group, `limit` rows each; many: one pass with a hash join.
 */
export async function firstAccountsOfGroups(
  db: Kysely<Database>,
  tenantId: string,
  groups: readonly RuleInputGroup[],
  reads: RuleReads,
  limit: number,
): Promise<{ accountId: string; group: number }[]> {
  if (groups.length === 0 || limit <= 0) return [];
  const list = JSON.stringify(
    groups.map((g, i) => ({
      i,
      raw_key: g.status ?? '',
      raw_null: g.status === null,
      attributes: reads.attributes ? g.attributes : null,
      observed: reads.observed ? g.observedMs : null,
    })),
  );
  const groupsSql = sql`json_to_recordset(${list}::json) AS g(i int, raw_key text, raw_null boolean, attributes jsonb, observed float8)`;
  const same = sql`${reads.attributes ? sql`AND a.attributes = g.attributes` : sql``}
    ${reads.observed ? sql`AND floor(extract(epoch FROM a.status_observed_at) * 1000)::float8 = g.observed` : sql``}`;
  const rows =
    groups.length <= PROBED_GROUPS
      ? await sql<{ account_id: string; i: number }>`
          SELECT s.account_id, s.i FROM (
            SELECT p.account_id, g.i FROM ${groupsSql}
            CROSS JOIN LATERAL (
              SELECT a.account_id FROM accounts a
              WHERE a.tenant_id = ${tenantId} AND NOT g.raw_null AND a.raw_status = g.raw_key ${same}
              ORDER BY a.account_id LIMIT ${limit}
            ) p
            UNION ALL
            SELECT p.account_id, g.i FROM ${groupsSql}
            CROSS JOIN LATERAL (
              SELECT a.account_id FROM accounts a
              WHERE a.tenant_id = ${tenantId} AND g.raw_null AND a.raw_status IS NULL ${same}
              ORDER BY a.account_id LIMIT ${limit}
            ) p
          ) s
          ORDER BY s.account_id LIMIT ${limit}
        `.execute(db)
      : await sql<{ account_id: string; i: number }>`
          SELECT a.account_id, g.i FROM accounts a
          JOIN ${groupsSql} ON coalesce(a.raw_status, '') = g.raw_key AND (a.raw_status IS NULL) = g.raw_null ${same}
          WHERE a.tenant_id = ${tenantId}
          ORDER BY a.account_id LIMIT ${limit}
        `.execute(db);
  return rows.rows.map((r) => ({ accountId: r.account_id, group: Number(r.i) }));
}
