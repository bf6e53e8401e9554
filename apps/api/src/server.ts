import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { openStore, type Store, type StoreOptions } from '@statuskit/store';
import { type AppOptions, createApp } from './app.js';
import { createLogger, type Logger } from './logger.js';
import { type ApiMetrics, createMetrics } from './metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { createReadiness } from './readiness.js';
import { startHealthScheduler } from './scheduler.js';
import { aborted, closeServer, trackRequests } from './shutdown.js';
import { startWebhookDispatcher } from './webhooks/dispatcher.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './webhooks/settings.js';

export interface StartOptions {
  readonly store?: Store;
  readonly storeOptions?: StoreOptions;
  readonly port?: number;
  readonly host?: string;
  readonly adminToken?: string | undefined;
  /** See AppOptions: future skew of observedAt, failed-authentication limits, trusted proxy. */
  readonly maxFutureSkewMs?: AppOptions['maxFutureSkewMs'];
  readonly authFailureLimits?: AppOptions['authFailureLimits'];
  readonly trustProxy?: AppOptions['trustProxy'];
  readonly publicUrl?: AppOptions['publicUrl'];
  readonly webhookLogRetention?: AppOptions['webhookLogRetention'];
  /** Start the daily health-run scheduler (default true), from this UTC hour. */
  readonly scheduler?: boolean;
  readonly healthRunHourUtc?: number;
  /** Request lines, the scheduler's runs, lost database connections (default: warnings and errors). */
  readonly logger?: Logger;
  /**
   * Prometheus metrics: off (default), served at `/metrics` on the API's listener (`'api'`), or on a
   * listener of their own (`{ port, host }`; host defaults to the API's).
   */
  readonly metrics?: false | 'api' | { readonly port: number; readonly host?: string };
  /** How long `/readyz` waits for the database (default 2 s). */
  readonly readyTimeoutMs?: number;
  /** How long `close()` waits for requests in flight and a health run before cutting them (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** The version reported by the `statuskit_info` metric. */
  readonly version?: string;
  /** Outbound webhooks (default DEFAULT_WEBHOOK_SETTINGS; `dispatch: false` runs no dispatcher here). */
  readonly webhooks?: WebhookSettings;
}

export interface ShutdownReport {
  /** Requests still unanswered when the shutdown time ran out (their connections were cut). */
  readonly abandonedRequests: number;
  /** A scheduled health run was still going when the time ran out. */
  readonly abandonedHealthRun: boolean;
  /** Webhook attempts were still going when the time ran out (they are retried by any process later). */
  readonly abandonedWebhooks: boolean;
}

export interface RunningServer {
  readonly url: string;
  /** Where the metrics are served on a listener of their own, when they are. */
  readonly metricsUrl: string | undefined;
  readonly store: Store;
  /**
   * Shuts down gracefully: `/readyz` answers 503, no new connection is taken, requests in flight are
   * answered and a running health run finishes, for at most `shutdownTimeoutMs`; then the rest is cut and
   * the store closed. Idempotent.
   */
  close(): Promise<ShutdownReport>;
}

/** Opens the store (unless given), serves the API, and starts the daily scheduler. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger({ level: 'warn' });
  let metrics: ApiMetrics | undefined;
  const store =
    options.store ??
    (await openStore({
      ...options.storeOptions,
      onConnectionError: (error) => {
        logger.warn({ err: error }, 'a database connection was lost; the next query opens another');
        metrics?.connectionLost();
      },
    }));
  const webhooks = options.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  if (options.metrics)
    metrics = createMetrics({ store, ...(options.version ? { version: options.version } : {}) });
  const readiness = createReadiness(store, {
    ...(options.readyTimeoutMs !== undefined ? { timeoutMs: options.readyTimeoutMs } : {}),
  });
  const app = createApp({
    store,
    adminToken: options.adminToken,
    logger,
    readiness,
    ...(metrics ? { metrics, exposeMetrics: options.metrics === 'api' } : {}),
    ...(options.maxFutureSkewMs !== undefined ? { maxFutureSkewMs: options.maxFutureSkewMs } : {}),
    ...(options.authFailureLimits !== undefined ? { authFailureLimits: options.authFailureLimits } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    webhooksAllowPrivate: webhooks.allowPrivate,
    ...(options.webhookLogRetention !== undefined
      ? { webhookLogRetention: options.webhookLogRetention }
      : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 3000, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const requests = trackRequests(server as Server);
  let metricsServer: MetricsServer | undefined;
  if (metrics && typeof options.metrics === 'object') {
    try {
      metricsServer = await startMetricsServer(metrics, {
        port: options.metrics.port,
        host: options.metrics.host ?? host,
      });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.store) await store.close();
      throw error;
    }
  }
  const scheduler =
    options.scheduler === false
      ? undefined
      : startHealthScheduler(metrics ? metrics.instrument(store) : store, {
          ...(options.healthRunHourUtc !== undefined ? { hourUtc: options.healthRunHourUtc } : {}),
          logger,
          ...(metrics ? { onTick: metrics.schedulerTick } : {}),
        });
  const dispatcher = webhooks.dispatch
    ? startWebhookDispatcher(store, webhooks, {
        logger,
        ...(metrics ? { onAttempt: metrics.webhookAttempt, onBacklog: metrics.webhookBacklog } : {}),
      })
    : undefined;
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<ShutdownReport> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    metricsUrl: metricsServer?.url,
    store,
    close() {
      closing ??= (async () => {
        readiness.drain();
        const deadline = AbortSignal.timeout(options.shutdownTimeoutMs ?? 10_000);
        const [abandonedRequests, finishedRun, finishedWebhooks] = await Promise.all([
          closeServer(server as Server, requests, deadline),
          scheduler ? scheduler.stop(deadline) : true,
          dispatcher ? dispatcher.stop(deadline) : true,
        ]);
        await metricsServer?.close();
        // A store still busy with an abandoned run gets one more second to close, then the process may end.
        if (!options.store) {
          const closed = store.close().catch((error: unknown) => {
            logger.warn({ err: error }, 'the database did not close cleanly');
          });
          await (finishedRun && finishedWebhooks
            ? closed
            : Promise.race([closed, aborted(AbortSignal.timeout(1000))]));
        }
        return { abandonedRequests, abandonedHealthRun: !finishedRun, abandonedWebhooks: !finishedWebhooks };
      })();
      return closing;
    },
  };
}
