import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookAttemptsTable } from './schema.js';

/** A delivery claimed for one attempt: what to send, where, and how to sign it. */
export interface ClaimedDelivery {
  readonly tenantId: string;
  readonly deliveryId: string;
  readonly subscriptionId: string;
  /** The Standard Webhooks message id (`webhook-id`): the event's id, the same on every attempt. */
  readonly eventId: string;
  readonly eventType: string;
  /** The JSON body, exactly as it is signed and sent. */
  readonly payload: string;
  readonly url: string;
  /** The secrets to sign with: the current one, and the previous one during a rotation's grace period. */
  readonly secrets: readonly string[];
  /** Attempts before this one. */
  readonly attempts: number;
  /** Proves this claim when recording its outcome; a claim that expired and was taken over records nothing. */
  readonly leaseToken: string;
}

export interface AttemptOutcome {
  readonly ok: boolean;
  readonly statusCode?: number | undefined;
  readonly error?: string | undefined;
  readonly startedAt: Date;
  readonly durationMs: number;
}

export interface RetryPolicy {
  /** Wait before the next attempt after `attempts` failed ones (backoff with jitter). */
  readonly delayMs: (attempts: number) => number;
  /** Give up (state `failed`) once the next attempt would be later than this after the first (or a replay). */
  readonly retryForMs: number;
  /** Consecutive failed attempts after which the subscription is `failing`. */
  readonly failingAfter: number;
}

export interface OutboundAttempt {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
}

export interface OutboundDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** `pending` (not yet sent, or to be retried), `delivered` (a 2xx answer), `failed` (gave up; can be replayed). */
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
  readonly payload: unknown;
}

export interface OutboundDeliveryDetail extends OutboundDelivery {
  readonly attemptLog: readonly OutboundAttempt[];
}

/**
 * Claims due deliveries for one attempt each, with `FOR UPDATE SKIP LOCKED` so several processes never
 * claim the same one, and a lease (`leaseMs`) so a claim of a process that died is taken over when it
 * expires. Per (subscription, ordering key) only the oldest unfinished delivery is due: a later event of an
 * account waits while an earlier one is pending or being retried. Deliveries of disabled subscriptions wait.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: { limit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  const token = `${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
  const claimed = await sql<{ tenant_id: string; delivery_id: string }>`
    WITH due AS (
      SELECT d.tenant_id, d.delivery_id
      FROM outbound_deliveries d
      JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.subscription_id = d.subscription_id
      WHERE d.state = 'pending' AND d.next_attempt_at <= now()
        AND (d.lease_until IS NULL OR d.lease_until < now())
        AND s.enabled
        AND NOT EXISTS (
          SELECT 1 FROM outbound_deliveries e
          WHERE e.tenant_id = d.tenant_id AND e.subscription_id = d.subscription_id
            AND e.ordering_key = d.ordering_key AND e.state = 'pending' AND e.seq < d.seq)
      ORDER BY d.next_attempt_at, d.seq
      LIMIT ${options.limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE outbound_deliveries w
    SET lease_token = ${token}, lease_until = now() + ${options.leaseMs} * interval '1 millisecond'
    FROM due
    WHERE w.tenant_id = due.tenant_id AND w.delivery_id = due.delivery_id
    RETURNING w.tenant_id, w.delivery_id
  `.execute(db);
  if (claimed.rows.length === 0) return [];
  const rows = await sql<{
    tenant_id: string;
    delivery_id: string;
    subscription_id: string;
    event_id: string;
    type: string;
    payload: unknown;
    url: string;
    secret: string;
    previous_secret: string | null;
    attempts: number;
  }>`
    SELECT d.tenant_id, d.delivery_id, d.subscription_id, d.event_id, e.type, e.payload, s.url, s.secret,
           CASE WHEN s.previous_secret_until > now() THEN s.previous_secret END AS previous_secret, d.attempts
    FROM outbound_deliveries d
    JOIN outbound_events e ON e.tenant_id = d.tenant_id AND e.event_id = d.event_id
    JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.subscription_id = d.subscription_id
    WHERE d.lease_token = ${token}
    ORDER BY d.seq
  `.execute(db);
  return rows.rows.map((r) => ({
    tenantId: r.tenant_id,
    deliveryId: r.delivery_id,
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    eventType: r.type,
    payload: typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload),
    url: r.url,
    secrets: r.previous_secret ? [r.secret, r.previous_secret] : [r.secret],
    attempts: Number(r.attempts),
    leaseToken: token,
  }));
}

/**
 * Records one attempt's outcome under its claim: the attempt in the log, the delivery `delivered`, `pending`
 * again after the backoff, or `failed` once the retry window is over; the subscription's consecutive
 * failures (reset by a success; `failing` from `failingAfter` on). Returns the delivery's new state, or
 * undefined when the claim had been taken over (nothing recorded).
 */
export async function recordAttempt(
  db: Kysely<Database>,
  claim: ClaimedDelivery,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
): Promise<'pending' | 'delivered' | 'failed' | undefined> {
  const delayMs = outcome.ok ? 0 : Math.max(0, Math.round(policy.delayMs(claim.attempts + 1)));
  const error = outcome.error === undefined ? null : outcome.error.slice(0, 500);
  return db.transaction().execute(async (trx) => {
    const updated = await sql<{ state: 'pending' | 'delivered' | 'failed'; attempts: number }>`
      UPDATE outbound_deliveries SET
        attempts = attempts + 1,
        state = CASE WHEN ${outcome.ok} THEN 'delivered'
                     WHEN now() + ${delayMs} * interval '1 millisecond' > retry_from + ${policy.retryForMs} * interval '1 millisecond'
                     THEN 'failed' ELSE 'pending' END,
        next_attempt_at = now() + ${delayMs} * interval '1 millisecond',
        lease_token = NULL, lease_until = NULL,
        last_status_code = ${outcome.statusCode ?? null}::integer,
        last_error = ${error}::text,
        delivered_at = CASE WHEN ${outcome.ok} THEN now() ELSE delivered_at END
      WHERE tenant_id = ${claim.tenantId} AND delivery_id = ${claim.deliveryId} AND lease_token = ${claim.leaseToken}
      RETURNING state, attempts
    `.execute(trx);
    const row = updated.rows[0];
    if (!row) return undefined;
    await trx
      .insertInto('outbound_attempts')
      .values({
        tenant_id: claim.tenantId,
        delivery_id: claim.deliveryId,
        attempt: Number(row.attempts),
        started_at: outcome.startedAt,
        duration_ms: Math.max(0, Math.round(outcome.durationMs)),
        status_code: outcome.statusCode ?? null,
        error,
      })
      .execute();
    if (outcome.ok)
      await sql`
        UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL
        WHERE tenant_id = ${claim.tenantId} AND subscription_id = ${claim.subscriptionId}
          AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)
      `.execute(trx);
    else
      await sql`
        UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,
          failing_since = CASE WHEN failing_since IS NULL AND consecutive_failures + 1 >= ${policy.failingAfter}
                               THEN now() ELSE failing_since END
        WHERE tenant_id = ${claim.tenantId} AND subscription_id = ${claim.subscriptionId}
      `.execute(trx);
    return row.state;
  });
}

const toAttempt = (r: Selectable<WebhookAttemptsTable>): OutboundAttempt => ({
  attempt: r.attempt,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  statusCode: r.status_code,
  error: r.error,
});

function deliveryQuery(db: Kysely<Database>, tenantId: string, subscriptionId: string) {
  return db
    .selectFrom('outbound_deliveries as d')
    .innerJoin('outbound_events as e', (j) =>
      j.onRef('e.tenant_id', '=', 'd.tenant_id').onRef('e.event_id', '=', 'd.event_id'),
    )
    .select([
      'd.delivery_id',
      'd.seq',
      'd.subscription_id',
      'd.event_id',
      'e.type',
      'd.state',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_status_code',
      'd.last_error',
      'd.delivered_at',
      'd.created_at',
      'e.payload',
    ])
    .where('d.tenant_id', '=', tenantId)
    .where('d.subscription_id', '=', subscriptionId);
}

type DeliveryRow = Awaited<ReturnType<ReturnType<typeof deliveryQuery>['executeTakeFirstOrThrow']>>;

const toDelivery = (r: DeliveryRow): OutboundDelivery => ({
  id: r.delivery_id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  eventType: r.type,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.state === 'pending' ? r.next_attempt_at : null,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  payload: r.payload,
});

/** A page of a subscription's deliveries, newest first; `nextCursor` continues after the last one. */
export async function listSubscriptionDeliveries(
  db: Kysely<Database>,
  tenantId: string,
  subscriptionId: string,
  options: { cursor?: string | undefined; limit: number; state?: OutboundDelivery['state'] | undefined },
): Promise<{ deliveries: OutboundDelivery[]; nextCursor: string | null }> {
  let q = deliveryQuery(db, tenantId, subscriptionId);
  const before = options.cursor === undefined ? undefined : Number(options.cursor);
  if (before !== undefined && Number.isSafeInteger(before)) q = q.where('d.seq', '<', before);
  if (options.state !== undefined) q = q.where('d.state', '=', options.state);
  const rows = await q
    .orderBy('d.seq', 'desc')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  return {
    deliveries: page.map(toDelivery),
    nextCursor: rows.length > options.limit ? String(page.at(-1)?.seq) : null,
  };
}

export async function getSubscriptionDelivery(
  db: Kysely<Database>,
  tenantId: string,
  subscriptionId: string,
  deliveryId: string,
): Promise<OutboundDeliveryDetail | undefined> {
  const row = await deliveryQuery(db, tenantId, subscriptionId)
    .where('d.delivery_id', '=', deliveryId)
    .executeTakeFirst();
  if (!row) return undefined;
  const attempts = await db
    .selectFrom('outbound_attempts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .execute();
  return { ...toDelivery(row), attemptLog: attempts.map(toAttempt) };
}

/**
 * Sends a finished (failed or delivered) delivery again: pending now, with a new retry window. `not-found`,
 * or `pending` when it is still being delivered.
 */
export async function replaySubscriptionDelivery(
  db: Kysely<Database>,
  tenantId: string,
  subscriptionId: string,
  deliveryId: string,
): Promise<OutboundDeliveryDetail | 'not-found' | 'pending'> {
  const updated = await sql<{ delivery_id: string }>`
    UPDATE outbound_deliveries SET state = 'pending', next_attempt_at = now(), retry_from = now()
    WHERE tenant_id = ${tenantId} AND subscription_id = ${subscriptionId} AND delivery_id = ${deliveryId}
      AND state <> 'pending'
    RETURNING delivery_id
  `.execute(db);
  const detail = await getSubscriptionDelivery(db, tenantId, subscriptionId, deliveryId);
  if (!detail) return 'not-found';
  if (updated.rows.length === 0) return 'pending';
  return detail;
}

/** Deliveries not yet delivered nor given up, over all tenants (the backlog gauge). */
export async function webhookBacklog(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM outbound_deliveries WHERE state = 'pending'
  `.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
