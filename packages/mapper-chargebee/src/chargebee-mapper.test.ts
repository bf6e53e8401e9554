import { combineUpdates } from '@statuskit/core';
import { describeMapperConformance } from '@statuskit/core/testing';
import { describe, expect, it } from 'vitest';
import { chargebeeMapper } from './chargebee-mapper.js';
import { customer, event, item, subscription } from './fixtures/subscription.js';

const mapper = chargebeeMapper({
  plans: [
    { status: 'Enterprise', itemIds: ['enterprise'] },
    { status: 'Pro', itemPriceIds: ['pro-USD-Monthly', 'pro-USD-Yearly'] },
    { status: 'Personal', planIds: ['personal-monthly'] },
  ],
});
const statusOf = (record: unknown) => {
  const r = mapper.map(record);
  return r.kind === 'update' ? r.update.status : `skip:${r.reason}`;
};

describeMapperConformance(mapper, {
  valid: [
    {
      name: 'active Pro (PC 2.0)',
      record: subscription(),
      expect: { accountId: '169lyUTUk9CkT1dAq', status: 'Pro', observedAt: '2026-01-01T00:01:40.000Z' },
    },
    {
      name: 'in trial',
      record: subscription({ status: 'in_trial', trial_start: 1_767_225_600, trial_end: 1_768_435_200 }),
      expect: { status: 'Trial' },
    },
    {
      name: 'cancelled',
      record: subscription({ status: 'cancelled', cancelled_at: 1_768_000_000, cancel_reason: 'not_paid' }),
      expect: { status: 'Cancelled' },
    },
    {
      name: 'list entry',
      record: { subscription: subscription({}, [item('enterprise-EUR-Yearly')]), customer: customer() },
      expect: { status: 'Enterprise' },
    },
    {
      name: 'webhook event',
      record: event('subscription_changed', 1_768_200_000, subscription()),
      expect: { status: 'Pro', observedAt: '2026-01-12T06:40:00.000Z' },
    },
    {
      name: 'plan id (PC 1.0)',
      record: subscription({ plan_id: 'personal-monthly' }, []),
      expect: { status: 'Personal' },
    },
    {
      name: 'unknown item price',
      record: subscription({}, [item('gold-USD-Monthly')]),
      expect: { skip: 'unmapped-price' },
    },
  ],
  invalid: [{ record: { id: 'x' } }, { record: event('customer_created', 1, { id: 'only-id' }) }],
  history: [
    {
      name: 'active, then cancelled',
      records: [
        event('subscription_created', 1_767_225_600, subscription()),
        event(
          'subscription_cancelled',
          1_768_000_000,
          subscription({ status: 'cancelled', cancelled_at: 1_768_000_000, updated_at: 1_768_000_000 }),
        ),
      ],
    },
    {
      name: 'in trial, then active, then deleted (list entries)',
      records: [
        {
          subscription: subscription({ status: 'in_trial', updated_at: 1_767_000_000 }),
          customer: customer(),
        },
        { subscription: subscription(), customer: customer() },
        {
          subscription: subscription({ deleted: true, updated_at: 1_768_100_000 }),
          customer: customer(),
        },
      ],
    },
  ],
});

describe("chargebeeMapper: one subscription's events, in any order", () => {
  const active = event('subscription_renewed', 1_768_000_000, subscription());
  const cancelled = event(
    'subscription_cancelled',
    1_768_500_000,
    subscription({ status: 'cancelled', cancelled_at: 1_768_500_000 }),
  );

  /** The statuses the records combine to, the same forwards and backwards (else the test fails here). */
  const combined = (records: readonly unknown[]) => {
    const results = records.map((r) => mapper.map(r));
    const forward = combineUpdates(mapper, results);
    expect(combineUpdates(mapper, [...results].reverse())).toEqual(forward);
    return forward.map((u) => u.status);
  };

  it('keeps the newest event of a subscription: cancelled after active is Cancelled, whatever the order', () => {
    expect(combined([active, cancelled])).toEqual(['Cancelled']);
  });

  it("breaks a tie of the event's time by updated_at, then resource_version", () => {
    const byUpdatedAt = [
      event('subscription_changed', 1_768_000_000, subscription({ updated_at: 1_768_000_000 })),
      event(
        'subscription_changed',
        1_768_000_000,
        subscription({ status: 'in_trial', updated_at: 1_768_000_001 }),
      ),
    ];
    const byVersion = [
      event('subscription_changed', 1_768_000_000, subscription({ resource_version: 1_768_000_000_100 })),
      event(
        'subscription_changed',
        1_768_000_000,
        subscription({ status: 'cancelled', resource_version: 1_768_000_000_900 }),
      ),
    ];
    expect(combined(byUpdatedAt)).toEqual(['Trial']);
    expect(combined(byVersion)).toEqual(['Cancelled']);
  });
});

describe('chargebeeMapper: deleted subscriptions', () => {
  const deleted = subscription({ deleted: true });

  it('skips a deleted subscription with reason deleted by default', () => {
    expect(statusOf(deleted)).toBe('skip:deleted');
    expect(statusOf(event('subscription_deleted', 1_768_000_000, deleted))).toBe('skip:deleted');
    expect(mapper.map(deleted)).toMatchObject({ kind: 'skip', accountId: '169lyUTUk9CkT1dAq' });
  });

  it('drops the older updates of a subscription deleted later', () => {
    const results = [
      event('subscription_created', 1_767_225_600, subscription()),
      event('subscription_deleted', 1_768_000_000, deleted),
    ].map((r) => mapper.map(r));
    expect(combineUpdates(mapper, results)).toEqual([]);
  });

  it('can map a deleted subscription as cancelled, or by its status', () => {
    const plans = [{ status: 'Pro', itemPriceIds: ['pro-USD-Monthly'] }];
    expect(chargebeeMapper({ plans, deleted: 'cancelled' }).map(deleted)).toMatchObject({
      update: { status: 'Cancelled' },
    });
    expect(chargebeeMapper({ plans, deleted: 'skip' }).map(deleted)).toMatchObject({ reason: 'deleted' });
    expect(chargebeeMapper({ plans, deleted: 'by-status' }).map(deleted)).toMatchObject({
      update: { status: 'Pro' },
    });
    expect(() => chargebeeMapper({ plans, deleted: 'keep' as never })).toThrow(/deleted/);
  });
});

describe('chargebeeMapper', () => {
  it('keeps non_renewing paying until the term ends, then cancelled', () => {
    const nonRenewing = subscription({ status: 'non_renewing', cancelled_at: 1_769_904_000 });
    expect(statusOf(event('subscription_cancellation_scheduled', 1_768_000_000, nonRenewing))).toBe('Pro');
    expect(statusOf(event('subscription_changed', 1_769_904_000, nonRenewing))).toBe('Cancelled');
    const early = chargebeeMapper({
      plans: [{ status: 'Pro', itemPriceIds: ['pro-USD-Monthly'] }],
      nonRenewing: 'cancelled',
    });
    expect(early.map(nonRenewing)).toMatchObject({ update: { status: 'Cancelled' } });
  });

  it('skips future and transferred subscriptions and statuses it does not know, with a reason', () => {
    expect(statusOf(subscription({ status: 'future', start_date: 1_770_000_000 }))).toBe('skip:future');
    expect(statusOf(subscription({ status: 'transferred' }))).toBe('skip:transferred');
    expect(statusOf(subscription({ status: 'frozen' }))).toBe('skip:unknown-chargebee-status');
    expect(statusOf(subscription({ status: 'paused', pause_date: 1_768_000_000 }))).toBe('Cancelled');
  });

  it('gives a customer one status across subscriptions', () => {
    const updates = [
      subscription({ id: 's1', status: 'cancelled' }),
      subscription({ id: 's2', status: 'in_trial' }),
      subscription({ id: 's3' }, [item('enterprise-USD-Monthly')]),
    ].map((s) => {
      const r = mapper.map(s);
      if (r.kind !== 'update') throw new Error('expected update');
      return r.update;
    });
    expect(combineUpdates(mapper, updates).map((u) => u.status)).toEqual(['Enterprise']);
    expect(combineUpdates(mapper, updates.slice(0, 2)).map((u) => u.status)).toEqual(['Trial']);
  });

  it('reads the account id from a custom field when configured', () => {
    const byField = chargebeeMapper({
      plans: [{ status: 'Pro', itemPriceIds: ['pro-USD-Monthly'] }],
      accountId: { field: 'cf_crm_account' },
    });
    expect(byField.map(subscription({ cf_crm_account: '0015g00000XyZab' }))).toMatchObject({
      update: { accountId: '0015g00000XyZab' },
    });
    expect(byField.map(subscription({ meta_data: { cf_crm_account: 77 } }))).toMatchObject({
      update: { accountId: '77' },
    });
    expect(byField.map(subscription())).toMatchObject({ kind: 'skip', reason: 'missing-account-id' });
  });
});
