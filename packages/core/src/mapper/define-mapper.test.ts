import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeMapperConformance, expectNewestWins } from '../testing/index.js';
import { combineByRank, combineUpdates, defineMapper, newestPerObject, skip } from './define-mapper.js';

/** A tiny mapper in the shape integrators write: one billing "plan" field to a status. */
const planMapper = defineMapper({
  name: 'example-plan',
  input: z.object({ customer: z.string().min(1), plan: z.string().nullable(), updated: z.number().int() }),
  map(record) {
    if (record.plan === null)
      return skip('no-plan', `customer ${record.customer} has no plan`, record.customer);
    const status = { gold: 'Enterprise', silver: 'Pro', trial: 'Trial', gone: 'Cancelled' }[record.plan];
    if (!status) return skip('unmapped-plan', record.plan, record.customer);
    return { accountId: record.customer, status, observedAt: new Date(record.updated * 1000).toISOString() };
  },
});

describeMapperConformance(planMapper, {
  valid: [
    {
      name: 'gold',
      record: { customer: 'c1', plan: 'gold', updated: 1767225600 },
      expect: { accountId: 'c1', status: 'Enterprise', observedAt: '2026-01-01T00:00:00.000Z' },
    },
    {
      name: 'trial',
      record: { customer: 'c2', plan: 'trial', updated: 1767225600 },
      expect: { status: 'Trial' },
    },
    { name: 'no plan', record: { customer: 'c3', plan: null, updated: 1 }, expect: { skip: 'no-plan' } },
  ],
  invalid: [{ record: { customer: '', plan: 'gold', updated: 1 } }, { record: { customer: 'c1' } }],
});

describe('defineMapper', () => {
  it('reports a skip with its reason and account', () => {
    expect(planMapper.map({ customer: 'c9', plan: 'bronze', updated: 1 })).toEqual({
      kind: 'skip',
      reason: 'unmapped-plan',
      detail: 'bronze',
      accountId: 'c9',
    });
  });

  it('turns a throwing or malformed mapper into a skip, never an exception', () => {
    const throwing = defineMapper({
      name: 'boom',
      input: z.unknown(),
      map: () => {
        throw new Error('kaput');
      },
    });
    expect(throwing.map({})).toEqual({ kind: 'skip', reason: 'mapper-error', detail: 'kaput' });
    const malformed = defineMapper({
      name: 'bad-out',
      input: z.unknown(),
      map: () => ({ accountId: '', status: 'Pro' }),
    });
    expect(malformed.map({})).toMatchObject({
      kind: 'skip',
      reason: 'invalid-output',
      issues: [{ at: 'accountId' }],
    });
  });

  it('stamps the source as mapper:<name>', () => {
    expect(planMapper.map({ customer: 'c1', plan: 'silver', updated: 0 })).toMatchObject({
      kind: 'update',
      update: { source: 'mapper:example-plan' },
    });
  });

  it('rejects names that cannot be a source', () => {
    expect(() => defineMapper({ name: 'Has Spaces', input: z.unknown(), map: () => skip('x') })).toThrow(
      /mapper name/,
    );
  });
});

describe('combineByRank', () => {
  it('picks the highest rank, then the latest observation, whatever the order', async () => {
    const { combineByRank, combineUpdates } = await import('./define-mapper.js');
    const rank = (u: { status: string }) => ({ Enterprise: 3, Pro: 2, Trial: 1 })[u.status] ?? 0;
    const combine = combineByRank(rank);
    const a = { accountId: 'c', status: 'Pro', observedAt: '2026-01-02T00:00:00.000Z' };
    const b = { accountId: 'c', status: 'Enterprise', observedAt: '2026-01-01T00:00:00.000Z' };
    const c = { accountId: 'c', status: 'Pro', observedAt: '2026-01-03T00:00:00.000Z' };
    expect(combine([a, b, c])).toBe(b);
    expect(combine([c, b, a])).toBe(b);
    expect(combine([a, c])).toBe(c);
    expect(combine([c, a])).toBe(c);
    expect(combineUpdates({ combine }, [a, { accountId: 'd', status: 'Trial' }, b])).toEqual([
      b,
      { accountId: 'd', status: 'Trial' },
    ]);
    expect(combineUpdates({}, [c, a])).toEqual([c]);
  });
});

/** A mapper of contract webhooks: several contracts per customer, several webhooks per contract. */
const RANK: Record<string, number> = { Enterprise: 3, Pro: 2, Trial: 1 };
const contractDefinition = {
  name: 'example-contract',
  input: z.object({ customer: z.string(), contract: z.string(), plan: z.string(), at: z.number() }),
  map(r: { customer: string; plan: string; at: number }) {
    if (r.plan === 'paused') return skip('paused', undefined, r.customer);
    const status = { gold: 'Enterprise', silver: 'Pro', trial: 'Trial', gone: 'Cancelled' }[r.plan];
    return status
      ? { accountId: r.customer, status, observedAt: new Date(r.at * 1000).toISOString() }
      : skip('unmapped-plan', r.plan, r.customer);
  },
  combine: combineByRank((u) => RANK[u.status] ?? 0),
};
const contractMapper = defineMapper({
  ...contractDefinition,
  observe: (r) => ({ object: r.contract, at: [r.at] }),
});
const hook = (contract: string, plan: string, at: number, customer = 'c1') => ({
  customer,
  contract,
  plan,
  at,
});

describeMapperConformance(contractMapper, {
  valid: [{ record: hook('k1', 'gold', 1), expect: { status: 'Enterprise' } }],
  invalid: [{ record: { customer: 'c1' } }],
  history: [
    {
      name: 'gold, then gone',
      records: [hook('k1', 'gold', 1), hook('k1', 'silver', 2), hook('k1', 'gone', 3)],
    },
    { name: 'gold, then paused (a skip)', records: [hook('k1', 'gold', 1), hook('k1', 'paused', 2)] },
    {
      name: 'six webhooks',
      records: ['trial', 'silver', 'gold', 'silver', 'gold', 'gone'].map((plan, i) =>
        hook('k1', plan, i + 1),
      ),
    },
  ],
});

describe('newestPerObject and combineUpdates', () => {
  const map = (r: unknown) => contractMapper.map(r);

  it("keeps each object's newest record, then combines across the account's objects", () => {
    const results = [
      hook('k1', 'gold', 5),
      hook('k2', 'trial', 1),
      hook('k1', 'gone', 9),
      hook('k3', 'silver', 2, 'c2'),
    ].map(map);
    expect(newestPerObject(results)).toMatchObject({ superseded: 1 });
    for (const order of [results, [...results].reverse()])
      expect(
        combineUpdates(contractMapper, order)
          .map((u) => [u.accountId, u.status])
          .sort(),
      ).toEqual([
        ['c1', 'Trial'],
        ['c2', 'Pro'],
      ]);
  });

  it('lets a newer skip supersede older updates, ignores older skips, keeps tied updates for combine', () => {
    const [gold, paused, silver] = [
      hook('k1', 'gold', 1),
      hook('k1', 'paused', 2),
      hook('k1', 'silver', 0),
    ].map(map);
    expect(newestPerObject([gold, paused, silver] as never)).toEqual({ updates: [], superseded: 2 });
    const tiedA = map(hook('k1', 'silver', 7));
    const tiedB = map(hook('k1', 'gold', 7));
    expect(combineUpdates(contractMapper, [tiedA, tiedB, gold] as never).map((u) => u.status)).toEqual([
      'Enterprise',
    ]);
    expect(combineUpdates(contractMapper, [map(hook('k1', 'paused', 1)), tiedA] as never)).toHaveLength(1);
  });

  it('passes bare updates and updates without an observation through', () => {
    const bare = { accountId: 'x', status: 'Pro', observedAt: '2026-01-01T00:00:00.000Z' };
    const unobserved = planMapper.map({ customer: 'y', plan: 'gold', updated: 1 });
    expect(
      newestPerObject([bare, unobserved, planMapper.map({ customer: 'z', plan: null, updated: 1 })]),
    ).toEqual({
      updates: [
        bare,
        {
          accountId: 'y',
          status: 'Enterprise',
          observedAt: '1970-01-01T00:00:01.000Z',
          source: 'mapper:example-plan',
        },
      ],
      superseded: 0,
    });
  });

  it("carries the observation on updates and on the mapper's own skips; a bad one is invalid-output", () => {
    expect(map(hook('k9', 'gold', 4))).toMatchObject({
      kind: 'update',
      observation: { object: 'k9', at: [4] },
    });
    expect(map(hook('k9', 'paused', 5))).toMatchObject({
      kind: 'skip',
      observation: { object: 'k9', at: [5] },
    });
    expect(map({ customer: 'c' })).not.toHaveProperty('observation');
    const bad = defineMapper({
      ...contractDefinition,
      observe: (r) => ({ object: r.contract, at: [Number.NaN] }),
    });
    expect(bad.map(hook('k1', 'gold', 1))).toMatchObject({ kind: 'skip', reason: 'invalid-output' });
  });

  it('holds a mapper with combine but no observe to the history case', () => {
    const blind = defineMapper(contractDefinition);
    const history = { records: [hook('k1', 'gold', 1), hook('k1', 'gone', 2)] };
    expect(() => expectNewestWins(blind, history)).toThrow(/observation/);
    expect(() => expectNewestWins(contractMapper, history)).not.toThrow();
    expect(() => expectNewestWins(contractMapper, { records: [...history.records].reverse() })).toThrow(
      /oldest first/,
    );
    expect(() =>
      expectNewestWins(contractMapper, { records: [hook('k1', 'gold', 1), hook('k1', 'gold', 2)] }),
    ).toThrow(/differently/);
  });
});
