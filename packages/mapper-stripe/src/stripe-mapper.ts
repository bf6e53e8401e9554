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

/** What an in-between Stripe status becomes. `paying`: the plan's paying status. */

export interface StripePlan {
  /** The statuskit status of this plan (a paying status of the catalog). */
  readonly status: string;
  readonly prices?: readonly string[];
  readonly lookupKeys?: readonly string[];
  readonly products?: readonly string[];
}

export interface StripeMapperConfig {
  /** Plans from the highest to the lowest: a subscription takes the first plan any of its items matches. */
  readonly plans: readonly StripePlan[];
  /** Status for `trialing` (default `Trial`). */
  readonly trialStatus?: string;
  /** Status for `canceled`, `incomplete_expired` (default `Cancelled`). */
  readonly cancelledStatus?: string;
  /** Status for test-mode objects (`livemode: false`), or `skip` (default `Internal-use`). */
  readonly testModeStatus?: string;
  /** `past_due`: payment failed, retries running. Default `paying`. */
  readonly pastDue?: InBetween;
  /** `unpaid`: retries exhausted, invoices left open. Default `cancelled`. */
  readonly unpaid?: InBetween;
  /** `paused`: trial ended without a payment method. Default `cancelled`. */
  readonly paused?: InBetween;
  /** `incomplete`: first payment not made yet. Default `skip` (not yet a customer). */
  readonly incomplete?: InBetween;
  /** `active` with `pause_collection` set (invoicing paused). Default `paying`. */
  readonly pauseCollection?: InBetween;
  /** Where the account id comes from: the Stripe customer (default) or a subscription metadata key. */
  readonly accountId?: 'customer' | { readonly metadata: string };
}

export const stripeMapperConfigSchema = z
  .object({
    plans: z
      .array(
        z
          .object({
            status: z.string().min(1),
            prices: z.array(z.string()).optional(),
            lookupKeys: z.array(z.string()).optional(),
            products: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
    trialStatus: z.string().min(1).optional(),
    cancelledStatus: z.string().min(1).optional(),
    testModeStatus: z.string().min(1).optional(),
    pastDue: inBetweenSchema.optional(),
    unpaid: inBetweenSchema.optional(),
    paused: inBetweenSchema.optional(),
    incomplete: inBetweenSchema.optional(),
    pauseCollection: inBetweenSchema.optional(),
    accountId: z
      .union([z.literal('customer'), z.object({ metadata: z.string().min(1) }).strict()])
      .optional(),
  })
  .strict();

const idOrObject = z.union([z.string(), z.object({ id: z.string() }).passthrough()]);
const ts = z.number().int().nonnegative();
const subscriptionSchema = z
  .object({
    id: z.string().min(1),
    object: z.literal('subscription'),
    status: z.string(),
    customer: idOrObject,
    livemode: z.boolean(),
    created: ts,
    start_date: ts.optional(),
    current_period_start: ts.nullable().optional(),
    canceled_at: ts.nullable().optional(),
    ended_at: ts.nullable().optional(),
    trial_start: ts.nullable().optional(),
    trial_end: ts.nullable().optional(),
    cancel_at_period_end: z.boolean().optional(),
    pause_collection: z
      .object({ behavior: z.string(), resumes_at: ts.nullable().optional() })
      .passthrough()
      .nullable()
      .optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    items: z
      .object({
        data: z.array(
          z
            .object({
              created: ts.optional(),
              current_period_start: ts.nullable().optional(),
              price: z
                .object({ id: z.string(), lookup_key: z.string().nullable().optional(), product: idOrObject })
                .passthrough(),
            })
            .passthrough(),
        ),
      })
      .passthrough(),
  })
  .passthrough();

const eventSchema = z
  .object({
    object: z.literal('event'),
    id: z.string(),
    type: z.string(),
    created: ts,
    data: z.object({ object: subscriptionSchema }).passthrough(),
  })
  .passthrough();

/** A Stripe Subscription, or a webhook Event whose `data.object` is one (`customer.subscription.*`). */
export const stripeInputSchema = z.union([eventSchema, subscriptionSchema]);
export type StripeSubscription = z.output<typeof subscriptionSchema>;

const id = (v: string | { id: string }) => (typeof v === 'string' ? v : v.id);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The latest of a subscription's own timestamps (created, period start, cancellation, end, items...). */
function ownTime(sub: StripeSubscription): number {
  const stamps = [
    sub.created,
    sub.start_date,
    sub.current_period_start,
    sub.canceled_at,
    sub.ended_at,
    sub.trial_start,
    ...sub.items.data.flatMap((i) => [i.created, i.current_period_start]),
  ];
  return Math.max(...stamps.filter((t): t is number => typeof t === 'number'));
}

/** `canceled` and `incomplete_expired` are final: Stripe never changes such a subscription again. */
const FINAL = new Set(['canceled', 'incomplete_expired']);

type StripeInput = z.output<typeof stripeInputSchema>;
const eventOf = (input: StripeInput) => (input.object === 'event' ? input : undefined);
const subscriptionOf = (input: StripeInput) => eventOf(input)?.data.object ?? (input as StripeSubscription);

export interface StripeMapper extends Mapper<typeof stripeInputSchema> {
  /** The plan a subscription's items match, highest first, or undefined. */
  planOf(subscription: StripeSubscription): StripePlan | undefined;
}

/**
 * Stripe subscriptions to statuses. `observedAt` is the event's `created`, or for a bare object the latest
 * of its own timestamps: never the clock, so replays and out-of-order webhooks cannot move an account back.
 */
export function stripeMapper(config: StripeMapperConfig): StripeMapper {
  parseMapperConfig(stripeMapperConfigSchema, config, 'Stripe');
  const trial = config.trialStatus ?? 'Trial';
  const cancelled = config.cancelledStatus ?? 'Cancelled';
  const testMode = config.testModeStatus ?? 'Internal-use';
  const planOf = (sub: StripeSubscription) =>
    config.plans.find((plan) =>
      sub.items.data.some(
        ({ price }) =>
          plan.prices?.includes(price.id) ||
          (price.lookup_key != null && plan.lookupKeys?.includes(price.lookup_key)) ||
          plan.products?.includes(id(price.product)),
      ),
    );

  const mapper = defineMapper({
    name: 'stripe',
    input: stripeInputSchema,
    map(input) {
      const event = eventOf(input);
      const sub = subscriptionOf(input);
      const accountId =
        config.accountId && config.accountId !== 'customer'
          ? sub.metadata?.[config.accountId.metadata]
          : id(sub.customer);
      if (!accountId)
        return skip(
          'missing-account-id',
          `subscription ${sub.id} has no metadata.${(config.accountId as { metadata: string }).metadata}`,
        );
      const observedAt = iso(event ? event.created : ownTime(sub));
      const attributes = {
        stripeSubscription: sub.id,
        stripeStatus: sub.status,
        cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
        prices: sub.items.data.map((i) => i.price.id),
      };
      const update = (status: string): StatusUpdate => ({ accountId, status, observedAt, attributes });
      if (!sub.livemode)
        return config.testModeStatus === 'skip' ? skip('test-mode', sub.id, accountId) : update(testMode);
      const paying = () => {
        const plan = planOf(sub);
        return plan
          ? update(plan.status)
          : skip('unmapped-price', `no plan for prices ${attributes.prices.join(', ')}`, accountId);
      };
      const resolve = (choice: InBetween, why: string) =>
        resolveInBetween(choice, {
          paying,
          trial: () => update(trial),
          cancelled: () => update(cancelled),
          skip: () => skip(why, sub.id, accountId),
        });
      switch (sub.status) {
        case 'trialing':
          return update(trial);
        case 'active':
          return sub.pause_collection
            ? resolve(config.pauseCollection ?? 'paying', 'collection-paused')
            : paying();
        case 'past_due':
          return resolve(config.pastDue ?? 'paying', 'past-due');
        case 'unpaid':
          return resolve(config.unpaid ?? 'cancelled', 'unpaid');
        case 'paused':
          return resolve(config.paused ?? 'cancelled', 'paused');
        case 'incomplete':
          return resolve(config.incomplete ?? 'skip', 'incomplete');
        case 'canceled':
        case 'incomplete_expired':
          return update(cancelled);
        default:
          return skip('unknown-stripe-status', sub.status, accountId);
      }
    },
    // One subscription's events: the newest wins (the event's time, then the subscription's own latest
    // timestamp, then a final state over any other: nothing follows a cancellation).
    observe(input) {
      const sub = subscriptionOf(input);
      const own = ownTime(sub);
      return { object: sub.id, at: [eventOf(input)?.created ?? own, own, FINAL.has(sub.status) ? 1 : 0] };
    },
    // A customer with several subscriptions: paying beats trial beats cancelled; the higher plan wins.
    combine: combineByPlan(
      config.plans.map((p) => p.status),
      { trial, cancelled },
    ),
  });
  return Object.freeze({ ...mapper, planOf });
}
