import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's default: a signature older than five minutes is refused (a replayed capture). */
export const STRIPE_TOLERANCE_SECONDS = 300;

/** Why a delivery's `Stripe-Signature` does not verify. */
export type StripeSignatureFailure =
  | 'no-secret'
  | 'no-signature-header'
  | 'malformed-signature-header'
  | 'no-v1-signature'
  | 'signature-mismatch'
  | 'timestamp-outside-tolerance';

export type StripeSignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: StripeSignatureFailure; readonly detail: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Verifies a `Stripe-Signature` header as Stripe documents it (and as the official `stripe` package's
 * `webhooks.constructEvent` does): the header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` (other schemes
 * such as `v0` are ignored); the expected signature is HMAC-SHA256, keyed by the endpoint's secret
 * (`whsec_...` as a whole), of `<t>.<raw body>`; any `v1` entry may match (Stripe signs with the old and the
 * new secret while one is rolled), and any of `secrets` may be the key (the endpoint's previous secret
 * while it lasts); every comparison is constant-time; a timestamp more than `toleranceSeconds` before `now`
 * is refused. Stricter than the package in one place: `t` must be decimal digits (the package reads
 * `t=abc` as NaN, which then passes the age check).
 */
export function verifyStripeSignature(
  rawBody: Uint8Array,
  header: string | undefined,
  secrets: readonly string[],
  nowMs: number,
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): StripeSignatureCheck {
  if (secrets.length === 0)
    return {
      ok: false,
      reason: 'no-secret',
      detail: "The endpoint has no signing secret yet: set it to the Stripe endpoint's whsec_... secret.",
    };
  if (header === undefined || header === '')
    return { ok: false, reason: 'no-signature-header', detail: 'No Stripe-Signature header.' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const [key, value = ''] = item.split('=');
    if (key === 't') timestamp = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
    if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || Number.isNaN(timestamp))
    return {
      ok: false,
      reason: 'malformed-signature-header',
      detail: 'The Stripe-Signature header has no t=<unix seconds>.',
    };
  if (signatures.length === 0)
    return {
      ok: false,
      reason: 'no-v1-signature',
      detail: 'The Stripe-Signature header has no v1 signature.',
    };
  const presented = signatures.filter((s) => HEX_SHA256.test(s)).map((s) => Buffer.from(s, 'hex'));
  let found = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
    // Every candidate is compared, matched or not: the time taken says nothing about which one matched.
    for (const p of presented) if (timingSafeEqual(p, expected)) found = true;
  }
  if (!found)
    return {
      ok: false,
      reason: 'signature-mismatch',
      detail:
        'No v1 signature matches the body signed with the endpoint secret (a changed body, another secret, or a proxy that re-encoded the body).',
    };
  const age = Math.floor(nowMs / 1000) - timestamp;
  if (toleranceSeconds > 0 && age > toleranceSeconds)
    return {
      ok: false,
      reason: 'timestamp-outside-tolerance',
      detail: `The signature is ${age} s old; at most ${toleranceSeconds} s are accepted.`,
    };
  return { ok: true, timestamp };
}
