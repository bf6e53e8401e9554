import type { Store } from '@statuskit/store';

/** How much of each webhook endpoint's delivery log is kept. */
export interface WebhookLogRetention {
  /** The newest entries kept per endpoint (`STATUSKIT_WEBHOOK_LOG_KEEP`). */
  readonly keep: number;
  /** Entries older than this many days go (`STATUSKIT_WEBHOOK_LOG_DAYS`); 0 keeps them whatever their age. */
  readonly maxAgeDays: number;
  /** Prune an endpoint's log after every Nth delivery (by delivery id; `STATUSKIT_WEBHOOK_LOG_PRUNE_EVERY`). */
  readonly pruneEvery: number;
}

export const DEFAULT_WEBHOOK_LOG_RETENTION: WebhookLogRetention = {
  keep: 10_000,
  maxAgeDays: 90,
  pruneEvery: 100,
};

const DAY_MS = 86_400_000;

/**
 * After a delivery was logged: every `pruneEvery`th one (its id a multiple of it, so roughly every Nth of
 * each endpoint's own deliveries) prunes that endpoint's log to `keep` entries and `maxAgeDays`. The log
 * entry is already committed; a failed prune changes nothing and the next one catches up.
 */
export async function pruneAfterDelivery(
  store: Pick<Store, 'pruneWebhookDeliveries'>,
  retention: WebhookLogRetention,
  at: { tenantId: string; endpointId: string; deliveryId: number; now: Date },
): Promise<void> {
  const every = Math.max(1, Math.floor(retention.pruneEvery));
  if (at.deliveryId % every !== 0) return;
  const before =
    retention.maxAgeDays > 0 ? new Date(at.now.getTime() - retention.maxAgeDays * DAY_MS) : undefined;
  try {
    await store.pruneWebhookDeliveries(at.tenantId, at.endpointId, { keep: retention.keep, before });
  } catch {
    // The delivery itself is saved; the log is pruned at a later delivery.
  }
}
