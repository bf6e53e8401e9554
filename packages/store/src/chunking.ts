import { measuringWaits } from './work-context.js';

/**
 * How many rows (or days) the next chunk of long work takes, so that each of its statements runs about
 * `targetMs`: on PGlite's one connection, queued requests get it between chunks, so the chunk's length is
 * how long they may wait. Sizes adapt to what each kind of statement was measured to cost per unit.
 */
export class ChunkSizer {
  readonly #costs = new Map<string, number>();
  #size: number;

  constructor(
    readonly targetMs: number,
    initial: number,
    readonly min: number,
    readonly max: number,
  ) {
    this.#size = clamp(initial, min, max);
  }

  /** The next chunk's size. */
  get size(): number {
    return this.#size;
  }

  /**
   * Runs one statement of `units` rows (or days) of kind `kind`, and learns what it cost: its time less what
   * it waited for PGlite's connection (other work's length, not this statement's).
   */
  async time<T>(kind: string, units: number, statement: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const { value, waitedMs } = await measuringWaits(statement);
    this.observe(kind, units, performance.now() - started - waitedMs);
    return value;
  }

  observe(kind: string, units: number, ms: number): void {
    if (units <= 0) return;
    const perUnit = Math.max(ms, 0.01) / units;
    const before = this.#costs.get(kind);
    this.#costs.set(kind, before === undefined ? perUnit : (before + perUnit) / 2);
    const worst = Math.max(...this.#costs.values());
    // At most double or halve at a step: one slow measurement (a pause for GC) does not swing it far.
    const wanted = this.targetMs / worst;
    this.#size = clamp(Math.round(clamp(wanted, this.#size / 2, this.#size * 2)), this.min, this.max);
  }
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** How long one chunk's statement should take on each engine (PGlite shares one connection). */
export const CHUNK_TARGET_MS = { pglite: 100, postgres: 1000 } as const;
