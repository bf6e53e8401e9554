import { currentWork, stopReason, WorkCancelledError } from './work-context.js';

/**
 * At most `limit` long operations (long work's lane) at once. On PostgreSQL each runs on a connection of
 * the pool; bounding them to part of the pool leaves connections for writes and small reads, however many
 * reports are asked for at once. A waiting operation whose request times out or whose client goes away
 * stops waiting (with the request's reason), as it would in PGlite's queue.
 */
export class BulkSlots {
  #free: number;
  readonly #waiting: { resolve: () => void }[] = [];

  constructor(limit: number) {
    this.#free = Math.max(1, limit);
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await operation();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    const work = currentWork();
    const stop = stopReason(work);
    if (stop) return Promise.reject(stop);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const signal = work?.signal;
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at < 0) return;
        this.#waiting.splice(at, 1);
        reject(stopReason(work) ?? new WorkCancelledError());
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.resolve();
    else this.#free++;
  }
}
