import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { openStore, type Store, type StoreOptions } from '@statuskit/store';
import { type AppOptions, createApp } from './app.js';
import { startHealthScheduler } from './scheduler.js';

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
  /** Start the daily health-run scheduler (default true), from this UTC hour. */
  readonly scheduler?: boolean;
  readonly healthRunHourUtc?: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly store: Store;
  close(): Promise<void>;
}

/** Opens the store (unless given), serves the API, and starts the daily scheduler. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const store = options.store ?? (await openStore(options.storeOptions));
  const app = createApp({
    store,
    adminToken: options.adminToken,
    ...(options.maxFutureSkewMs !== undefined ? { maxFutureSkewMs: options.maxFutureSkewMs } : {}),
    ...(options.authFailureLimits !== undefined ? { authFailureLimits: options.authFailureLimits } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 3000, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const scheduler =
    options.scheduler === false
      ? undefined
      : startHealthScheduler(store, {
          ...(options.healthRunHourUtc !== undefined ? { hourUtc: options.healthRunHourUtc } : {}),
          ...(options.log ? { log: options.log } : {}),
        });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    store,
    close() {
      closing ??= (async () => {
        await scheduler?.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (!options.store) await store.close();
      })();
      return closing;
    },
  };
}
