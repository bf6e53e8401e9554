import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookSubscriptionsTable } from './schema.js';
import type { WebhookEventType } from './webhook-outbox.js';

/** A tenant's outbound webhook subscription, without its secret. */
export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string;
  readonly enabled: boolean;
  /** `failing` after `failingAfter` consecutive failed attempts, until the next success. */
  readonly status: 'active' | 'failing' | 'disabled';
  readonly consecutiveFailures: number;
  readonly failingSince: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A subscription with its signing secret: answered once, on creation and on rotation. */
export interface WebhookSubscriptionWithSecret extends WebhookSubscription {
  /** Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
  readonly secret: string;
}

export interface NewWebhookSubscription {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string | undefined;
  readonly enabled?: boolean | undefined;
}

export interface WebhookSubscriptionChange {
  readonly url?: string | undefined;
  readonly events?: readonly WebhookEventType[] | undefined;
  readonly description?: string | undefined;
  readonly enabled?: boolean | undefined;
}

/** Most subscriptions one tenant may hold. */
export const MAX_WEBHOOK_SUBSCRIPTIONS = 25;

export class WebhookSubscriptionLimitError extends Error {
  override readonly name = 'WebhookSubscriptionLimitError';
  constructor() {
    super(`A tenant may hold at most ${MAX_WEBHOOK_SUBSCRIPTIONS} webhook subscriptions.`);
  }
}

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const newSubscriptionId = () => `whs_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export function toSubscription(r: Selectable<WebhookSubscriptionsTable>): WebhookSubscription {
  return {
    id: r.subscription_id,
    url: r.url,
    events: r.events as WebhookEventType[],
    description: r.description,
    enabled: r.enabled,
    status: !r.enabled ? 'disabled' : r.failing_since ? 'failing' : 'active',
    consecutiveFailures: r.consecutive_failures,
    failingSince: r.failing_since,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Each event type once, in the order of the list of all types. */
const uniqueEvents = (events: readonly WebhookEventType[]) => JSON.stringify([...new Set(events)]);

export async function createWebhookSubscription(
  db: Kysely<Database>,
  tenantId: string,
  input: NewWebhookSubscription,
): Promise<WebhookSubscriptionWithSecret> {
  return db.transaction().execute(async (trx) => {
    // One writer of a tenant's subscriptions at a time, so the limit holds.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`statuskit:webhooks:${tenantId}`}))`.execute(trx);
    const count = await trx
      .selectFrom('webhook_subscriptions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_WEBHOOK_SUBSCRIPTIONS) throw new WebhookSubscriptionLimitError();
    const secret = newWebhookSecret();
    const row = await trx
      .insertInto('webhook_subscriptions')
      .values({
        tenant_id: tenantId,
        subscription_id: newSubscriptionId(),
        url: input.url,
        events: uniqueEvents(input.events),
        description: input.description ?? '',
        secret,
        enabled: input.enabled ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...toSubscription(row), secret };
  });
}

export async function listWebhookSubscriptions(
  db: Kysely<Database>,
  tenantId: string,
): Promise<WebhookSubscription[]> {
  const rows = await db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('subscription_id')
    .execute();
  return rows.map(toSubscription);
}

export async function getWebhookSubscription(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<WebhookSubscription | undefined> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', id)
    .executeTakeFirst();
  return row ? toSubscription(row) : undefined;
}

/** Changes the given fields; re-enabling clears the failure count. Undefined when there is no such subscription. */
export async function updateWebhookSubscription(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  change: WebhookSubscriptionChange,
): Promise<WebhookSubscription | undefined> {
  const row = await db
    .updateTable('webhook_subscriptions')
    .set({
      updated_at: new Date(),
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: uniqueEvents(change.events) } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      ...(change.enabled === true ? { consecutive_failures: 0, failing_since: null } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toSubscription(row) : undefined;
}

/** Deletes a subscription with its deliveries and their attempts. False when there was none. */
export async function deleteWebhookSubscription(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('webhook_subscriptions')
      .where('tenant_id', '=', tenantId)
      .where('subscription_id', '=', id)
      .executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    await sql`
      DELETE FROM outbound_attempts a USING outbound_deliveries d
      WHERE a.tenant_id = ${tenantId} AND d.tenant_id = ${tenantId} AND d.subscription_id = ${id}
        AND a.delivery_id = d.delivery_id
    `.execute(trx);
    await trx
      .deleteFrom('outbound_deliveries')
      .where('tenant_id', '=', tenantId)
      .where('subscription_id', '=', id)
      .execute();
    return true;
  });
}

/**
 * A new signing secret. For `graceMs` (default 24 h) deliveries are signed with both the new and the old one
 * (Standard Webhooks carries several signatures), so receivers can switch without missing a delivery.
 */
export async function rotateWebhookSecret(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  graceMs = 24 * 60 * 60 * 1000,
): Promise<WebhookSubscriptionWithSecret | undefined> {
  const secret = newWebhookSecret();
  const row = await db
    .updateTable('webhook_subscriptions')
    .set((eb) => ({
      previous_secret: eb.ref('secret'),
      previous_secret_until: new Date(Date.now() + graceMs),
      secret,
      updated_at: new Date(),
    }))
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? { ...toSubscription(row), secret } : undefined;
}
