import { randomBytes } from 'node:crypto';
import { type Catalog, classifyStatus } from '@statuskit/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/** The events a webhook subscription can ask for. */
export const WEBHOOK_EVENT_TYPES = [
  'account.status_changed',
  'account.converted',
  'account.churned',
  'account.reactivated',
  'account.unknown',
  'health_run.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One applied status change, as ingest records it (stale updates are not webhook events). */
export interface OutboxStatusChange {
  readonly id: string;
  readonly kind: 'change' | 'stale';
  readonly from: string | null;
  readonly to: string | null;
  readonly fromType: string | null;
  readonly toType: string;
  readonly source: string;
  readonly at: Date;
}

/** One side of a change in a webhook payload. */
export interface WebhookStatusSide {
  readonly status: string | null;
  readonly type: string;
  readonly plan: string | null;
}

/**
 * The event types one change is: `account.status_changed` always; `account.converted` free -> paying,
 * `account.churned` paying -> cancelled, `account.reactivated` cancelled -> paying or free (the transitions
 * the daily metrics count), `account.unknown` when it becomes Unknown from a known type (or is created
 * Unknown).
 */
export function statusEventTypes(fromType: string | null, toType: string): WebhookEventType[] {
  const types: WebhookEventType[] = ['account.status_changed'];
  if (fromType === 'free' && toType === 'paying') types.push('account.converted');
  if (fromType === 'paying' && toType === 'cancelled') types.push('account.churned');
  if (fromType === 'cancelled' && (toType === 'paying' || toType === 'free'))
    types.push('account.reactivated');
  if (toType === 'unknown' && fromType !== 'unknown') types.push('account.unknown');
  return types;
}

type Db = Kysely<Database> | Transaction<Database>;

export const newEventId = (): string => `msg_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
const newDeliveryId = (): string => `dlv_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;

interface OutboxEvent {
  readonly type: WebhookEventType;
  readonly orderingKey: string;
  readonly data: Record<string, unknown>;
}

/**
 * Writes events to the outbox with one delivery per enabled subscription that asks for the event's type, in
 * the caller's transaction: the subscriptions are read (key-share-locked, so one deleted meanwhile waits for
 * this commit) at write time. Fan-out happens here, not at dispatch: a subscription made later gets no
 * earlier events; one disabled now gets none of these. Deliveries are numbered in the order given, which is
 * the order they are sent in per (subscription, ordering key).
 */
async function enqueue(db: Db, tenantId: string, events: readonly OutboxEvent[], at: Date): Promise<number> {
  if (events.length === 0) return 0;
  const subscriptions = await sql<{ subscription_id: string; events: string[] }>`
    SELECT subscription_id, events FROM webhook_subscriptions
    WHERE tenant_id = ${tenantId} AND enabled
    ORDER BY subscription_id
    FOR KEY SHARE
  `.execute(db);
  if (subscriptions.rows.length === 0) return 0;
  const wanted = subscriptions.rows.map((s) => ({ id: s.subscription_id, types: new Set(s.events) }));
  const rows: { event_id: string; type: string; payload: string }[] = [];
  const deliveries: {
    n: number;
    delivery_id: string;
    subscription_id: string;
    event_id: string;
    key: string;
  }[] = [];
  const timestamp = at.toISOString();
  for (const e of events) {
    const takers = wanted.filter((s) => s.types.has(e.type));
    if (takers.length === 0) continue;
    const eventId = newEventId();
    rows.push({
      event_id: eventId,
      type: e.type,
      payload: JSON.stringify({ type: e.type, timestamp, data: e.data }),
    });
    for (const s of takers)
      deliveries.push({
        n: deliveries.length,
        delivery_id: newDeliveryId(),
        subscription_id: s.id,
        event_id: eventId,
        key: e.orderingKey,
      });
  }
  if (rows.length === 0) return 0;
  await sql`
    INSERT INTO outbound_events (tenant_id, event_id, type, payload, created_at)
    SELECT ${tenantId}, e.event_id, e.type, e.payload::jsonb, ${timestamp}::timestamptz
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS e(event_id text, type text, payload text)
  `.execute(db);
  await sql`
    INSERT INTO outbound_deliveries (tenant_id, delivery_id, subscription_id, event_id, ordering_key)
    SELECT ${tenantId}, d.delivery_id, d.subscription_id, d.event_id, d.key
    FROM json_to_recordset(${JSON.stringify(deliveries)}::json)
      AS d(n integer, delivery_id text, subscription_id text, event_id text, key text)
    ORDER BY d.n
  `.execute(db);
  return deliveries.length;
}

const side = (raw: string | null, type: string, catalog: Catalog): WebhookStatusSide => ({
  status: raw,
  type,
  plan: classifyStatus(raw ?? undefined, catalog).plan ?? null,
});

/**
 * The outbox rows of a batch's applied changes (stale ones are skipped), written in the batch's
 * transaction, so a change and its webhook events commit together or not at all. Returns the deliveries
 * made (0 and one cheap query when the tenant has no enabled subscription).
 */
export async function enqueueStatusEvents(
  trx: Db,
  tenantId: string,
  catalog: Catalog,
  changes: readonly OutboxStatusChange[],
  at: Date,
): Promise<number> {
  const events: OutboxEvent[] = [];
  for (const c of changes) {
    if (c.kind !== 'change') continue;
    const data = {
      accountId: c.id,
      from: c.fromType === null ? null : side(c.from, c.fromType, catalog),
      to: side(c.to, c.toType, catalog),
      observedAt: c.at.toISOString(),
      source: c.source,
    };
    for (const type of statusEventTypes(c.fromType, c.toType))
      events.push({ type, orderingKey: `account:${c.id}`, data });
  }
  return enqueue(trx, tenantId, events, at);
}

/** The `health_run.completed` event of a finished (done or failed) run, in the transaction that finishes it. */
export async function enqueueHealthRunEvent(
  trx: Db,
  tenantId: string,
  run: Record<string, unknown>,
  at: Date,
): Promise<number> {
  return enqueue(trx, tenantId, [{ type: 'health_run.completed', orderingKey: 'health_run', data: run }], at);
}
