import { flagSetting, wholeSetting } from '../env-settings.js';

/** How outbound webhooks are sent: the dispatcher's pace, each attempt's timeout, the retry policy. */
export interface WebhookSettings {
  /** Run the dispatcher in this process (STATUSKIT_WEBHOOKS=off: another process delivers). */
  readonly dispatch: boolean;
  /** Allow loopback, private and link-local targets (STATUSKIT_WEBHOOKS_ALLOW_PRIVATE=1). */
  readonly allowPrivate: boolean;
  readonly pollMs: number;
  readonly batchSize: number;
  readonly timeoutMs: number;
  /** First retry delay; doubled per failed attempt, up to retryMaxDelayMs, with jitter (half to all of it). */
  readonly retryBaseMs: number;
  readonly retryMaxDelayMs: number;
  /** Retry for this long after the first attempt (or a replay), then give up (`failed`, can be replayed). */
  readonly retryForMs: number;
  /** Consecutive failed attempts after which a subscription is `failing` (until a success). */
  readonly failingAfter: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  dispatch: true,
  allowPrivate: false,
  pollMs: 1000,
  batchSize: 20,
  timeoutMs: 10_000,
  retryBaseMs: 5_000,
  retryMaxDelayMs: 60 * 60 * 1000,
  retryForMs: 24 * 60 * 60 * 1000,
  failingAfter: 5,
};

/**
 * STATUSKIT_WEBHOOKS (on; off: this process sends none), STATUSKIT_WEBHOOKS_ALLOW_PRIVATE (0),
 * STATUSKIT_WEBHOOKS_POLL_MS (1000), STATUSKIT_WEBHOOKS_BATCH (20), STATUSKIT_WEBHOOKS_TIMEOUT_MS (10000),
 * STATUSKIT_WEBHOOKS_RETRY_BASE_MS (5000), STATUSKIT_WEBHOOKS_RETRY_MAX_DELAY_MS (3600000),
 * STATUSKIT_WEBHOOKS_RETRY_FOR_MS (86400000: 24 h), STATUSKIT_WEBHOOKS_FAILING_AFTER (5). Throws a TypeError
 * naming a setting that is not valid.
 */
export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const d = DEFAULT_WEBHOOK_SETTINGS;
  return {
    dispatch: flagSetting(env, 'STATUSKIT_WEBHOOKS', d.dispatch),
    allowPrivate: flagSetting(env, 'STATUSKIT_WEBHOOKS_ALLOW_PRIVATE', d.allowPrivate),
    pollMs: wholeSetting(env, 'STATUSKIT_WEBHOOKS_POLL_MS', d.pollMs, 10, 3_600_000),
    batchSize: wholeSetting(env, 'STATUSKIT_WEBHOOKS_BATCH', d.batchSize, 1, 1000),
    timeoutMs: wholeSetting(env, 'STATUSKIT_WEBHOOKS_TIMEOUT_MS', d.timeoutMs, 100, 600_000),
    retryBaseMs: wholeSetting(env, 'STATUSKIT_WEBHOOKS_RETRY_BASE_MS', d.retryBaseMs, 1, 86_400_000),
    retryMaxDelayMs: wholeSetting(
      env,
      'STATUSKIT_WEBHOOKS_RETRY_MAX_DELAY_MS',
      d.retryMaxDelayMs,
      1,
      86_400_000,
    ),
    retryForMs: wholeSetting(env, 'STATUSKIT_WEBHOOKS_RETRY_FOR_MS', d.retryForMs, 0, 30 * 86_400_000),
    failingAfter: wholeSetting(env, 'STATUSKIT_WEBHOOKS_FAILING_AFTER', d.failingAfter, 1, 1_000_000),
  };
}

/** The wait before the next attempt after `failures` failed ones: exponential, capped, with jitter. */
export function retryDelayMs(settings: WebhookSettings, failures: number, random = Math.random): number {
  const full = Math.min(
    settings.retryMaxDelayMs,
    settings.retryBaseMs * 2 ** Math.min(30, Math.max(0, failures - 1)),
  );
  return full / 2 + (random() * full) / 2;
}
