import type { ClaimedDelivery, RetryPolicy, Store } from '@statuskit/store';
import { finishOrAbandon } from '../finish-or-abandon.js';
import type { Logger } from '../logger.js';
import { sendWebhook } from './send.js';
import { retryDelayMs, type WebhookSettings } from './settings.js';

export interface DispatcherHooks {
  /** After each attempt: its result and how long it took. */
  readonly onAttempt?: (result: 'delivered' | 'retry' | 'failed' | 'lost', seconds: number) => void;
  /** After each pass: the deliveries still pending over all tenants (the backlog gauge). */
  readonly onBacklog?: (pending: number) => void;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface WebhookDispatcher {
  /** Sends what is due now (one pass at a time: a call during a pass waits for it). */
  tick(): Promise<void>;
  /**
   * Claims nothing more and waits for the attempts in flight, unless `abandon` aborts first: then it returns
   * `false` at once; the abandoned claims are taken over by any process when their lease runs out.
   */
  stop(abandon?: AbortSignal): Promise<boolean>;
}

/**
 * The outbound webhook dispatcher of one API process: every `pollMs` it claims due deliveries (several
 * processes on one database never claim the same one, see `claimWebhookDeliveries`), sends them in
 * parallel, and records each attempt. A full batch is followed by another pass at once.
 */
export function startWebhookDispatcher(
  store: Store,
  settings: WebhookSettings,
  hooks: DispatcherHooks = {},
): WebhookDispatcher {
  const policy: RetryPolicy = {
    delayMs: (failures) => retryDelayMs(settings, failures),
    retryForMs: settings.retryForMs,
    failingAfter: settings.failingAfter,
  };
  // A claim outlives its attempt's timeout with as much again (and a second) to record the outcome; a claim
  // of a process that died is taken over after that (21 s with the default 10 s timeout).
  const leaseMs = 2 * settings.timeoutMs + 1000;
  let stopped = false;
  let running: Promise<void> | undefined;

  const attempt = async (claim: ClaimedDelivery) => {
    const outcome = await sendWebhook(claim, {
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivate,
    });
    const state = await store.recordWebhookAttempt(claim, outcome, policy);
    const result = state === undefined ? 'lost' : state === 'pending' ? 'retry' : state;
    hooks.onAttempt?.(result, outcome.durationMs / 1000);
    if (!outcome.ok)
      hooks.logger?.[state === 'failed' ? 'warn' : 'info'](
        {
          tenantId: claim.tenantId,
          subscriptionId: claim.subscriptionId,
          deliveryId: claim.deliveryId,
          statusCode: outcome.statusCode,
          error: outcome.error,
          attempt: claim.attempts + 1,
        },
        state === 'failed'
          ? `webhook delivery ${claim.deliveryId} gave up after ${claim.attempts + 1} attempts: ${outcome.error}`
          : `webhook delivery ${claim.deliveryId} failed (${outcome.error}); it is retried`,
      );
  };

  const pass = async () => {
    await claimAndSend();
    if (hooks.onBacklog && !stopped) hooks.onBacklog(await store.webhookBacklog());
  };
  const claimAndSend = async () => {
    while (!stopped) {
      const claimed = await store.claimWebhookDeliveries({ limit: settings.batchSize, leaseMs });
      if (claimed.length === 0) return;
      await Promise.all(
        claimed.map((c) =>
          attempt(c).catch((error: unknown) =>
            hooks.logger?.error(
              { err: error, deliveryId: c.deliveryId },
              'recording a webhook attempt failed',
            ),
          ),
        ),
      );
      if (claimed.length < settings.batchSize) return;
    }
  };
  const tick = () => {
    running ??= pass()
      .catch((error: unknown) =>
        hooks.logger?.error({ err: error }, 'the webhook dispatcher could not claim deliveries'),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, settings.pollMs);
  timer.unref();
  void tick();
  return {
    tick,
    async stop(abandon) {
      stopped = true;
      clearInterval(timer);
      return finishOrAbandon(running, abandon);
    },
  };
}
