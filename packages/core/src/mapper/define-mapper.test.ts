import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeMapperConformance } from '../testing/index.js';
import { defineMapper, skip } from './define-mapper.js';

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
