import { type Catalog, classifyStatus, type StatusType, type UnknownReason } from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import { pgTimestamp } from './timestamps.js';

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

/** Unknown accounts grouped by reason and raw value: the list of what to add to the catalog or fix at the source. */
export async function unknownReport(
  db: Kysely<Database>,
  tenantId: string,
  limit = 100,
): Promise<UnknownReport> {
  const rows = await sql<{
    raw_status: string | null;
    unknown_reason: UnknownReason;
    n: number;
    samples: string[];
  }>`
    SELECT raw_status, unknown_reason, count(*)::int AS n, (array_agg(account_id ORDER BY account_id))[1:5] AS samples
    FROM accounts WHERE tenant_id = ${tenantId} AND status_type = 'unknown'
    GROUP BY raw_status, unknown_reason ORDER BY n DESC, raw_status NULLS FIRST
  `.execute(db);
  const byReason: Record<UnknownReason, number> = {
    missing: 0,
    empty: 0,
    'not-in-catalog': 0,
    'not-a-string': 0,
  };
  let total = 0;
  for (const r of rows.rows) {
    byReason[r.unknown_reason] += r.n;
    total += r.n;
  }
  return {
    total,
    byReason,
    values: rows.rows.slice(0, limit).map((r) => ({
      value: r.raw_status,
      reason: r.unknown_reason,
      count: r.n,
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
 * Key metrics per UTC day from the status events: the state at each day's end and the transitions during
 * it, classified with the current catalog (a catalog change re-reads history with the new meaning).
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
  // State at each day's end: each account's last change observed before the end of that day.
  const states = await sql<{ day: Date; to_status: string | null; n: number }>`
    WITH days AS (
      SELECT generate_series(${pgTimestamp(start)}::timestamptz, ${pgTimestamp(end)}::timestamptz - interval '1 day', interval '1 day') AS day
    )
    SELECT d.day, s.to_status, count(*)::int AS n
    FROM days d
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (e.account_id) e.account_id, e.to_status
      FROM status_events e
      WHERE e.tenant_id = ${tenantId} AND e.kind = 'change' AND e.observed_at < d.day + interval '1 day'
      ORDER BY e.account_id, e.observed_at DESC, e.event_id DESC
    ) s
    GROUP BY d.day, s.to_status
  `.execute(db);
  const transitions = await sql<{
    day: Date;
    from_status: string | null;
    to_status: string | null;
    n: number;
  }>`
    SELECT date_trunc('day', observed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, from_status, to_status, count(*)::int AS n
    FROM status_events
    WHERE tenant_id = ${tenantId} AND kind = 'change' AND from_status IS NOT NULL
      AND observed_at >= ${pgTimestamp(start)}::timestamptz AND observed_at < ${pgTimestamp(end)}::timestamptz
    GROUP BY 1, 2, 3
  `.execute(db);

  const days = new Map<
    string,
    {
      byStatus: Record<string, number>;
      byType: Record<StatusType | 'unknown', number>;
      conversions: number;
      churn: number;
      reactivations: number;
      planChanges: number;
    }
  >();
  for (let t = start.getTime(); t < end.getTime(); t += DAY_MS) {
    days.set(isoDay(new Date(t)), {
      byStatus: {},
      byType: { free: 0, paying: 0, cancelled: 0, unknown: 0 },
      conversions: 0,
      churn: 0,
      reactivations: 0,
      planChanges: 0,
    });
  }
  for (const r of states.rows) {
    const d = days.get(isoDay(new Date(r.day)));
    if (!d) continue;
    const c = classifyStatus(r.to_status ?? undefined, catalog);
    d.byType[c.statusType] += r.n;
    if (c.status !== undefined) d.byStatus[c.status] = (d.byStatus[c.status] ?? 0) + r.n;
  }
  for (const r of transitions.rows) {
    const d = days.get(isoDay(new Date(r.day)));
    if (!d) continue;
    const a = classifyStatus(r.from_status ?? undefined, catalog);
    const b = classifyStatus(r.to_status ?? undefined, catalog);
    if (a.statusType === 'free' && b.statusType === 'paying') d.conversions += r.n;
    if (a.statusType === 'paying' && b.statusType === 'cancelled') d.churn += r.n;
    if (a.statusType === 'cancelled' && (b.statusType === 'paying' || b.statusType === 'free'))
      d.reactivations += r.n;
    if (a.statusType === 'paying' && b.statusType === 'paying' && a.plan !== b.plan) d.planChanges += r.n;
  }
  return [...days].map(([day, d]) => ({ day, ...d, unknown: d.byType.unknown }));
}
