import {
  type CombineInput,
  combineUpdates,
  compareObservedAt,
  INPUT_LIMITS,
  type MapResult,
  type Observation,
  type StatusUpdate,
} from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import { lockTenant } from './tenant-config.js';

/** What one verified event showed of one subscription, as the endpoint's mapper read it. */
export interface SubscriptionObservation {
  /** Which subscription, and how new this view of it is (the mapper's `observe`). */
  readonly observation: Observation;
  readonly accountId: string;
  /** The status it maps to; undefined when the mapper skipped it (`deleted`, `incomplete`...). */
  readonly update?: StatusUpdate;
  readonly skipReason?: string;
  readonly eventId: string;
  /** The event's time (Stripe `created`, Chargebee `occurred_at`). */
  readonly occurredAt: Date;
}

/** The mapper's way of resolving a customer's several subscriptions into one status. */
export type CombineSubscriptions = (updates: readonly StatusUpdate[]) => StatusUpdate;

/** One subscription of the customer as the endpoint knows it now. */
export interface KnownSubscription {
  readonly object: string;
  readonly status: string | null;
  readonly skipReason: string | null;
}

/** What the customer's subscriptions make of an event. */
export type CombinedOutcome =
  /** Apply `update` (the customer's combined status, `observedAt` set as documented). */
  | {
      readonly kind: 'apply';
      readonly update: StatusUpdate;
      /** The event is older than what is known of its subscription: it changed nothing there. */
      readonly superseded: boolean;
      readonly subscriptions: readonly KnownSubscription[];
    }
  /** Nothing to apply: `why` says whether the event was older than its subscription's newest view, or no subscription gives a status. */
  | { readonly kind: 'none'; readonly why: 'superseded' | 'no-status' | 'skip' };

const MAX_KEY = INPUT_LIMITS.accountIdLength;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the database cannot store NUL
const storableKey = (v: string, max = MAX_KEY) => v.length > 0 && v.length <= max && !/\u0000/.test(v);

/** Whether a subscription id and an account id can be kept in the table (no NUL, not too long). */
export function keepable(observation: Observation, accountId: string): boolean {
  return storableKey(observation.object, 255) && storableKey(accountId);
}

interface Row {
  object_id: string;
  account_id: string;
  observed: number[] | string;
  status: string | null;
  skip_reason: string | null;
  mapped: StatusUpdate | string | null;
  observed_at: Date | null;
}

interface Known {
  readonly object: string;
  readonly accountId: string;
  readonly at: readonly number[];
  readonly update: StatusUpdate | undefined;
  readonly skipReason: string | null;
  readonly observedAt: Date | null;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const known = (r: Row): Known => ({
  object: r.object_id,
  accountId: r.account_id,
  at: json(r.observed),
  update: r.mapped === null ? undefined : json(r.mapped),
  skipReason: r.skip_reason,
  observedAt: r.observed_at,
});

/** A known subscription as `combineUpdates` takes a mapped record: an update or a skip, with its observation. */
const asResult = (k: Known): MapResult =>
  k.update
    ? { kind: 'update', update: k.update, observation: { object: k.object, at: k.at } }
    : { kind: 'skip', reason: k.skipReason ?? 'skip', observation: { object: k.object, at: k.at } };

/** When two views of one subscription are equally new: an update beats a skip; two updates, the mapper's combine. */
function tie(prior: Known, next: Known, combine: CombineSubscriptions | undefined): Known {
  if (!prior.update || !next.update) return next.update ? next : prior;
  if (!combine) return next;
  return combine([prior.update, next.update]) === prior.update ? prior : next;
}

/**
 * Records what an event showed of one subscription and works out the customer's status across all the
 * subscriptions this endpoint has seen of it, exactly as `statuskit map` combines a full export: the newest
 * observation of each subscription (core's `compareObservedAt` / `combineUpdates`, a newer skip such as a
 * deleted subscription superseding older updates), then the mapper's `combine`. Runs inside the caller's
 * transaction, under the tenant's ingest lock, so concurrent events of one customer see each other.
 *
 * The combined update's `observedAt`: the event's time when the event is older than what is known of its
 * subscription (so it is `stale` at the account); otherwise the newest time among the event and the
 * customer's subscriptions that give a status (a late event of another subscription still counts).
 */
export async function observeSubscription(
  trx: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  seen: SubscriptionObservation,
  combine: CombineSubscriptions | undefined,
  receivedAt: Date,
): Promise<CombinedOutcome> {
  await lockTenant(trx, tenantId);
  const object = seen.observation.object;
  const found = await sql<Row>`
    SELECT object_id, account_id, observed, status, skip_reason, mapped, observed_at
    FROM billing_subscriptions
    WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      AND (account_id = ${seen.accountId} OR object_id = ${object})
    ORDER BY object_id`.execute(trx);
  const rows = found.rows.map(known);
  const prior = rows.find((r) => r.object === object);
  const next: Known = {
    object,
    accountId: seen.accountId,
    at: seen.observation.at,
    update: seen.update,
    skipReason: seen.update ? null : (seen.skipReason ?? 'skip'),
    observedAt: seen.update?.observedAt ? new Date(seen.update.observedAt) : seen.occurredAt,
  };
  const order = prior ? compareObservedAt(next.at, prior.at) : 1;
  const winner = !prior || order > 0 ? next : order === 0 ? tie(prior, next, combine) : prior;
  if (winner === next) {
    await sql`
      INSERT INTO billing_subscriptions (tenant_id, endpoint_id, object_id, account_id, observed, status, skip_reason,
                                         mapped, observed_at, event_id, updated_at)
      VALUES (${tenantId}, ${endpointId}, ${object}, ${next.accountId}, ${JSON.stringify(next.at)}::jsonb,
              ${next.update?.status ?? null}, ${next.skipReason},
              ${next.update ? JSON.stringify(next.update) : null}::jsonb, ${next.observedAt}, ${seen.eventId}, ${receivedAt})
      ON CONFLICT (tenant_id, endpoint_id, object_id) DO UPDATE SET
        account_id = excluded.account_id, observed = excluded.observed, status = excluded.status,
        skip_reason = excluded.skip_reason, mapped = excluded.mapped, observed_at = excluded.observed_at,
        event_id = excluded.event_id, updated_at = excluded.updated_at`.execute(trx);
  }
  const superseded = winner !== next;
  // A skip that changes nothing the customer's status is made of (a new subscription still `incomplete`, an
  // older skip) moves nothing: it is logged as the mapper's skip.
  if (!seen.update && (superseded || !prior?.update)) return { kind: 'none', why: 'skip' };
  const account = [
    ...rows.filter((r) => r.accountId === seen.accountId && r.object !== object),
    ...(winner.accountId === seen.accountId ? [winner] : []),
  ].sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
  const [combined] = combineUpdates(combine ? { combine } : {}, account.map(asResult) as CombineInput[]);
  if (!combined) return { kind: 'none', why: superseded ? 'superseded' : 'no-status' };
  const newest = superseded
    ? seen.occurredAt
    : new Date(
        Math.max(
          seen.occurredAt.getTime(),
          ...account.filter((k) => k.update && k.observedAt).map((k) => (k.observedAt as Date).getTime()),
        ),
      );
  return {
    kind: 'apply',
    update: { ...combined, observedAt: newest.toISOString() },
    superseded,
    subscriptions: account.map((k) => ({
      object: k.object,
      status: k.update?.status ?? null,
      skipReason: k.update ? null : k.skipReason,
    })),
  };
}

/** `combined over 2 subscriptions: sub_a Pro, sub_b Cancelled`, for the delivery log (at most 10 named). */
export function describeSubscriptions(subscriptions: readonly KnownSubscription[]): string | undefined {
  if (subscriptions.length < 2) return undefined;
  const named = subscriptions
    .slice(0, 10)
    .map((s) => `${s.object} ${s.status ?? `(${s.skipReason ?? 'no status'})`}`);
  return `combined over ${subscriptions.length} subscriptions: ${named.join(', ')}${subscriptions.length > 10 ? ', …' : ''}`;
}
