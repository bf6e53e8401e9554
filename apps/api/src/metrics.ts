import type { Store } from '@statuskit/store';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from './request-context.js';

/**
 * The API's Prometheus metrics (prom-client, a registry of its own). Labels are bounded: route patterns, not
 * paths; no tenant ids. Names and meanings are listed in docs/deploy.md.
 */
export interface ApiMetrics {
  readonly registry: Registry;
  /** The request middleware's hook. */
  readonly observeRequest: RequestObserver;
  /** The same store, counting status writes and timing health runs on their way through. */
  instrument(store: Store): Store;
  /** The scheduler's hook: one look for due runs ended (`ok`, or `error` when listing the tenants failed). */
  schedulerTick(result: 'ok' | 'error'): void;
  /** An idle database connection failed (the store's onConnectionError). */
  connectionLost(): void;
  /** The webhook dispatcher's hook: one attempt ended (delivered, retry, failed: gave up, lost: claim taken over). */
  webhookAttempt(result: 'delivered' | 'retry' | 'failed' | 'lost', seconds: number): void;
  /** The webhook dispatcher's hook: the backlog it counted after a pass. */
  webhookBacklog(pending: number): void;
  /** The exposition, in Prometheus text format. */
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(options: { store: Store; version?: string }): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Gauge({
    name: 'statuskit_info',
    help: 'Always 1; the labels say which statuskit this is and on which database engine it runs.',
    labelNames: ['version', 'engine'],
    registers,
  }).set({ version: options.version ?? 'unknown', engine: options.store.engine }, 1);

  const requests = new Counter({
    name: 'statuskit_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (`unmatched` for no route) and status code.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const durations = new Histogram({
    name: 'statuskit_http_request_duration_seconds',
    help: 'Time from the request to its answer, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const batchSizes = new Histogram({
    name: 'statuskit_status_batch_size',
    help: 'Status updates per write (POST /v1/statuses:batch; PUT /v1/accounts/{id}/status and a billing webhook that maps to a status are writes of 1).',
    buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
    registers,
  });
  const updates = new Counter({
    name: 'statuskit_status_updates_total',
    help: 'Status updates by outcome: created, changed, unchanged, stale (observed before the newest, recorded, not applied), replayed (answered again under an Idempotency-Key).',
    labelNames: ['outcome'],
    registers,
  });
  const batches = new Counter({
    name: 'statuskit_status_batches_total',
    help: 'Status writes by result: applied, replayed (Idempotency-Key seen with the same body), conflict (with another body), error.',
    labelNames: ['result'],
    registers,
  });
  const healthRuns = new Histogram({
    name: 'statuskit_health_run_duration_seconds',
    help: 'Health runs by trigger (scheduled, manual) and result (done, failed, skipped: another process had it, error).',
    labelNames: ['trigger', 'result'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const ticks = new Counter({
    name: 'statuskit_scheduler_ticks_total',
    help: "The daily scheduler's looks for due health runs, by result (ok, error).",
    labelNames: ['result'],
    registers,
  });
  const lastTick = new Gauge({
    name: 'statuskit_scheduler_last_tick_timestamp_seconds',
    help: 'When the scheduler last finished a look for due health runs (Unix time); alert when it falls behind.',
    registers,
  });
  const lost = new Counter({
    name: 'statuskit_db_connection_errors_total',
    help: 'Idle database connections that failed (server restart, failover, network) and were replaced.',
    registers,
  });
  const webhookAttempts = new Histogram({
    name: 'statuskit_webhook_attempt_duration_seconds',
    help: 'Outbound webhook attempts by result: delivered (2xx), retry (failed, retried later), failed (failed and given up), lost (its claim had expired).',
    labelNames: ['result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const webhookBacklog = new Gauge({
    name: 'statuskit_webhook_deliveries_pending',
    help: 'Outbound webhook deliveries not yet delivered nor given up, over all tenants (the backlog), as the dispatcher last counted it.',
    registers,
  });
  // Known label values start at 0, so rates and alerts work before the first event.
  for (const outcome of ['created', 'changed', 'unchanged', 'stale', 'replayed']) updates.inc({ outcome }, 0);
  for (const result of ['applied', 'replayed', 'conflict', 'error']) batches.inc({ result }, 0);
  for (const result of ['ok', 'error']) ticks.inc({ result }, 0);
  const stats = () => options.store.connectionStats();
  new Gauge({
    name: 'statuskit_db_connections',
    help: 'Database connections by state (idle, in_use). PGlite has one in-process connection.',
    labelNames: ['state'],
    registers,
    collect() {
      const s = stats();
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'in_use' }, s.inUse);
    },
  });
  new Gauge({
    name: 'statuskit_db_connections_max',
    help: 'Most database connections the API opens (STATUSKIT_DB_POOL_SIZE; 1 on PGlite).',
    registers,
    collect() {
      this.set(stats().max);
    },
  });
  new Gauge({
    name: 'statuskit_db_connection_waiting',
    help: 'Queries and transactions waiting for a database connection (PGlite: its queue).',
    registers,
    collect() {
      this.set(stats().waiting);
    },
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    instrument(store) {
      return {
        ...store,
        async applyStatusUpdates(...args: Parameters<Store['applyStatusUpdates']>) {
          batchSizes.observe(args[1].length);
          let outcome: Awaited<ReturnType<Store['applyStatusUpdates']>>;
          try {
            outcome = await store.applyStatusUpdates(...args);
          } catch (error) {
            batches.inc({ result: 'error' });
            throw error;
          }
          batches.inc({ result: outcome.kind });
          if (outcome.kind === 'applied')
            for (const [name, n] of Object.entries(outcome.result.counts)) updates.inc({ outcome: name }, n);
          else if (outcome.kind === 'replayed')
            updates.inc({ outcome: 'replayed' }, outcome.result.results.length);
          return outcome;
        },
        // A billing webhook that maps to a status is a status write of one update: counted the same way,
        // a redelivered event (same event id) as replayed.
        async receiveWebhookEvent(...args: Parameters<Store['receiveWebhookEvent']>) {
          let received: Awaited<ReturnType<Store['receiveWebhookEvent']>>;
          try {
            received = await store.receiveWebhookEvent(...args);
          } catch (error) {
            if (args[2].update) {
              batchSizes.observe(1);
              batches.inc({ result: 'error' });
            }
            throw error;
          }
          if (received.outcome === 'applied') {
            batchSizes.observe(1);
            batches.inc({ result: 'applied' });
            updates.inc({ outcome: received.result.outcome });
          } else if (received.outcome === 'duplicate' && args[2].update) {
            batches.inc({ result: 'replayed' });
            updates.inc({ outcome: 'replayed' });
          }
          return received;
        },
        async runHealth(...args: Parameters<Store['runHealth']>) {
          const end = healthRuns.startTimer({ trigger: args[1].trigger });
          try {
            const run = await store.runHealth(...args);
            end({ result: run ? run.state : 'skipped' });
            return run;
          } catch (error) {
            end({ result: 'error' });
            throw error;
          }
        },
      };
    },
    schedulerTick(result) {
      ticks.inc({ result });
      lastTick.setToCurrentTime();
    },
    connectionLost() {
      lost.inc();
    },
    webhookAttempt(result, seconds) {
      webhookAttempts.observe({ result }, seconds);
    },
    webhookBacklog(pending) {
      webhookBacklog.set(pending);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
