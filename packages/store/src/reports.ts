import {
  type Catalog,
  type Classification,
  classifyStatus,
  type StatusType,
  type UnknownReason,
} from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import { rawStatusCounts } from './status-counts.js';

export interface UnknownReport {
  readonly total: number;
  readonly byReason: Readonly<Record<UnknownReason, number>>;
  /** Raw values that are not in the catalog (or empty), most frequent first. */
  readonly values: readonly {
    readonly value: string | null;
    readonly reason: UnknownReason;
    readonly count: number;
    readonly sampleAccountIds: readonly string[];
  }[];
}

/** Sample account ids per Unknown value: the first ones in id order. */
const SAMPLES = 5;

/**
 * Unknown accounts grouped by reason and raw value: the list of what to add to the catalog or fix at the
 * source. Most first. Counts from account_status_counts (one row per raw value, classified with the
 * current catalog); samples by a probe of accounts_by_raw_status for each listed
 * value (every account of one raw value is in the same class). Both statements read one snapshot (a
 * repeatable-read transaction), so each value's samples are its accounts in the state its count is of.
 */
export async function unknownReport(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
  limit = 100,
): Promise<UnknownReport> {
  const work = (trx: Kysely<Database>) => unknownReportIn(trx, tenantId, catalog, limit);
  return db.isTransaction ? work(db) : db.transaction().setIsolationLevel('repeatable read').execute(work);
}

async function unknownReportIn(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
  limit: number,
): Promise<UnknownReport> {
  const byReason: Record<UnknownReason, number> = {
    missing: 0,
    empty: 0,
    'not-in-catalog': 0,
    'not-a-string': 0,
  };
  let total = 0;
  const unknown: { raw: string | null; reason: UnknownReason; n: number }[] = [];
  for (const { raw, accounts, classification: c } of await rawStatusCounts(db, tenantId, catalog)) {
    if (c.statusType !== 'unknown') continue;
    byReason[c.unknownReason] += accounts;
    total += accounts;
    unknown.push({ raw, reason: c.unknownReason, n: accounts });
  }
  // The values to list, as a whole number SQL's LIMIT takes (a limit past the values, Infinity included,
  // lists them all; NaN, below 1 or negative lists none).
  const listed = Math.min(unknown.length, Math.floor(limit));
  if (!(listed > 0)) return { total, byReason, values: [] };
  // Ordered in SQL (the database's collation breaks ties, as everywhere else values are sorted).
  const rows = await sql<{
    raw_status: string | null;
    unknown_reason: UnknownReason;
    n: number;
    samples: string[];
  }>`
    WITH g AS (
      SELECT CASE WHEN v.raw_null THEN NULL ELSE v.raw END AS raw_status, v.reason AS unknown_reason, v.n
      FROM json_to_recordset(${JSON.stringify(unknown.map((u) => ({ raw: u.raw ?? '', raw_null: u.raw === null, reason: u.reason, n: u.n })))}::json)
           AS v(raw text, raw_null boolean, reason text, n float8)
      ORDER BY v.n DESC, raw_status NULLS FIRST, v.reason
      LIMIT ${listed}
    )
    SELECT g.raw_status, g.unknown_reason, g.n, s.samples
    FROM g CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(x.account_id ORDER BY x.account_id), '{}') AS samples FROM (
        (SELECT a.account_id FROM accounts a
         WHERE g.raw_status IS NOT NULL AND a.tenant_id = ${tenantId} AND a.raw_status = g.raw_status
         ORDER BY a.account_id LIMIT ${SAMPLES})
        UNION ALL
        (SELECT a.account_id FROM accounts a
         WHERE g.raw_status IS NULL AND a.tenant_id = ${tenantId} AND a.raw_status IS NULL
         ORDER BY a.account_id LIMIT ${SAMPLES})
      ) x
    ) s
    ORDER BY g.n DESC, g.raw_status NULLS FIRST, g.unknown_reason
  `.execute(db);
  return {
    total,
    byReason,
    values: rows.rows.map((r) => ({
      value: r.raw_status,
      reason: r.unknown_reason,
      count: Number(r.n),
      sampleAccountIds: r.samples,
    })),
  };
}

export interface DayMetrics {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  /** Accounts per canonical status at the end of the day. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<StatusType | 'unknown', number>>;
  readonly unknown: number;
  /** free -> paying */
  readonly conversions: number;
  /** paying -> cancelled */
  readonly churn: number;
  /** cancelled -> paying or free */
  readonly reactivations: number;
  /** paying -> paying on another plan */
  readonly planChanges: number;
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
/** Midnight UTC of a day (Date.UTC would read years below 100 as 19xx). */
const dayStart = (d: Date) => new Date(d.getTime() - (((d.getTime() % DAY_MS) + DAY_MS) % DAY_MS));

/**
 * Key metrics per UTC day: the state at each day's end and the transitions during it, classified with the
 * current catalog (a catalog change re-reads history with the new meaning). Read from the per-day change
 * counts (status_day_changes): the state before the range is the sum of all earlier changes per raw
 * status, then each day's changes move it on, so a year costs O(days x raw status pairs), not O(events).
 */
export async function dailyMetrics(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
  from: Date,
  to: Date,
): Promise<DayMetrics[]> {
  const start = dayStart(from);
  const end = new Date(dayStart(to).getTime() + DAY_MS);
  const startDay = Math.round(start.getTime() / DAY_MS);
  const endDay = Math.round(end.getTime() / DAY_MS);
  // One statement, so one snapshot on either engine: the changes before the range summed per raw status
  // (rows marked `before`), then the range's changes day by day: O(days x raw status pairs) rows.
  const rows = await sql<{
    before: boolean;
    day: number | null;
    created: boolean;
    from_status: string | null;
    to_status: string | null;
    n: number;
  }>`
    SELECT true AS before, NULL::int AS day, false AS created, NULL::text AS from_status, status AS to_status,
           sum(n)::float8 AS n
    FROM (
      SELECT to_status AS status, n FROM status_day_changes WHERE tenant_id = ${tenantId} AND day < ${startDay}
      UNION ALL
      SELECT from_status AS status, -n FROM status_day_changes
      WHERE tenant_id = ${tenantId} AND day < ${startDay} AND NOT created
    ) changes
    GROUP BY status
    UNION ALL
    SELECT false, day, created, from_status, to_status, n::float8 FROM status_day_changes
    WHERE tenant_id = ${tenantId} AND day >= ${startDay} AND day < ${endDay}
    ORDER BY 1 DESC, 2
  `.execute(db);
  const during = rows.rows.filter((r) => !r.before);

  const classifications = new Map<string | null, Classification>();
  const classify = (raw: string | null) => {
    let c = classifications.get(raw);
    if (c === undefined) {
      c = classifyStatus(raw ?? undefined, catalog);
      classifications.set(raw, c);
    }
    return c;
  };
  const state = new Map<string | null, number>();
  const add = (raw: string | null, n: number) => state.set(raw, (state.get(raw) ?? 0) + n);
  for (const r of rows.rows) if (r.before) add(r.to_status, Number(r.n));
  const out: DayMetrics[] = [];
  let next = 0;
  for (let day = startDay; day < endDay; day++) {
    let conversions = 0;
    let churn = 0;
    let reactivations = 0;
    let planChanges = 0;
    for (; next < during.length && Number(during[next]?.day) === day; next++) {
      const r = during[next] as (typeof during)[number];
      const n = Number(r.n);
      add(r.to_status, n);
      if (!r.created) add(r.from_status, -n);
      if (r.from_status === null) continue;
      const a = classify(r.from_status);
      const b = classify(r.to_status);
      if (a.statusType === 'free' && b.statusType === 'paying') conversions += n;
      if (a.statusType === 'paying' && b.statusType === 'cancelled') churn += n;
      if (a.statusType === 'cancelled' && (b.statusType === 'paying' || b.statusType === 'free'))
        reactivations += n;
      if (a.statusType === 'paying' && b.statusType === 'paying' && a.plan !== b.plan) planChanges += n;
    }
    const byStatus: Record<string, number> = {};
    const byType: Record<StatusType | 'unknown', number> = { free: 0, paying: 0, cancelled: 0, unknown: 0 };
    for (const [raw, n] of state) {
      if (n === 0) continue;
      const c = classify(raw);
      byType[c.statusType] += n;
      if (c.status !== undefined) byStatus[c.status] = (byStatus[c.status] ?? 0) + n;
    }
    out.push({
      day: isoDay(new Date(day * DAY_MS)),
      byStatus,
      byType,
      unknown: byType.unknown,
      conversions,
      churn,
      reactivations,
      planChanges,
    });
  }
  return out;
}
