import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AttemptOutcome, ClaimedDelivery } from '@statuskit/store';
import { Webhook } from 'standardwebhooks';
import { resolveTarget } from './address-policy.js';

export interface SendOptions {
  /** The whole attempt (connect, send, answer) within this long. */
  readonly timeoutMs: number;
  /** Allow loopback, private and link-local targets (tests, private networks). */
  readonly allowPrivate: boolean;
  readonly userAgent?: string;
  /** The time signed into `webhook-timestamp` (default now). */
  readonly now?: () => Date;
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the event id, the same on every attempt, for the
 * receiver's deduplication), `webhook-timestamp` (seconds) and `webhook-signature`: one `v1,` signature per
 * secret (two during a secret rotation), made by the `standardwebhooks` package.
 */
export function signedHeaders(
  claim: Pick<ClaimedDelivery, 'eventId' | 'payload' | 'secrets'>,
  at: Date,
): Record<string, string> {
  return {
    'webhook-id': claim.eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': claim.secrets
      .map((s) => new Webhook(s).sign(claim.eventId, at, claim.payload))
      .join(' '),
  };
}

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends one delivery: resolves the host and checks the address (see resolveTarget), connects to that very
 * address (TLS still checks the certificate against the host name), posts the signed JSON and reads at most
 * 64 KiB of the answer. A 2xx answer is success; anything else, a redirect included, is a failure to retry.
 * Never throws: a failure is an outcome with its error.
 */
export async function sendWebhook(claim: ClaimedDelivery, options: SendOptions): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (o: { ok: boolean; statusCode?: number; error?: string }): AttemptOutcome => ({
    ...o,
    startedAt,
    durationMs: performance.now() - t0,
  });
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const url = new URL(claim.url);
    const target = await Promise.race([
      resolveTarget(url, options.allowPrivate),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('DNS lookup timed out')), { once: true }),
      ),
    ]);
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      if ((lookupOptions as { all?: boolean }).all)
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
      else callback(null, target.address, target.family);
    };
    const body = Buffer.from(claim.payload);
    const statusCode = await new Promise<number>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(
        {
          protocol: url.protocol,
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          lookup: pinned,
          signal,
          agent: false,
          headers: {
            'content-type': 'application/json',
            'content-length': String(body.length),
            'user-agent': options.userAgent ?? 'statuskit-webhooks',
            ...signedHeaders(claim, options.now?.() ?? new Date()),
          },
        },
        (response) => {
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) response.destroy();
          });
          response.on('close', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    const ok = statusCode >= 200 && statusCode < 300;
    return done({ ok, statusCode, ...(ok ? {} : { error: `answered ${statusCode}` }) });
  } catch (error) {
    const message = signal.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : error instanceof Error
        ? `${(error as NodeJS.ErrnoException).code ? `${(error as NodeJS.ErrnoException).code}: ` : ''}${error.message}`
        : String(error);
    return done({ ok: false, error: message });
  }
}
