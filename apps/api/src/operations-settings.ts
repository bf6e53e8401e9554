import { flagSetting, wholeSetting } from './env-settings.js';
import type { StartOptions } from './server.js';

/** The settings of what an operator runs next to the API: metrics, readiness, shutdown. */
export interface OperationsSettings {
  readonly metrics: NonNullable<StartOptions['metrics']>;
  readonly readyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

/**
 * STATUSKIT_METRICS (1 serves /metrics on the API's port), STATUSKIT_METRICS_PORT (a listener of its own,
 * on STATUSKIT_METRICS_HOST, default HOST; it wins over STATUSKIT_METRICS), STATUSKIT_READY_TIMEOUT_MS
 * (2000) and STATUSKIT_SHUTDOWN_TIMEOUT_MS (10000). Throws a TypeError naming a setting that is not valid.
 */
export function operationsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OperationsSettings {
  const served = flagSetting(env, 'STATUSKIT_METRICS', false);
  const port = env.STATUSKIT_METRICS_PORT;
  const metrics: OperationsSettings['metrics'] =
    port !== undefined && port !== ''
      ? {
          port: wholeSetting(env, 'STATUSKIT_METRICS_PORT', 0, 0, 65535),
          ...(env.STATUSKIT_METRICS_HOST ? { host: env.STATUSKIT_METRICS_HOST } : {}),
        }
      : served
        ? 'api'
        : false;
  return {
    metrics,
    readyTimeoutMs: wholeSetting(env, 'STATUSKIT_READY_TIMEOUT_MS', 2000, 1, 600_000),
    shutdownTimeoutMs: wholeSetting(env, 'STATUSKIT_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 3_600_000),
  };
}
