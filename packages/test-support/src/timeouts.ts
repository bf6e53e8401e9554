import { availableParallelism, loadavg } from 'node:os';

/**
 * How many times longer than on a quiet developer machine a test may take before it counts as hung. The one
 * place test time limits come from: vitest's test and hook timeouts and every wait for a process or a server.
 *
 * `STATUSKIT_TEST_TIMEOUT_SCALE` sets it. Otherwise it is 4 under CI (which keeps both cores busy on purpose)
 * and 1 elsewhere, times the machine's load per core when that is above 1, at most 20. Time limits only
 * catch hangs: a test that passes never waits for one.
 */
export function timeoutScale(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.STATUSKIT_TEST_TIMEOUT_SCALE);
  if (Number.isFinite(set) && set > 0) return set;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  const load = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.min(20, (ci ? 4 : 1) * Math.max(1, load));
}

/** `ms` on a quiet machine, scaled for this one (see {@link timeoutScale}). */
export function scaled(ms: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.ceil(ms * timeoutScale(env));
}
