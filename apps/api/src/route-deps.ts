import type { Store } from '@statuskit/store';
import type { AuthOptions } from './auth.js';

/** What the route modules need besides the app. */
export interface RouteDeps {
  readonly store: Store;
  readonly now: () => Date;
  readonly maxFutureSkewMs: number;
  readonly auth: AuthOptions;
}
