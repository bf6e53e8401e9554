/**
 * How a background loop (the scheduler, the webhook dispatcher) stops: `true` once the pass under way
 * (if any) has finished, `false` as soon as `abandon` aborts first (the pass is left to the process's end).
 */
export function finishOrAbandon(
  running: Promise<unknown> | undefined,
  abandon?: AbortSignal,
): Promise<boolean> {
  if (!running) return Promise.resolve(true);
  if (abandon?.aborted) return Promise.resolve(false);
  const abandoned = new Promise<false>((resolve) =>
    abandon?.addEventListener('abort', () => resolve(false), { once: true }),
  );
  return Promise.race([running.then(() => true as const), abandoned]);
}
