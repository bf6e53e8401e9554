import {
  combineByPlan,
  defineMapper,
  type InBetween,
  inBetweenSchema,
  type Mapper,
  parseMapperConfig,
  resolveInBetween,
  type StatusUpdate,
  skip,
} from '@statuskit/core/mapper';
import * as z from 'zod';

export interface ChargebeePlan {
  /** The statuskit status of this plan (a paying status of the catalog). */
  readonly status: string;
  /** Product Catalog 2.0 item price ids (`pro-USD-monthly`). */
  readonly itemPriceIds?: readonly string[];
  /** Product Catalog 2.0 item ids: an item price id without its currency and period suffix is not enough, list them here. */
  readonly itemIds?: readonly string[];
  /** Product Catalog 1.0 plan ids. */
  readonly planIds?: readonly string[];
}

export interface ChargebeeMapperConfig {
  /** Plans from the highest to the lowest: a subscription takes the first plan it matches. */
  readonly plans: readonly ChargebeePlan[];
  readonly trialStatus?: string;
  readonly cancelledStatus?: string;
  /**
   * `non_renewing` (cancels at term end). Default `paying-until-term-end`: paying while the observation is
   * before `current_term_end`, cancelled after.
   */
  readonly nonRenewing?: 'paying-until-term-end' | InBetween;
  /** `paused`. Default `cancelled`. */
  readonly paused?: InBetween;
  /** `future` (starts later). Default `skip`: not yet a customer. */
  readonly future?: InBetween;
  /**
   * A subscription with `deleted: true` (deleted in Chargebee, as a `subscription_deleted` event carries it).
   * Default `skip` (reason `deleted`: it gives no status, and older records of it are superseded);
   * `cancelled`: the Cancelled status; `by-status`: mapped by its status as if not deleted.
   */
  readonly deleted?: 'skip' | 'cancelled' | 'by-status';
  /** Where the account id comes from: `customer_id` (default) or a `cf_` custom field / meta_data key. */
  readonly accountId?: 'customer_id' | { readonly field: string };
}

export const chargebeeMapperConfigSchema = z
  .object({
    plans: z
      .array(
        z
          .object({
            status: z.string().min(1),
            itemPriceIds: z.array(z.string()).optional(),
            itemIds: z.array(z.string()).optional(),
            planIds: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
    trialStatus: z.string().min(1).optional(),
    cancelledStatus: z.string().min(1).optional(),
    nonRenewing: z.union([z.literal('paying-until-term-end'), inBetweenSchema]).optional(),
    paused: inBetweenSchema.optional(),
    future: inBetweenSchema.optional(),
    deleted: z.enum(['skip', 'cancelled', 'by-status']).optional(),
    accountId: z
      .union([z.literal('customer_id'), z.object({ field: z.string().min(1) }).strict()])
      .optional(),
  })
  .strict();

const ts = z.number().int().nonnegative();
const subscriptionSchema = z
  .object({
    id: z.string().min(1),
    customer_id: z.string().min(1),
    status: z.string(),
    object: z.literal('subscription').optional(),
    plan_id: z.string().nullable().optional(),
    subscription_items: z
      .array(z.object({ item_price_id: z.string(), item_type: z.string().optional() }).passthrough())
      .optional(),
    created_at: ts.optional(),
    started_at: ts.nullable().optional(),
    activated_at: ts.nullable().optional(),
    cancelled_at: ts.nullable().optional(),
    updated_at: ts.optional(),
    resource_version: z.number().optional(),
    deleted: z.boolean().optional(),
    current_term_end: ts.nullable().optional(),
    meta_data: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .passthrough();

const eventSchema = z
  .object({
    id: z.string(),
    object: z.literal('event').optional(),
    event_type: z.string(),
    occurred_at: ts,
    content: z.object({ subscription: subscriptionSchema }).passthrough(),
  })
  .passthrough();

/** A list-API entry: `{ subscription: {...}, customer: {...} }`. */
const entrySchema = z.object({ subscription: subscriptionSchema }).passthrough();

/** A Chargebee subscription, a list entry wrapping one, or a webhook event whose content has one. */
export const chargebeeInputSchema = z.union([eventSchema, entrySchema, subscriptionSchema]);
export type ChargebeeSubscription = z.output<typeof subscriptionSchema>;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

type ChargebeeInput = z.output<typeof chargebeeInputSchema>;
const eventOf = (input: ChargebeeInput) =>
  'event_type' in input ? (input as z.output<typeof eventSchema>) : undefined;
const subscriptionOf = (input: ChargebeeInput): ChargebeeSubscription =>
  eventOf(input)?.content.subscription ??
  ('subscription' in input && typeof input.subscription === 'object'
    ? (input as z.output<typeof entrySchema>).subscription
    : (input as ChargebeeSubscription));

/** When a record saw its subscription: the event's `occurred_at`, else `updated_at`, `resource_version`, or the latest other timestamp. */
const observedSeconds = (input: ChargebeeInput, sub: ChargebeeSubscription) =>
  eventOf(input)?.occurred_at ??
  sub.updated_at ??
  (sub.resource_version !== undefined ? Math.floor(sub.resource_version / 1000) : undefined) ??
  Math.max(
    0,
    ...[sub.created_at, sub.started_at, sub.activated_at, sub.cancelled_at].filter(
      (t): t is number => typeof t === 'number',
    ),
  );

export interface ChargebeeMapper extends Mapper<typeof chargebeeInputSchema> {
  planOf(subscription: ChargebeeSubscription): ChargebeePlan | undefined;
}

/**
 * Chargebee subscriptions to statuses. `observedAt` is the event's `occurred_at`, or the subscription's
 * `updated_at` (else `resource_version`): never the clock.
 */
export function chargebeeMapper(config: ChargebeeMapperConfig): ChargebeeMapper {
  parseMapperConfig(chargebeeMapperConfigSchema, config, 'Chargebee');
  const trial = config.trialStatus ?? 'Trial';
  const cancelled = config.cancelledStatus ?? 'Cancelled';
  const planOf = (sub: ChargebeeSubscription) => {
    const prices = (sub.subscription_items ?? [])
      .filter((i) => (i.item_type ?? 'plan') === 'plan')
      .map((i) => i.item_price_id);
    return config.plans.find(
      (plan) =>
        prices.some(
          (p) =>
            plan.itemPriceIds?.includes(p) ||
            plan.itemIds?.some((item) => p === item || p.startsWith(`${item}-`)),
        ) ||
        (sub.plan_id != null && plan.planIds?.includes(sub.plan_id)),
    );
  };

  const mapper = defineMapper({
    name: 'chargebee',
    input: chargebeeInputSchema,
    map(input) {
      const sub = subscriptionOf(input);
      const field =
        config.accountId && config.accountId !== 'customer_id' ? config.accountId.field : undefined;
      const fromField = field ? (sub[field] ?? sub.meta_data?.[field]) : undefined;
      const accountId = field
        ? typeof fromField === 'string' || typeof fromField === 'number'
          ? String(fromField)
          : ''
        : sub.customer_id;
      if (!accountId) return skip('missing-account-id', `subscription ${sub.id} has no ${field}`);
      const seconds = observedSeconds(input, sub);
      const observedAt = iso(seconds);
      const plan = planOf(sub);
      const attributes = {
        chargebeeSubscription: sub.id,
        chargebeeStatus: sub.status,
        itemPrices: (sub.subscription_items ?? []).map((i) => i.item_price_id),
      };
      const update = (status: string): StatusUpdate => ({ accountId, status, observedAt, attributes });
      const paying = () =>
        plan
          ? update(plan.status)
          : skip(
              'unmapped-price',
              `no plan for ${[...attributes.itemPrices, sub.plan_id].filter(Boolean).join(', ')}`,
              accountId,
            );
      const resolve = (choice: InBetween, why: string) =>
        resolveInBetween(choice, {
          paying,
          trial: () => update(trial),
          cancelled: () => update(cancelled),
          skip: () => skip(why, sub.id, accountId),
        });
      if (sub.deleted === true) {
        const choice = config.deleted ?? 'skip';
        if (choice === 'skip') return skip('deleted', `subscription ${sub.id} was deleted`, accountId);
        if (choice === 'cancelled') return update(cancelled);
      }
      switch (sub.status) {
        case 'in_trial':
          return update(trial);
        case 'active':
          return paying();
        case 'non_renewing': {
          const choice = config.nonRenewing ?? 'paying-until-term-end';
          if (choice !== 'paying-until-term-end') return resolve(choice, 'non-renewing');
          const termEnd = sub.current_term_end;
          return termEnd != null && seconds >= termEnd ? update(cancelled) : paying();
        }
        case 'paused':
          return resolve(config.paused ?? 'cancelled', 'paused');
        case 'future':
          return resolve(config.future ?? 'skip', 'future');
        case 'cancelled':
          return update(cancelled);
        case 'transferred':
          return skip('transferred', `subscription ${sub.id} moved to another customer`, accountId);
        default:
          return skip('unknown-chargebee-status', sub.status, accountId);
      }
    },
    // One subscription's events: the newest wins (the event's time, then updated_at, then resource_version).
    observe(input) {
      const sub = subscriptionOf(input);
      return {
        object: sub.id,
        at: [observedSeconds(input, sub), sub.updated_at ?? 0, sub.resource_version ?? 0],
      };
    },
    // A customer with several subscriptions: paying beats trial beats cancelled; the higher plan wins.
    combine: combineByPlan(
      config.plans.map((p) => p.status),
      { trial, cancelled },
    ),
  });
  return Object.freeze({ ...mapper, planOf });
}
