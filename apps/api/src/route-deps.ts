import type { Store } from '@statuskit/store';
import type { AuthOptions } from './auth.js';
import type { WebhookLogRetention } from './webhooks/log-retention.js';

/** What the route modules need besides the app. */
export interface RouteDeps {
  readonly store: Store;
  readonly now: () => Date;
  readonly maxFutureSkewMs: number;
  readonly auth: AuthOptions;
  /** How much of each webhook endpoint's delivery log is kept. */
  readonly webhookLogRetention: WebhookLogRetention;
}
