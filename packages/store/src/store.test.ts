import { defineCatalog, parseRules } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { TenantExistsError } from './tenants.js';
import { openTestStore, testEngines } from './testing.js';

let seq = 0;
const tenantId = () => `t${Date.now().toString(36)}-${++seq}`;

describe.each(testEngines())('store on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  async function tenant() {
    return (await store.createTenant({ id: tenantId(), name: 'Acme CS' })).id;
  }

  it('creates tenants with the default catalog and no rules', async () => {
    const id = await tenant();
    const { catalog, version } = await store.getCatalog(id);
    expect(version).toBe(1);
    expect(catalog.statuses.map((s) => s.value)).toContain('Enterprise');
    expect((await store.getRules(id)).rules).toEqual([]);
    await expect(store.createTenant({ id, name: 'again' })).rejects.toBeInstanceOf(TenantExistsError);
  });

  it('keeps API keys hashed, lists prefixes only, and revokes them', async () => {
    const id = await tenant();
    const key = await store.createApiKey(id, 'web app');
    expect(key.key).toMatch(/^sk_[0-9a-f]{16}_/);
    expect(await store.verifyApiKey(key.key)).toEqual({ tenantId: id, keyId: key.id });
    expect(await store.verifyApiKey(`${key.key.slice(0, -1)}x`)).toBeUndefined();
    expect(await store.verifyApiKey('nonsense')).toBeUndefined();
    const listed = await store.listApiKeys(id);
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key.key.slice(20));
    const other = await tenant();
    expect(await store.revokeApiKey(other, key.id)).toBe(false);
    expect(await store.revokeApiKey(id, key.id)).toBe(true);
    expect(await store.verifyApiKey(key.key)).toBeUndefined();
  });

  it('applies changes, records events, refuses stale updates and keeps history', async () => {
    const id = await tenant();
    const t = (s: string) => new Date(`2026-01-${s}T00:00:00Z`);
    const first = await store.applyStatusUpdates(id, [
      { accountId: 'a1', status: 'Trial', observedAt: t('01'), name: 'Acme' },
      { accountId: 'a2', status: 'Gold', observedAt: t('01') },
    ]);
    expect(first).toMatchObject({
      kind: 'applied',
      result: { counts: { created: 2, changed: 0, unchanged: 0, stale: 0 } },
    });
    const second = await store.applyStatusUpdates(id, [
      { accountId: 'a1', status: 'Pro', observedAt: t('10'), source: 'sfdc' },
      { accountId: 'a1', status: 'Trial', observedAt: t('05'), source: 'sfdc' },
      { accountId: 'a1', status: 'Pro', observedAt: t('11'), attributes: { seats: 5 } },
    ]);
    if (second.kind !== 'applied') throw new Error('expected applied');
    expect(second.result.results.map((r) => r.outcome)).toEqual(['changed', 'stale', 'unchanged']);
    expect(second.result.results[1]).toMatchObject({
      status: 'Pro',
      currentObservedAt: t('10').toISOString(),
    });
    const a1 = await store.getAccount(id, 'a1');
    expect(a1).toMatchObject({
      name: 'Acme',
      status: 'Pro',
      attributes: { seats: 5 },
      statusObservedAt: t('10'),
      lastObservedAt: t('11'),
    });
    const history = await store.accountHistory(id, 'a1');
    expect(history.map((e) => [e.kind, e.from, e.to, e.fromType, e.toType])).toEqual([
      ['stale', 'Pro', 'Trial', 'paying', 'free'],
      ['change', 'Trial', 'Pro', 'free', 'paying'],
      ['change', null, 'Trial', null, 'free'],
    ]);
  });

  it('applies a batch atomically: one bad row and nothing is stored', async () => {
    const id = await tenant();
    await expect(
      store.applyStatusUpdates(id, [
        { accountId: 'ok', status: 'Pro' },
        { accountId: 'bad', status: 'Pro\u0000' },
      ]),
    ).rejects.toThrow();
    expect(await store.getAccount(id, 'ok')).toBeUndefined();
  });

  it('replays an idempotent batch and refuses the key for another body', async () => {
    const id = await tenant();
    const idempotency = { key: 'batch-1', requestHash: 'h1' };
    const first = await store.applyStatusUpdates(id, [{ accountId: 'a', status: 'Pro' }], { idempotency });
    const again = await store.applyStatusUpdates(id, [{ accountId: 'a', status: 'Pro' }], { idempotency });
    expect(again).toEqual({ kind: 'replayed', result: first.kind === 'applied' ? first.result : undefined });
    expect((await store.accountHistory(id, 'a')).length).toBe(1);
    expect(
      await store.applyStatusUpdates(id, [{ accountId: 'a', status: 'Cancelled' }], {
        idempotency: { key: 'batch-1', requestHash: 'h2' },
      }),
    ).toEqual({ kind: 'conflict' });
  });

  it('re-classifies every account when the catalog changes', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(id, [
      { accountId: 'g1', status: 'Gold' },
      { accountId: 'g2', status: 'gold ' },
      { accountId: 'p', status: 'Pro' },
    ]);
    expect((await store.unknownReport(id)).byReason['not-in-catalog']).toBe(2);
    const { catalog } = await store.getCatalog(id);
    const next = defineCatalog({
      statuses: [...catalog.toJSON().statuses, { value: 'Gold', type: 'paying' }],
    });
    expect(await store.putCatalog(id, next)).toEqual({ version: 2, reclassified: 2 });
    expect((await store.listAccounts(id, { status: 'Gold' }, undefined, 10)).map((a) => a.id)).toEqual([
      'g1',
      'g2',
    ]);
    expect((await store.unknownReport(id)).total).toBe(0);
  });

  it('re-classifies the accounts of an alias added to a status, and back when it is removed; the raw value stays', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(id, [
      { accountId: 't1', status: 'Trail' },
      { accountId: 't2', status: 'trail' },
      { accountId: 't3', status: 'Trial' },
    ]);
    const { catalog } = await store.getCatalog(id);
    const withAlias = (aliases: string[] | undefined) =>
      defineCatalog({
        statuses: catalog
          .toJSON()
          .statuses.map((s) => (s.value === 'Trial' && aliases ? { ...s, aliases } : s)),
      });
    expect((await store.putCatalog(id, withAlias(['Trail']))).reclassified).toBe(2);
    expect((await store.listAccounts(id, { status: 'Trial' }, undefined, 10)).map((a) => a.id)).toEqual([
      't1',
      't2',
      't3',
    ]);
    expect((await store.getAccount(id, 't2'))?.status).toBe('trail');
    expect((await store.unknownReport(id)).total).toBe(0);
    expect((await store.getCatalog(id)).catalog.statuses[0]?.aliases).toEqual(['Trail']);

    expect((await store.putCatalog(id, withAlias(undefined))).reclassified).toBe(2);
    expect(await store.unknownReport(id)).toMatchObject({
      total: 2,
      values: [{ value: 'Trail' }, { value: 'trail' }],
    });
  });

  it('reports Unknown accounts by reason and raw value', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(id, [
      { accountId: 'a', status: 'Platinum' },
      { accountId: 'b', status: 'Platinum' },
      { accountId: 'c', status: '' },
      { accountId: 'd', status: null },
      { accountId: 'e', status: 'Pro' },
    ]);
    const report = await store.unknownReport(id);
    expect(report.total).toBe(4);
    expect(report.byReason).toEqual({ missing: 1, empty: 1, 'not-in-catalog': 2, 'not-a-string': 0 });
    expect(report.values[0]).toEqual({
      value: 'Platinum',
      reason: 'not-in-catalog',
      count: 2,
      sampleAccountIds: ['a', 'b'],
    });
  });

  it('pages accounts by status-type with a cursor', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(
      id,
      Array.from({ length: 25 }, (_, i) => ({
        accountId: `acct-${String(i).padStart(2, '0')}`,
        status: i % 5 === 0 ? 'Trial' : 'Pro',
      })),
    );
    const page1 = await store.listAccounts(id, { statusType: 'paying' }, undefined, 15);
    const page2 = await store.listAccounts(id, { statusType: 'paying' }, page1.at(-1)?.id, 15);
    expect(page1.length + page2.length).toBe(20);
    expect(new Set([...page1, ...page2].map((a) => a.id)).size).toBe(20);
  });

  it('computes daily metrics from status events', async () => {
    const id = await tenant();
    const d = (day: string, h = 12) => new Date(`2026-02-${day}T${String(h).padStart(2, '0')}:00:00Z`);
    await store.applyStatusUpdates(id, [
      { accountId: 'a', status: 'Trial', observedAt: d('01') },
      { accountId: 'b', status: 'Pro', observedAt: d('01') },
      { accountId: 'c', status: 'Cancelled', observedAt: d('01') },
    ]);
    await store.applyStatusUpdates(id, [
      { accountId: 'a', status: 'Pro', observedAt: d('02') },
      { accountId: 'b', status: 'Cancelled', observedAt: d('02') },
      { accountId: 'c', status: 'Personal', observedAt: d('03') },
      { accountId: 'a', status: 'Enterprise', observedAt: d('03', 13) },
    ]);
    const days = await store.dailyMetrics(id, d('01'), d('03'));
    expect(days.map((x) => x.day)).toEqual(['2026-02-01', '2026-02-02', '2026-02-03']);
    expect(days[0]).toMatchObject({
      byType: { free: 1, paying: 1, cancelled: 1, unknown: 0 },
      conversions: 0,
    });
    expect(days[1]).toMatchObject({ byStatus: { Pro: 1, Cancelled: 2 }, conversions: 1, churn: 1 });
    expect(days[2]).toMatchObject({
      byStatus: { Enterprise: 1, Cancelled: 1, Personal: 1 },
      reactivations: 1,
      planChanges: 1,
    });
  });

  it('runs health once per tenant and day when scheduled, however many callers race', async () => {
    const id = await tenant();
    await store.putRules(
      id,
      parseRules([
        {
          name: 'demo',
          conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
          event: { type: 'exclude', params: { reason: 'demo tenant' } },
        },
      ]),
    );
    await store.applyStatusUpdates(id, [
      { accountId: 'a', status: 'Pro' },
      { accountId: 'b', status: 'Pro', attributes: { demo: true } },
      { accountId: 'c', status: 'Gold' },
      { accountId: 'd', status: 'Cancelled' },
    ]);
    const now = new Date('2026-03-01T03:00:00Z');
    const runs = await Promise.all(
      [1, 2, 3].map(() => store.runHealth(id, { trigger: 'scheduled', now, pageSize: 2 })),
    );
    const won = runs.filter((r) => r !== undefined);
    expect(won).toHaveLength(1);
    const run = won[0];
    expect(run).toMatchObject({
      state: 'done',
      day: '2026-03-01',
      trigger: 'scheduled',
      summary: {
        total: 4,
        eligible: 1,
        excluded: 3,
        excludedByReason: { 'demo tenant': 1, 'unknown-status': 1, cancelled: 1 },
      },
    });
    if (!run) throw new Error('no run');
    const excluded = await store.healthRunExclusions(id, run, undefined, 10);
    expect(excluded.map((x) => [x.accountId, x.reason])).toEqual([
      ['b', 'demo tenant'],
      ['c', 'unknown-status'],
      ['d', 'cancelled'],
    ]);
    expect(excluded[0]?.eligibility.reasons.at(-1)).toMatchObject({ source: 'rule', rule: 'demo' });
    expect(await store.runHealth(id, { trigger: 'manual', now })).toMatchObject({
      state: 'done',
      trigger: 'manual',
    });
    expect((await store.listHealthRuns(id)).length).toBe(2);
  });

  it('takes over a scheduled run abandoned by a process that died', async () => {
    const id = await tenant();
    await store.applyStatusUpdates(id, [{ accountId: 'a', status: 'Pro' }]);
    const day = new Date('2026-04-01T02:00:00Z');
    // A claim left `running` by a crashed process.
    await store.db
      .insertInto('health_runs')
      .values({
        tenant_id: id,
        run_id: 'hr_dead',
        trigger: 'scheduled',
        day: '2026-04-01',
        state: 'running',
        started_at: day,
        finished_at: null,
        summary: null,
        error: null,
        catalog_version: 1,
        rules_version: 1,
      })
      .execute();
    expect(
      await store.runHealth(id, { trigger: 'scheduled', now: new Date('2026-04-01T02:30:00Z') }),
    ).toBeUndefined();
    const later = new Date('2026-04-01T03:30:00Z');
    const runs = await Promise.all(
      [1, 2].map(() => store.runHealth(id, { trigger: 'scheduled', now: later })),
    );
    expect(runs.filter((r) => r !== undefined)).toHaveLength(1);
    expect(runs.find((r) => r)?.state).toBe('done');
    expect((await store.listHealthRuns(id)).map((r) => r.state)).toEqual(['done']);
  });

  it('keeps connector state per tenant and connector', async () => {
    const id = await tenant();
    expect(await store.getConnectorState(id, 'sfdc')).toBeUndefined();
    await store.putConnectorState(id, 'sfdc', { watermark: '2026-01-01T00:00:00Z' });
    await store.putConnectorState(id, 'sfdc', { watermark: '2026-01-02T00:00:00Z' });
    expect(await store.getConnectorState(id, 'sfdc')).toEqual({ watermark: '2026-01-02T00:00:00Z' });
  });
});
