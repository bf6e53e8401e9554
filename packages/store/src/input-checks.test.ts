import { defaultCatalog, defineCatalog } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from './input-checks.js';
import type { Store } from './open-store.js';
import { VersionConflictError } from './tenant-config.js';
import { openTestStore, testEngines } from './testing.js';

let seq = 0;
const tenantId = () => `c${Date.now().toString(36)}-${++seq}`;

/** The `at` of each issue of an InvalidInputError (or the error, when it is another one). */
async function refused(work: Promise<unknown>): Promise<string[]> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as InvalidInputError).issues.map((i) => i.at);
}

describe.each(testEngines())('store input checks on %s', (engine) => {
  let store: Store;
  let id: string;
  beforeAll(async () => {
    store = await openTestStore(engine);
    id = (await store.createTenant({ id: tenantId(), name: 'Checks' })).id;
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('refuses updates it could not store, naming each field, and stores none of the batch', async () => {
    const now = new Date();
    const at = await refused(
      store.applyStatusUpdates(id, [
        { accountId: 'ok', status: 'Pro' },
        { accountId: 'a\ud800', status: 'Pro' },
        { accountId: 'b', status: 'P\u0000' },
        { accountId: 'c', status: 'Pro', name: '\u0000' },
        { accountId: 'd', status: 'Pro', observedAt: '0000-06-01T00:00:00Z' },
        { accountId: 'e', status: 'Pro', attributes: { k: { '\u0000': 1 } } },
        { accountId: 'f', status: 'Pro', observedAt: new Date(now.getTime() + 10 * 60_000) },
        { accountId: 'g', status: 'Pro', source: 'x\u0000' },
      ]),
    );
    expect(at).toEqual([
      '[1].accountId',
      '[2].status',
      '[3].name',
      '[4].observedAt',
      '[5].attributes.k["\\u0000"]',
      '[6].observedAt',
      '[7].source',
    ]);
    expect(await store.getAccount(id, 'ok')).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    expect(
      await refused(
        store.applyStatusUpdates(id, [{ accountId: 'h', status: 'Pro', attributes: { deep } as never }]),
      ),
    ).toEqual(['[0].attributes']);
  });

  it('takes the allowed future skew from the options', async () => {
    const receivedAt = new Date('2026-03-01T12:00:00Z');
    const update = { accountId: 'skew', status: 'Pro', observedAt: '2026-03-01T12:00:30Z' };
    await expect(
      store.applyStatusUpdates(id, [update], { receivedAt, maxFutureSkewMs: 10_000 }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    const applied = await store.applyStatusUpdates(id, [update], { receivedAt });
    expect(applied.kind).toBe('applied');
  });

  it('refuses names, connector state, rules and catalogs it could not store', async () => {
    expect(await refused(store.createTenant({ name: 'x\u0000' }))).toEqual(['name']);
    expect(await refused(store.createApiKey(id, '\ud800'))).toEqual(['name']);
    expect(await refused(store.putConnectorState(id, 'sfdc', { w: '\u0000' }))).toEqual(['w']);
    expect(await refused(store.putConnectorState(id, 'sfdc', { big: 'x'.repeat(70_000) }))).toEqual([
      '(root)',
    ]);
    expect(
      await refused(
        store.putRules(id, [
          {
            name: 'r\u0000',
            conditions: { all: [{ fact: 'nope', operator: 'equal', value: 1 }] },
            event: { type: 'exclude', params: { reason: 'x' } },
          },
        ]),
      ),
    ).toEqual(['[0].name', '[0].conditions.all[0].fact']);
    const catalog = defineCatalog({ statuses: [{ value: 'Pro', type: 'paying', description: 'a\u0000' }] });
    expect(await refused(store.putCatalog(id, catalog))).toEqual(['statuses[0].description']);
    expect((await store.getRules(id)).rules).toEqual([]);
  });

  it('refuses lookups by text the database cannot hold instead of failing in it', async () => {
    expect(await refused(store.getAccount(id, 'a\u0000'))).toEqual(['accountId']);
    expect(await refused(store.getAccount(id, 'a\udc00'))).toEqual(['accountId']);
    expect(await refused(store.listAccounts(id, { status: '\u0000' }, undefined, 10))).toEqual(['status']);
    expect(await refused(store.listAccounts(id, {}, '\u0000', 10))).toEqual(['cursor']);
    expect(await refused(store.getConnectorState(id, '\u0000'))).toEqual(['connector']);
    expect(await refused(store.getCatalog('t\u0000'))).toEqual(['tenantId']);
  });

  it('keeps years below 100 as they are (0050 is not 1950), in accounts, history and metrics', async () => {
    const id = (await store.createTenant({ id: tenantId(), name: 'Years' })).id;
    await store.applyStatusUpdates(id, [
      { accountId: 'old', status: 'Trial', observedAt: '0050-06-01T00:00:00Z' },
    ]);
    expect((await store.getAccount(id, 'old'))?.statusObservedAt.toISOString()).toBe(
      '0050-06-01T00:00:00.000Z',
    );
    const later = await store.applyStatusUpdates(id, [
      { accountId: 'old', status: 'Pro', observedAt: '1950-03-01T00:00:00Z' },
    ]);
    expect(later.kind === 'applied' && later.result.results[0]?.outcome).toBe('changed');
    const history = await store.accountHistory(id, 'old');
    expect(history.map((e) => e.observedAt.toISOString())).toEqual([
      '1950-03-01T00:00:00.000Z',
      '0050-06-01T00:00:00.000Z',
    ]);
    const days = await store.dailyMetrics(
      id,
      new Date('0050-06-01T00:00:00Z'),
      new Date('0050-06-02T00:00:00Z'),
    );
    expect(days.map((d) => [d.day, d.byStatus])).toEqual([
      ['0050-06-01', { Trial: 1 }],
      ['0050-06-02', { Trial: 1 }],
    ]);
    const end = await store.dailyMetrics(
      id,
      new Date('9999-12-30T00:00:00Z'),
      new Date('9999-12-31T00:00:00Z'),
    );
    expect(end.map((d) => [d.day, d.byStatus])).toEqual([
      ['9999-12-30', { Pro: 1 }],
      ['9999-12-31', { Pro: 1 }],
    ]);
  });

  it('saves the catalog and the rules only over the version the writer read, when it says which', async () => {
    const t = (await store.createTenant({ id: tenantId(), name: 'Versions' })).id;
    expect((await store.putCatalog(t, defaultCatalog, { expectedVersion: 1 })).version).toBe(2);
    const stale = await store.putCatalog(t, defaultCatalog, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ currentVersion: 2 });
    expect((await store.putCatalog(t, defaultCatalog)).version).toBe(3);
    expect((await store.putRules(t, [], { expectedVersion: 1 })).version).toBe(2);
    await expect(store.putRules(t, [], { expectedVersion: 1 })).rejects.toMatchObject({ currentVersion: 2 });
    expect((await store.getRules(t)).version).toBe(2);
  });
});
