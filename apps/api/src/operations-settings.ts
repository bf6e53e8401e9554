import type { StartOptions } from './server.js';

/** The settings of what an operator runs next to the API: metrics, readiness, shutdown. */
export interface OperationsSettings {
  readonly metrics: NonNullable<StartOptions['metrics']>;
  readonly readyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

const ON = new Set(['1', 'true', 'on', 'yes']);
const OFF = new Set(['', '0', 'false', 'off', 'no']);

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * STATUSKIT_METRICS (1 serves /metrics on the API's port), STATUSKIT_METRICS_PORT (a listener of its own,
 * on STATUSKIT_METRICS_HOST, default HOST; it wins over STATUSKIT_METRICS), STATUSKIT_READY_TIMEOUT_MS
 * (2000) and STATUSKIT_SHUTDOWN_TIMEOUT_MS (10000). Throws a TypeError naming a setting that is not valid.
 */
export function operationsSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OperationsSettings {
  const flag = (env.STATUSKIT_METRICS ?? '').toLowerCase();
  if (!ON.has(flag) && !OFF.has(flag))
    throw new TypeError(`STATUSKIT_METRICS must be 1 or 0, got ${JSON.stringify(env.STATUSKIT_METRICS)}`);
  const port = env.STATUSKIT_METRICS_PORT;
  const metrics: OperationsSettings['metrics'] =
    port !== undefined && port !== ''
      ? {
          port: whole(env, 'STATUSKIT_METRICS_PORT', 0, 0, 65535),
          ...(env.STATUSKIT_METRICS_HOST ? { host: env.STATUSKIT_METRICS_HOST } : {}),
        }
      : ON.has(flag)
        ? 'api'
        : false;
  return {
    metrics,
    readyTimeoutMs: whole(env, 'STATUSKIT_READY_TIMEOUT_MS', 2000, 1, 600_000),
    shutdownTimeoutMs: whole(env, 'STATUSKIT_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 3_600_000),
  };
}
