import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export interface AuthFailureLimits {
  /** Failed authentications allowed per client address, and per key id, within one window. */
  readonly maxFailures: number;
  /** The window, in ms; its first failure starts it. */
  readonly windowMs: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { maxFailures: 20, windowMs: 60_000 };

interface Bucket {
  failures: number;
  resetAt: number;
}

/**
 * Slows key guessing: counts failed authentications per bucket (a client address, a key id, the admin
 * token) in fixed windows. Once a bucket reaches `maxFailures`, every attempt in it is answered 429 until
 * its window ends, without checking the credential. Memory is bounded: past `maxBuckets` the oldest go.
 */
export class AuthFailureLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limits: AuthFailureLimits,
    private readonly now: () => number,
    private readonly maxBuckets = 100_000,
  ) {}

  /** Seconds until the first blocked bucket's window ends, or undefined when none is blocked. */
  blocked(buckets: readonly string[]): number | undefined {
    const now = this.now();
    let wait: number | undefined;
    for (const name of buckets) {
      const b = this.#buckets.get(name);
      if (!b) continue;
      if (b.resetAt <= now) this.#buckets.delete(name);
      else if (b.failures >= this.limits.maxFailures)
        wait = Math.max(wait ?? 0, Math.ceil((b.resetAt - now) / 1000));
    }
    return wait;
  }

  /** Records one failed authentication in each bucket. */
  fail(buckets: readonly string[]): void {
    const now = this.now();
    for (const name of buckets) {
      const b = this.#buckets.get(name);
      if (b && b.resetAt > now) b.failures++;
      else {
        this.#buckets.delete(name);
        this.#buckets.set(name, { failures: 1, resetAt: now + this.limits.windowMs });
      }
    }
    for (const name of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxBuckets) break;
      this.#buckets.delete(name);
    }
  }
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the last `X-Forwarded-For` entry (the
 * address the one trusted proxy in front of the API saw). `unknown` when neither is there (in-process calls).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}
