import type { Store } from '@statuskit/store';

export interface SchedulerOptions {
  /** UTC hour from which the day's run is due (default 2). */
  readonly hourUtc?: number;
  /** How often to look for due runs (default one minute). */
  readonly intervalMs?: number;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

/**
 * The daily health run: every interval, each tenant whose run for today is due gets one. The database
 * decides who runs it (a unique index on tenant and day), so several API processes on one PostgreSQL
 * still make one scheduled run per tenant per day.
 */
export function startHealthScheduler(
  store: Store,
  options: SchedulerOptions = {},
): { stop(): Promise<void>; tick(): Promise<void> } {
  const hour = options.hourUtc ?? 2;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = async () => {
    const at = now();
    if (stopped || at.getUTCHours() < hour) return;
    for (const tenant of await store.listTenants()) {
      if (stopped) return;
      try {
        const run = await store.runHealth(tenant.id, { trigger: 'scheduled', now: at });
        if (run)
          log(
            `health run ${run.id} for ${tenant.id}: ${run.state}${run.summary ? `, ${run.summary.eligible} of ${run.summary.total} eligible` : ''}`,
          );
      } catch (error) {
        log(`health run for ${tenant.id} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
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
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
