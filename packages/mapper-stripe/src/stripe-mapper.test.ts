import { combineUpdates, defaultCatalog } from '@statuskit/core';
import { describeMapperConformance } from '@statuskit/core/testing';
import { describe, expect, it } from 'vitest';
import { event, price, subscription } from './fixtures/subscription.js';
import { stripeMapper } from './stripe-mapper.js';

const ENTERPRISE = price('price_1PmEnt000000000000000001', 'prod_QdEnt0000001', 'enterprise_annual');
const PERSONAL = price('price_1PmPer000000000000000001', 'prod_QdPer0000001', null);
const mapper = stripeMapper({
  plans: [
    { status: 'Enterprise', lookupKeys: ['enterprise_annual', 'enterprise_monthly'] },
    { status: 'Pro', products: ['prod_QdPro0000001'] },
    { status: 'Personal', prices: ['price_1PmPer000000000000000001'] },
  ],
});

const statusOf = (record: unknown) => {
  const r = mapper.map(record, { catalog: defaultCatalog });
  return r.kind === 'update' ? r.update.status : `skip:${r.reason}`;
};

describeMapperConformance(mapper, {
  valid: [
    {
      name: 'active Pro',
      record: subscription(),
      expect: { accountId: 'cus_QdAcme000001', status: 'Pro', observedAt: '2026-01-01T00:00:01.000Z' },
    },
    {
      name: 'trialing',
      record: subscription({ status: 'trialing', trial_start: 1_767_225_600, trial_end: 1_768_435_200 }),
      expect: { status: 'Trial' },
    },
    {
      name: 'canceled',
      record: subscription({ status: 'canceled', canceled_at: 1_768_000_000, ended_at: 1_768_000_000 }),
      expect: { status: 'Cancelled', observedAt: '2026-01-09T23:06:40.000Z' },
    },
    {
      name: 'enterprise by lookup key',
      record: subscription({}, [ENTERPRISE]),
      expect: { status: 'Enterprise' },
    },
    {
      name: 'webhook event',
      record: event('customer.subscription.updated', 1_768_100_000, subscription({}, [PERSONAL])),
      expect: { status: 'Personal', observedAt: '2026-01-11T02:53:20.000Z' },
    },
    {
      name: 'unknown price',
      record: subscription({}, [price('price_unknown', 'prod_unknown')]),
      expect: { skip: 'unmapped-price' },
    },
  ],
  invalid: [
    { record: { object: 'subscription', id: 'sub_x' } },
    { record: event('customer.created', 1, { object: 'customer', id: 'cus_1' }) },
  ],
  history: [
    {
      name: 'downgraded to Personal, then deleted',
      records: [
        event('customer.subscription.created', 1_767_225_600, subscription()),
        event('customer.subscription.updated', 1_793_000_000, subscription({}, [PERSONAL])),
        event(
          'customer.subscription.deleted',
          1_794_500_000,
          subscription({ status: 'canceled', canceled_at: 1_794_500_000, ended_at: 1_794_500_000 }, [
            PERSONAL,
          ]),
        ),
      ],
    },
    {
      name: 'trial, then paying, bare objects',
      records: [
        subscription({ status: 'trialing', trial_start: 1_767_225_600, trial_end: 1_768_435_200 }),
        subscription({ current_period_start: 1_768_435_200 }),
      ],
    },
  ],
});

/** 2026-10-25 and 2026-11-12, in seconds. */
const OCT_25 = Date.UTC(2026, 9, 25) / 1000;
const NOV_12 = Date.UTC(2026, 10, 12) / 1000;

describe("stripeMapper: one subscription's events, in any order", () => {
  const downgraded = event('customer.subscription.updated', OCT_25, subscription({}, [PERSONAL]));
  const deleted = event(
    'customer.subscription.deleted',
    NOV_12,
    subscription({ status: 'canceled', canceled_at: NOV_12, ended_at: NOV_12 }, [PERSONAL]),
  );

  /** What the records combine to, the same forwards and backwards (else the test fails here). */
  const combined = (...records: unknown[]) => {
    const results = records.map((r) => mapper.map(r));
    const forward = combineUpdates(mapper, results);
    expect(combineUpdates(mapper, [...results].reverse())).toEqual(forward);
    return forward.map((u) => [u.accountId, u.status, u.observedAt]);
  };

  it('keeps the newest event of a subscription: deleted after a downgrade is Cancelled, whatever the order', () => {
    expect(combined(downgraded, deleted)).toEqual([
      ['cus_QdAcme000001', 'Cancelled', '2026-11-12T00:00:00.000Z'],
    ]);
  });

  it("breaks a tie of the event's time by the subscription's own timestamps", () => {
    const reactivated = event(
      'customer.subscription.updated',
      NOV_12,
      subscription({ current_period_start: NOV_12 - 10 }, [ENTERPRISE]),
    );
    const trialEnded = event(
      'customer.subscription.updated',
      NOV_12,
      subscription({ status: 'paused', current_period_start: NOV_12 - 20 }),
    );
    expect(combined(trialEnded, reactivated).map(([, status]) => status)).toEqual(['Enterprise']);
    // Same second, same timestamps: a canceled subscription cannot come back, so canceled is the later view.
    const updated = event('customer.subscription.updated', NOV_12, subscription({}, [ENTERPRISE]));
    const canceled = event('customer.subscription.deleted', NOV_12, subscription({ status: 'canceled' }));
    expect(combined(updated, canceled).map(([, status]) => status)).toEqual(['Cancelled']);
  });

  it("then combines across the customer's subscriptions, each by its newest event", () => {
    const other = event('customer.subscription.created', OCT_25 - 86_400, subscription({ id: 'sub_two' }));
    const results = [downgraded, other, deleted].map((r) => mapper.map(r));
    expect(combineUpdates(mapper, results).map((u) => [u.status, u.attributes?.stripeSubscription])).toEqual([
      ['Pro', 'sub_two'],
    ]);
    expect(combineUpdates(mapper, results.reverse()).map((u) => u.status)).toEqual(['Pro']);
  });

  it('drops older updates of a subscription whose newest event is skipped', () => {
    const pastDueSkipped = stripeMapper({
      plans: [{ status: 'Pro', products: ['prod_QdPro0000001'] }],
      pastDue: 'skip',
    });
    const results = [
      event('customer.subscription.created', OCT_25, subscription()),
      event('customer.subscription.updated', NOV_12, subscription({ status: 'past_due' })),
    ].map((r) => pastDueSkipped.map(r));
    expect(results.map((r) => r.kind)).toEqual(['update', 'skip']);
    expect(combineUpdates(pastDueSkipped, results)).toEqual([]);
    expect(combineUpdates(pastDueSkipped, [...results].reverse())).toEqual([]);
  });
});

describe('stripeMapper', () => {
  it('maps every Stripe status with its documented default', () => {
    expect(statusOf(subscription({ status: 'past_due' }))).toBe('Pro');
    expect(statusOf(subscription({ status: 'unpaid' }))).toBe('Cancelled');
    expect(statusOf(subscription({ status: 'paused' }))).toBe('Cancelled');
    expect(statusOf(subscription({ status: 'incomplete' }))).toBe('skip:incomplete');
    expect(statusOf(subscription({ status: 'incomplete_expired' }))).toBe('Cancelled');
    expect(statusOf(subscription({ pause_collection: { behavior: 'void', resumes_at: null } }))).toBe('Pro');
    expect(statusOf(subscription({ status: 'on_hold_someday' }))).toBe('skip:unknown-stripe-status');
  });

  it('lets each in-between state be configured', () => {
    const strict = stripeMapper({
      plans: [{ status: 'Pro', products: ['prod_QdPro0000001'] }],
      pastDue: 'cancelled',
      unpaid: 'skip',
      paused: 'trial',
      incomplete: 'paying',
      pauseCollection: 'cancelled',
    });
    const s = (o: Record<string, unknown>) => {
      const r = strict.map(subscription(o));
      return r.kind === 'update' ? r.update.status : `skip:${r.reason}`;
    };
    expect([
      s({ status: 'past_due' }),
      s({ status: 'unpaid' }),
      s({ status: 'paused' }),
      s({ status: 'incomplete' }),
      s({ pause_collection: { behavior: 'void', resumes_at: null } }),
    ]).toEqual(['Cancelled', 'skip:unpaid', 'Trial', 'Pro', 'Cancelled']);
  });

  it('treats test-mode customers as non-customers', () => {
    expect(statusOf(subscription({ livemode: false }))).toBe('Internal-use');
    const skipTest = stripeMapper({
      plans: [{ status: 'Pro', products: ['prod_QdPro0000001'] }],
      testModeStatus: 'skip',
    });
    expect(skipTest.map(subscription({ livemode: false }))).toMatchObject({
      kind: 'skip',
      reason: 'test-mode',
    });
  });

  it('takes observedAt from the event, so an old webhook arriving late is older, not newer', () => {
    const late = mapper.map(
      event('customer.subscription.updated', 1_767_300_000, subscription({ status: 'trialing' })),
    );
    const recent = mapper.map(event('customer.subscription.updated', 1_767_400_000, subscription()));
    if (late.kind !== 'update' || recent.kind !== 'update') throw new Error('expected updates');
    expect((late.update.observedAt as string) < (recent.update.observedAt as string)).toBe(true);
    expect(mapper.map(event('customer.subscription.updated', 1_767_400_000, subscription()))).toEqual(recent);
  });

  it('gives a customer with several subscriptions one status: paying beats trial beats cancelled, the higher plan wins', () => {
    const updates = [
      subscription({ id: 'sub_a', status: 'canceled', canceled_at: 1_768_000_000 }),
      subscription({ id: 'sub_b', status: 'trialing' }),
      subscription({ id: 'sub_c' }, [PERSONAL]),
      subscription({ id: 'sub_d' }),
      subscription({ id: 'sub_e', customer: 'cus_other' }, [ENTERPRISE]),
    ].map((s) => {
      const r = mapper.map(s);
      if (r.kind !== 'update') throw new Error('expected update');
      return r.update;
    });
    expect(combineUpdates(mapper, updates).map((u) => [u.accountId, u.status])).toEqual([
      ['cus_QdAcme000001', 'Pro'],
      ['cus_other', 'Enterprise'],
    ]);
    expect(combineUpdates(mapper, updates.slice(0, 2)).map((u) => u.status)).toEqual(['Trial']);
  });

  it('accepts an expanded customer and an account id from metadata', () => {
    expect(
      mapper.map(subscription({ customer: { id: 'cus_expanded', object: 'customer', email: 'a@b.c' } })),
    ).toMatchObject({ update: { accountId: 'cus_expanded' } });
    const byMeta = stripeMapper({
      plans: [{ status: 'Pro', products: ['prod_QdPro0000001'] }],
      accountId: { metadata: 'statuskit_account' },
    });
    expect(byMeta.map(subscription({ metadata: { statuskit_account: 'acct-42' } }))).toMatchObject({
      update: { accountId: 'acct-42' },
    });
    expect(byMeta.map(subscription())).toMatchObject({ kind: 'skip', reason: 'missing-account-id' });
  });

  it('rejects a broken config', () => {
    expect(() => stripeMapper({ plans: [] })).toThrow(/plans/);
    expect(() => stripeMapper({ plans: [{ status: 'Pro' }], pastDue: 'maybe' as never })).toThrow(/pastDue/);
  });
});
