import {
  type Catalog,
  classifyStatus,
  defaultCatalog,
  defineCatalog,
  type StatusType,
} from '@statuskit/core';
import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import type { DayMetrics } from './reports.js';
import type { Database } from './schema.js';
import { openTestStore, testEngines } from './testing.js';
import { pgTimestamp } from './timestamps.js';

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const dayStart = (d: Date) => new Date(d.getTime() - (((d.getTime() % DAY_MS) + DAY_MS) % DAY_MS));

/**
 * The oracle: the straightforward computation the store used before the per-day change counts (a lateral
 * DISTINCT ON over all of a tenant's events for every day of the range), kept here verbatim.
 */
async function straightforwardMetrics(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
  from: Date,
  to: Date,
): Promise<DayMetrics[]> {
  const start = dayStart(from);
  const end = new Date(dayStart(to).getTime() + DAY_MS);
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

const BASE = Date.UTC(2026, 2, 1);
const STATUSES = [
  null,
  '',
  'Trial',
  'Pro',
  'Enterprise',
  'Personal',
  'Cancelled',
  'Gold',
  'Trail',
  'Internal-use',
];
/** Catalogs the histories switch between: Gold added as a plan, Trial made paying, aliases, Cancelled gone. */
const CATALOGS: Catalog[] = [
  defaultCatalog,
  defineCatalog({
    statuses: [...defaultCatalog.toJSON().statuses, { value: 'Gold', type: 'paying', plan: 'gold' }],
  }),
  defineCatalog({
    statuses: defaultCatalog
      .toJSON()
      .statuses.map((s) =>
        s.value === 'Trial' ? { ...s, type: 'paying' as const, trial: false, aliases: ['Trail'] } : s,
      ),
  }),
  defineCatalog({ statuses: defaultCatalog.toJSON().statuses.filter((s) => s.value !== 'Cancelled') }),
];

const update = fc.record({
  accountId: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5'),
  status: fc.constantFrom(...STATUSES),
  // Observed within 6 days around BASE, at hour grain and at day edges: later batches often go backwards
  // (stale) or land on an earlier day than the account's last change.
  observedMs: fc.oneof(
    fc.integer({ min: -2 * 24, max: 4 * 24 }).map((h) => BASE + h * 3_600_000),
    fc.integer({ min: -2, max: 4 }).map((d) => BASE + d * DAY_MS - 1),
  ),
});
const step = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(update, { minLength: 1, maxLength: 6 }).map((u) => ({ kind: 'batch' as const, u })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: CATALOGS.length - 1 }).map((c) => ({ kind: 'catalog' as const, c })),
  },
);

let seq = 0;

describe.each(testEngines())('daily metrics on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('equal the straightforward computation on random histories (backward moves, stale updates, catalog changes), filters by class follow the catalog, accounts are counted per raw status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -4, max: 5 }),
        fc.integer({ min: 0, max: 9 }),
        async (steps, fromDay, span) => {
          const id = (await store.createTenant({ id: `m${Date.now().toString(36)}-${++seq}`, name: 'm' })).id;
          for (const s of steps) {
            if (s.kind === 'catalog') await store.putCatalog(id, CATALOGS[s.c] as Catalog);
            else
              await store.applyStatusUpdates(
                id,
                s.u.map((u) => ({
                  accountId: u.accountId,
                  status: u.status,
                  observedAt: new Date(u.observedMs),
                })),
                { receivedAt: new Date(BASE + 10 * DAY_MS) },
              );
          }
          const from = new Date(BASE + fromDay * DAY_MS + 3_600_000);
          const to = new Date(from.getTime() + span * DAY_MS);
          const { catalog } = await store.getCatalog(id);
          const fast = await store.dailyMetrics(id, from, to);
          expect(fast).toEqual(await straightforwardMetrics(store.db, id, catalog, from, to));
          // Filters by class answer what the current catalog says of each account's raw status.
          const accounts = await store.db
            .selectFrom('accounts')
            .select(['account_id', 'raw_status'])
            .where('tenant_id', '=', id)
            .orderBy('account_id')
            .execute();
          for (const statusType of ['free', 'paying', 'cancelled', 'unknown'] as const) {
            const listed = await store.listAccounts(id, { statusType }, undefined, 1000);
            expect(listed.map((a) => a.id)).toEqual(
              accounts
                .filter((a) => classifyStatus(a.raw_status ?? undefined, catalog).statusType === statusType)
                .map((a) => a.account_id),
            );
          }
          // The accounts per raw status kept by ingest are the accounts' own count (the migration's backfill).
          const kept = await sql<{ raw_status: string | null; n: number }>`
            SELECT raw_status, n::int AS n FROM account_status_counts WHERE tenant_id = ${id} AND n <> 0
            ORDER BY raw_status NULLS FIRST`.execute(store.db);
          const counted = await sql<{ raw_status: string | null; n: number }>`
            SELECT raw_status, count(*)::int AS n FROM accounts WHERE tenant_id = ${id}
            GROUP BY 1 ORDER BY raw_status NULLS FIRST`.execute(store.db);
          expect(kept.rows).toEqual(counted.rows);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('backfills the per-day counts of existing history when the migration runs', async () => {
    const id = (await store.createTenant({ id: `m${Date.now().toString(36)}-${++seq}`, name: 'm' })).id;
    await store.applyStatusUpdates(
      id,
      [
        { accountId: 'a1', status: 'Trial', observedAt: new Date(BASE) },
        { accountId: 'a1', status: 'Pro', observedAt: new Date(BASE + DAY_MS) },
        { accountId: 'a2', status: null, observedAt: new Date(BASE) },
        { accountId: 'a2', status: 'Cancelled', observedAt: new Date(BASE + 2 * DAY_MS) },
      ],
      { receivedAt: new Date(BASE + 10 * DAY_MS) },
    );
    const kept = await sql<{ n: number }>`
      SELECT day, created, from_status, to_status, n FROM status_day_changes WHERE tenant_id = ${id} ORDER BY 1, 2, 3, 4`.execute(
      store.db,
    );
    // The migration's backfill statement, run again over the same events, gives the same rows.
    const backfilled = await sql<{ n: number }>`
      SELECT floor(extract(epoch FROM observed_at) / 86400)::int AS day, from_type IS NULL AS created, from_status, to_status, count(*)::int AS n
      FROM status_events WHERE tenant_id = ${id} AND kind = 'change' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`.execute(
      store.db,
    );
    expect(kept.rows).toEqual(backfilled.rows);
    expect(kept.rows).toHaveLength(4);
  });
});
