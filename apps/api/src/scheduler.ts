import type { Store } from '@statuskit/store';
import { finishOrAbandon } from './finish-or-abandon.js';
import type { Logger } from './logger.js';

export interface SchedulerOptions {
  /** UTC hour from which the day's run is due (default 2). */
  readonly hourUtc?: number;
  /** How often to look for due runs (default one minute). */
  readonly intervalMs?: number;
  readonly now?: () => Date;
  /** Where each run's outcome is logged (info; a failed run: error). */
  readonly logger?: Pick<Logger, 'info' | 'error'>;
  /** Called after each look for due runs, `error` when the tenants could not be listed. */
  readonly onTick?: (result: 'ok' | 'error') => void;
}

export interface HealthScheduler {
  /** Looks for due runs now (one look at a time: a call during a look waits for it). */
  tick(): Promise<void>;
  /**
   * Starts no more runs and waits for the one in progress, unless `abandon` aborts first: then it returns
   * at once, `false`, and the run is left to the process's end (its row stays `running` and is taken over
   * by the next scheduled look after the stale-claim delay; nothing half-written is kept).
   */
  stop(abandon?: AbortSignal): Promise<boolean>;
}

/**
 * The daily health run: every interval, each tenant whose run for today is due gets one. The database
 * decides who runs it (a unique index on tenant and day), so several API processes on one PostgreSQL
 * still make one scheduled run per tenant per day.
 */
export function startHealthScheduler(store: Store, options: SchedulerOptions = {}): HealthScheduler {
  const hour = options.hourUtc ?? 2;
  const now = options.now ?? (() => new Date());
  const logger = options.logger;
  let running: Promise<void> | undefined;
  let stopped = false;
  const look = async () => {
    const at = now();
    if (stopped || at.getUTCHours() < hour) return;
    for (const tenant of await store.listTenants()) {
      if (stopped) return;
      try {
        const run = await store.runHealth(tenant.id, { trigger: 'scheduled', now: at });
        if (run)
          logger?.info(
            {
              tenantId: tenant.id,
              runId: run.id,
              state: run.state,
              ...(run.summary ? { eligible: run.summary.eligible, total: run.summary.total } : {}),
            },
            `scheduled health run ${run.id} for ${tenant.id}: ${run.state}`,
          );
      } catch (error) {
        logger?.error({ tenantId: tenant.id, err: error }, `scheduled health run for ${tenant.id} failed`);
      }
    }
  };
  const tick = async () => {
    try {
      await look();
      options.onTick?.('ok');
    } catch (error) {
      options.onTick?.('error');
      logger?.error({ err: error }, 'the health-run scheduler could not list the tenants');
    }
  };
  const guarded = () => {
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(guarded, options.intervalMs ?? 60_000);
  timer.unref();
  void guarded();
  return {
    tick: guarded,
    async stop(abandon) {
      stopped = true;
      clearInterval(timer);
      return finishOrAbandon(running, abandon);
    },
  };
}
