import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which queue a piece of database work joins on PGlite's one connection: writes (status updates, config
 * saves, key checks) first, then small reads, then the chunks of long work (reports, health runs, previews).
 */
export type Lane = 'write' | 'read' | 'bulk';

/** The database work of one request (or one job) took longer than the statement timeout. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`The database work took longer than ${formatSeconds(timeoutMs)} s and was stopped.`);
  }
  /** The timeout in seconds, as configured (STATUSKIT_STATEMENT_TIMEOUT). */
  get seconds(): number {
    return this.timeoutMs / 1000;
  }
}

/** The work was stopped because whoever asked for it went away (the client closed its connection). */
export class WorkCancelledError extends Error {
  override readonly name = 'WorkCancelledError';
  constructor() {
    super('The database work was stopped: the client went away.');
  }
}

export const formatSeconds = (ms: number): string => String(Math.round(ms / 100) / 10);

/** The ambient state of database work: its lane, and when (or on what signal) it must stop. */
export interface Work {
  readonly lane: Lane;
  /** Aborted (with a StatementTimeoutError or WorkCancelledError as the reason) when the work must stop. */
  readonly signal?: AbortSignal | undefined;
  /** Epoch ms after which no new statement starts (the timer behind `signal` cannot fire while PGlite runs). */
  readonly deadline?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** Where PGlite's queue adds the time this work waited for the connection (see measuringWaits). */
  readonly waited?: { ms: number } | undefined;
}

const storage = new AsyncLocalStorage<Work>();

export const currentWork = (): Work | undefined => storage.getStore();

/** Why the current work must stop now (before its next statement), or undefined to go on. */
export function stopReason(work: Work | undefined): Error | undefined {
  if (!work) return undefined;
  if (work.signal?.aborted) {
    const reason: unknown = work.signal.reason;
    return reason instanceof Error ? reason : new WorkCancelledError();
  }
  if (work.deadline !== undefined && Date.now() > work.deadline)
    return new StatementTimeoutError(work.timeoutMs ?? 0);
  return undefined;
}

/** Runs `fn` with its database work in `lane`, keeping the current deadline and signal. */
export function inLane<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
  const work = currentWork();
  if (work?.lane === lane) return fn();
  return storage.run({ ...work, lane }, fn);
}

/**
 * Runs `fn` and returns, beside its result, how long its statements waited in PGlite's queue for the
 * connection: a chunk's own cost is its time less that wait, which depends on the other work running.
 */
export async function measuringWaits<T>(fn: () => Promise<T>): Promise<{ value: T; waitedMs: number }> {
  const waited = { ms: 0 };
  const work = currentWork();
  const value = await storage.run({ ...work, lane: work?.lane ?? 'read', waited }, fn);
  return { value, waitedMs: waited.ms };
}

/** Runs `fn` as work of its own: no deadline, no client to go away (a health run finishes once started). */
export function detached<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
  return storage.run({ lane }, fn);
}

/**
 * Runs `fn` (a request's handling) with its database work bounded: it stops with StatementTimeoutError once
 * `timeoutMs` has passed (0: never), and with WorkCancelledError when `signal` aborts (the client went away).
 * On PostgreSQL a running statement is cancelled at once; on PGlite, which cannot interrupt a statement,
 * queued work is dropped and the next statement (chunk) is refused.
 */
export async function bounded<T>(
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
  fn: () => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const { timeoutMs, signal } = options;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => controller.abort(new StatementTimeoutError(timeoutMs)), timeoutMs)
      : undefined;
  timer?.unref();
  const onClientGone = () => controller.abort(new WorkCancelledError());
  if (signal?.aborted) onClientGone();
  else signal?.addEventListener('abort', onClientGone, { once: true });
  try {
    return await storage.run(
      {
        lane: currentWork()?.lane ?? 'read',
        signal: controller.signal,
        ...(timeoutMs > 0 ? { deadline: Date.now() + timeoutMs, timeoutMs } : {}),
      },
      fn,
    );
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onClientGone);
  }
}
