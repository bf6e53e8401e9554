import { INPUT_LIMITS, type Observation, type StatusUpdate } from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import {
  type CombinedOutcome,
  type CombineSubscriptions,
  describeSubscriptions,
  keepable,
  observeSubscription,
} from './billing-subscriptions.js';
import { applyStatusUpdates, type IncomingUpdate, type UpdateOutcome, type UpdateResult } from './ingest.js';
import { checkUpdates, InvalidInputError } from './input-checks.js';
import type { Database } from './schema.js';
import type { TenantConfig } from './tenant-config.js';

/** What became of one delivery a billing system posted. */
export type WebhookDeliveryOutcome = 'applied' | 'skipped' | 'rejected' | 'duplicate';

/** One entry of an endpoint's delivery log. */
export interface WebhookDelivery {
  readonly id: number;
  readonly endpointId: string;
  readonly receivedAt: Date;
  readonly outcome: WebhookDeliveryOutcome;
  /** Why it was skipped or rejected (`unmapped-price`, `signature-mismatch`...). */
  readonly reason: string | null;
  readonly detail: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly accountId: string | null;
  /** The status the event mapped to (applied, or stale: see `result`). */
  readonly status: string | null;
  readonly observedAt: Date | null;
  /** For an applied event: what the account made of it (`stale` when a newer observation won). */
  readonly result: UpdateOutcome | null;
}

/** A verified event, as the mapper left it: a status update or a skip with its reason. */
export interface WebhookEventInput {
  readonly eventId: string;
  readonly eventType: string;
  readonly receivedAt: Date;
  readonly update?: IncomingUpdate;
  readonly skip?: { readonly reason: string; readonly detail?: string; readonly accountId?: string };
  /** How far after `receivedAt` the event's time may be (default 5 minutes). */
  readonly maxFutureSkewMs?: number;
  /**
   * Which subscription the event shows and how new that view is (the mapper's observation). With it, the
   * endpoint keeps the newest view of each subscription and applies the customer's combined status
   * (see `observeSubscription`); without it, the update is applied on its own.
   */
  readonly observation?: Observation;
  /** The event's time (Stripe `created`, Chargebee `occurred_at`); needed with `observation`. */
  readonly occurredAt?: Date;
  /** The mapper's `combine` for a customer's several subscriptions (without it, the newest observation wins). */
  readonly combine?: CombineSubscriptions;
}

export type WebhookEventOutcome =
  | { readonly outcome: 'applied'; readonly deliveryId: number; readonly result: UpdateResult }
  | {
      readonly outcome: 'skipped';
      readonly deliveryId: number;
      readonly reason: string;
      readonly detail?: string;
    }
  | { readonly outcome: 'duplicate'; readonly deliveryId: number; readonly firstReceivedAt: Date };

export interface WebhookDeliveryCounts {
  readonly received: number;
  readonly applied: number;
  readonly duplicate: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly rejected: Readonly<Record<string, number>>;
}

const DETAIL_LENGTH = 1000;

const isoOf = (v: Date | string | undefined) => (v instanceof Date ? v.toISOString() : v);

/**
 * Text from a delivery made storable for the log: NUL and unpaired surrogates replaced, cut to `max`. What a
 * billing system (or anyone posting to the URL) sends must never make the log write fail.
 */
export function logText(value: string | undefined | null, max = DETAIL_LENGTH): string | null {
  if (value === undefined || value === null) return null;
  const clean = value.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what PostgreSQL cannot store
    /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

interface DeliveryRow {
  delivery_id: number | string;
  endpoint_id: string;
  received_at: Date;
  outcome: WebhookDeliveryOutcome;
  reason: string | null;
  detail: string | null;
  event_id: string | null;
  event_type: string | null;
  account_id: string | null;
  status: string | null;
  observed_at: Date | null;
  result: UpdateOutcome | null;
}

const deliveryView = (r: DeliveryRow): WebhookDelivery => ({
  id: Number(r.delivery_id),
  endpointId: r.endpoint_id,
  receivedAt: r.received_at,
  outcome: r.outcome,
  reason: r.reason,
  detail: r.detail,
  eventId: r.event_id,
  eventType: r.event_type,
  accountId: r.account_id,
  status: r.status,
  observedAt: r.observed_at,
  result: r.result,
});

interface LogEntry {
  outcome: WebhookDeliveryOutcome;
  receivedAt: Date;
  reason?: string | undefined;
  detail?: string | undefined;
  eventId?: string | undefined;
  eventType?: string | undefined;
  accountId?: string | undefined;
  status?: string | null | undefined;
  observedAt?: string | undefined;
  result?: UpdateOutcome | undefined;
}

async function log(db: Kysely<Database>, tenantId: string, endpointId: string, e: LogEntry): Promise<number> {
  const observed = e.observedAt !== undefined ? new Date(e.observedAt) : undefined;
  const inserted = await sql<{ delivery_id: number | string }>`
    INSERT INTO webhook_deliveries (tenant_id, endpoint_id, received_at, outcome, reason, detail, event_id, event_type,
                                    account_id, status, observed_at, result)
    VALUES (${tenantId}, ${endpointId}, ${e.receivedAt}, ${e.outcome}, ${logText(e.reason, 200)},
            ${logText(e.detail)}, ${logText(e.eventId, 255)}, ${logText(e.eventType, 200)},
            ${logText(e.accountId, INPUT_LIMITS.accountIdLength)}, ${logText(e.status, INPUT_LIMITS.statusLength)},
            ${observed && !Number.isNaN(observed.getTime()) ? observed : null}, ${e.result ?? null})
    RETURNING delivery_id`.execute(db);
  return Number(inserted.rows[0]?.delivery_id);
}

/** Logs a delivery refused before its event was read (bad signature, wrong credentials, not an event...). */
export async function recordRejectedDelivery(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  rejection: { reason: string; detail?: string; receivedAt: Date; eventId?: string; eventType?: string },
): Promise<number> {
  return log(db, tenantId, endpointId, { outcome: 'rejected', ...rejection });
}

/** Why an update the mapper made cannot be applied as it is (a date too far ahead, text the database refuses). */
function unstorable(update: IncomingUpdate, input: WebhookEventInput) {
  try {
    checkUpdates([update], input.receivedAt, input.maxFutureSkewMs ?? INPUT_LIMITS.futureSkewMs);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const future = error.issues.some((i) => i.code === 'in_future');
    return {
      reason: future ? 'observed-in-future' : 'unstorable-update',
      detail: error.issues.map((i) => `${i.at.replace(/^\[0\]\.?/, '')}: ${i.message}`).join('; '),
    };
  }
}

/**
 * Receives one verified event, in one transaction: its id is recorded for the endpoint (a second delivery of
 * it is a `duplicate` and changes nothing), the update is applied through the normal ingest path (an event
 * older than the account's newest observation is `stale` there and does not move it), and the delivery is
 * logged. Nothing is applied unless all of it commits.
 */
export async function receiveWebhookEvent(
  db: Kysely<Database>,
  config: TenantConfig,
  tenantId: string,
  endpointId: string,
  input: WebhookEventInput,
): Promise<WebhookEventOutcome> {
  const refused = input.update ? unstorable(input.update, input) : undefined;
  const skip = refused ?? input.skip;
  const base = {
    receivedAt: input.receivedAt,
    eventId: input.eventId,
    eventType: input.eventType,
  };
  return db.transaction().execute(async (trx) => {
    const fresh = await sql<{ event_id: string }>`
      INSERT INTO webhook_events (tenant_id, endpoint_id, event_id, received_at)
      VALUES (${tenantId}, ${endpointId}, ${input.eventId}, ${input.receivedAt})
      ON CONFLICT (tenant_id, endpoint_id, event_id) DO NOTHING
      RETURNING event_id`.execute(trx);
    if (fresh.rows.length === 0) {
      const first = await sql<{ received_at: Date }>`
        SELECT received_at FROM webhook_events
        WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId} AND event_id = ${input.eventId}`.execute(
        trx,
      );
      const deliveryId = await log(trx, tenantId, endpointId, { outcome: 'duplicate', ...base });
      return {
        outcome: 'duplicate' as const,
        deliveryId,
        firstReceivedAt: first.rows[0]?.received_at ?? input.receivedAt,
      };
    }
    const combined = refused ? undefined : await combineSubscriptions(trx, tenantId, endpointId, input);
    if (combined?.kind === 'apply') {
      const update = combined.update as IncomingUpdate;
      const applied = await applyStatusUpdates(trx, config, tenantId, [update], {
        receivedAt: input.receivedAt,
        ...(input.maxFutureSkewMs !== undefined ? { maxFutureSkewMs: input.maxFutureSkewMs } : {}),
      });
      if (applied.kind !== 'applied') throw new Error('unexpected idempotency outcome');
      const result = applied.result.results[0] as UpdateResult;
      const notes = [
        result.outcome === 'stale'
          ? combined.superseded
            ? `its subscription has a newer event: the account has a newer observation (${result.currentObservedAt})`
            : `the account has a newer observation (${result.currentObservedAt})`
          : undefined,
        describeSubscriptions(combined.subscriptions),
      ].filter((n): n is string => n !== undefined);
      const deliveryId = await log(trx, tenantId, endpointId, {
        outcome: 'applied',
        ...base,
        accountId: result.accountId,
        status: update.status,
        observedAt: result.observedAt,
        result: result.outcome,
        ...(notes.length > 0 ? { detail: notes.join('; ') } : {}),
      });
      return { outcome: 'applied' as const, deliveryId, result };
    }
    if (combined?.kind === 'none' && combined.why !== 'skip') {
      const accountId = input.update?.accountId ?? input.skip?.accountId;
      const reason = combined.why === 'superseded' ? 'superseded' : (skip?.reason ?? 'no-update');
      const detail =
        combined.why === 'superseded'
          ? `subscription ${input.observation?.object} has a newer event, and no subscription of ${accountId} gives a status`
          : `${skip?.detail ? `${skip.detail}; ` : ''}no other subscription of ${accountId} gives a status`;
      const deliveryId = await log(trx, tenantId, endpointId, {
        outcome: 'skipped',
        ...base,
        reason,
        detail,
        accountId,
        status: input.update?.status,
        observedAt: isoOf(input.update?.observedAt),
      });
      return { outcome: 'skipped' as const, deliveryId, reason, detail };
    }
    if (skip || !input.update) {
      const reason = skip?.reason ?? 'no-update';
      const deliveryId = await log(trx, tenantId, endpointId, {
        outcome: 'skipped',
        ...base,
        reason,
        detail: skip?.detail,
        accountId: input.update?.accountId ?? input.skip?.accountId,
        status: input.update?.status,
        observedAt: isoOf(input.update?.observedAt),
      });
      return {
        outcome: 'skipped' as const,
        deliveryId,
        reason,
        ...(skip?.detail !== undefined ? { detail: skip.detail } : {}),
      };
    }
    const applied = await applyStatusUpdates(trx, config, tenantId, [input.update], {
      receivedAt: input.receivedAt,
      ...(input.maxFutureSkewMs !== undefined ? { maxFutureSkewMs: input.maxFutureSkewMs } : {}),
    });
    if (applied.kind !== 'applied') throw new Error('unexpected idempotency outcome');
    const result = applied.result.results[0] as UpdateResult;
    const deliveryId = await log(trx, tenantId, endpointId, {
      outcome: 'applied',
      ...base,
      accountId: result.accountId,
      status: input.update.status,
      observedAt: result.observedAt,
      result: result.outcome,
      ...(result.outcome === 'stale'
        ? { detail: `the account has a newer observation (${result.currentObservedAt})` }
        : {}),
    });
    return { outcome: 'applied' as const, deliveryId, result };
  });
}

/**
 * The subscription path of an event: when the mapper observed a subscription and both ids can be kept,
 * records the view and returns what the customer's subscriptions make of it; undefined otherwise (the
 * update, if any, is then applied on its own).
 */
async function combineSubscriptions(
  trx: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  input: WebhookEventInput,
): Promise<CombinedOutcome | undefined> {
  const { observation, update, skip } = input;
  const accountId = update?.accountId ?? skip?.accountId;
  if (!observation || accountId === undefined || !keepable(observation, accountId)) return undefined;
  if (update && typeof update.status !== 'string') return undefined;
  const occurredAt = input.occurredAt ?? (update?.observedAt ? new Date(update.observedAt) : undefined);
  if (!occurredAt || Number.isNaN(occurredAt.getTime())) return undefined;
  const mapped: StatusUpdate | undefined = update
    ? ({
        ...update,
        status: update.status as string,
        ...(update.observedAt !== undefined ? { observedAt: isoOf(update.observedAt) as string } : {}),
      } as StatusUpdate)
    : undefined;
  return observeSubscription(
    trx,
    tenantId,
    endpointId,
    {
      observation,
      accountId,
      ...(mapped ? { update: mapped } : {}),
      ...(skip ? { skipReason: skip.reason } : {}),
      eventId: input.eventId,
      occurredAt,
    },
    input.combine,
    input.receivedAt,
  );
}

/**
 * Prunes an endpoint's delivery log: keeps its newest `keep` entries and drops those received before
 * `before`. Returns how many went. Cheap enough to run every Nth delivery: one index range per endpoint.
 */
export async function pruneWebhookDeliveries(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  retention: { keep: number; before?: Date | undefined },
): Promise<number> {
  const keep = Math.max(0, Math.floor(retention.keep));
  const cut = await sql<{ delivery_id: number | string }>`
    SELECT delivery_id FROM webhook_deliveries
    WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
    ORDER BY delivery_id DESC
    OFFSET ${keep} LIMIT 1`.execute(db);
  const over = cut.rows[0]?.delivery_id;
  if (over === undefined && retention.before === undefined) return 0;
  const gone = await sql`
    DELETE FROM webhook_deliveries
    WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      AND (${over !== undefined ? sql`delivery_id <= ${over}` : sql`false`}
           ${retention.before !== undefined ? sql`OR received_at < ${retention.before}` : sql``})`.execute(
    db,
  );
  return Number(gone.numAffectedRows ?? 0);
}

/** An endpoint's deliveries, newest first; `before` is the `id` of the last one of the previous page. */
export async function listWebhookDeliveries(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  page: { before?: number | undefined; limit: number; outcome?: WebhookDeliveryOutcome | undefined },
): Promise<WebhookDelivery[]> {
  const found = await sql<DeliveryRow>`
    SELECT delivery_id, endpoint_id, received_at, outcome, reason, detail, event_id, event_type, account_id, status,
           observed_at, result
    FROM webhook_deliveries
    WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      ${page.before !== undefined ? sql`AND delivery_id < ${page.before}` : sql``}
      ${page.outcome !== undefined ? sql`AND outcome = ${page.outcome}` : sql``}
    ORDER BY delivery_id DESC
    LIMIT ${page.limit}`.execute(db);
  return found.rows.map(deliveryView);
}

/** How many deliveries the endpoint has had, by outcome, skips and rejections by reason. */
export async function webhookDeliveryCounts(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
): Promise<WebhookDeliveryCounts> {
  const found = await sql<{ outcome: WebhookDeliveryOutcome; reason: string | null; n: number | string }>`
    SELECT outcome, reason, count(*) AS n FROM webhook_deliveries
    WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
    GROUP BY outcome, reason`.execute(db);
  const counts = {
    received: 0,
    applied: 0,
    duplicate: 0,
    skipped: {} as Record<string, number>,
    rejected: {} as Record<string, number>,
  };
  for (const r of found.rows) {
    const n = Number(r.n);
    counts.received += n;
    if (r.outcome === 'applied') counts.applied += n;
    else if (r.outcome === 'duplicate') counts.duplicate += n;
    else counts[r.outcome][r.reason ?? 'unknown'] = (counts[r.outcome][r.reason ?? 'unknown'] ?? 0) + n;
  }
  return counts;
}
