import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyStripeSignature } from './stripe-signature.js';

// The official package is the reference: on every case, ours accepts exactly when constructEvent does.
const official = Stripe.webhooks;
const NOW = 1_780_000_000;
const current = 'whsec_current0123456789abcdef';
const previous = 'whsec_previous0123456789abcdef';
const body = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'customer.subscription.updated',
  created: NOW - 10,
  data: { object: { id: 'sub_1', object: 'subscription', note: 'café ✓' } },
});
const sign = (payload: string, secret: string, t: number) =>
  createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');

interface Case {
  name: string;
  header: string | undefined;
  payload?: string;
  secrets?: string[];
  nowSeconds?: number;
  ours?: string; // the reason ours gives when it refuses
}

const cases: Case[] = [
  { name: 'valid', header: `t=${NOW},v1=${sign(body, current, NOW)}` },
  {
    name: 'valid, made by the package',
    header: official.generateTestHeaderString({ payload: body, secret: current, timestamp: NOW }),
  },
  {
    name: 'tampered body',
    header: `t=${NOW},v1=${sign(body, current, NOW)}`,
    payload: body.replace('sub_1', 'sub_2'),
    ours: 'signature-mismatch',
  },
  {
    name: 'tampered timestamp',
    header: `t=${NOW + 1},v1=${sign(body, current, NOW)}`,
    ours: 'signature-mismatch',
  },
  {
    name: 'tampered signature',
    header: `t=${NOW},v1=${sign(body, current, NOW).replace(/^./, (c) => (c === '0' ? '1' : '0'))}`,
    ours: 'signature-mismatch',
  },
  {
    name: 'another secret',
    header: `t=${NOW},v1=${sign(body, 'whsec_other', NOW)}`,
    ours: 'signature-mismatch',
  },
  {
    name: 'expired (301 s old)',
    header: `t=${NOW - 301},v1=${sign(body, current, NOW - 301)}`,
    ours: 'timestamp-outside-tolerance',
  },
  { name: 'just in time (300 s old)', header: `t=${NOW - 300},v1=${sign(body, current, NOW - 300)}` },
  { name: 'from the future', header: `t=${NOW + 3600},v1=${sign(body, current, NOW + 3600)}` },
  { name: 'unsigned (no header)', header: undefined, ours: 'no-signature-header' },
  { name: 'empty header', header: '', ours: 'no-signature-header' },
  { name: 'no timestamp', header: `v1=${sign(body, current, NOW)}`, ours: 'malformed-signature-header' },
  { name: 'only a v0 signature', header: `t=${NOW},v0=${sign(body, current, NOW)}`, ours: 'no-v1-signature' },
  {
    name: 'rotation at Stripe: signed with the old and the new secret, the endpoint knows the new one',
    header: `t=${NOW},v1=${sign(body, previous, NOW)},v1=${sign(body, current, NOW)}`,
  },
  {
    name: 'several v1 of which none matches',
    header: `t=${NOW},v1=${sign(body, previous, NOW)},v1=${sign(body, 'whsec_x', NOW)}`,
    ours: 'signature-mismatch',
  },
  {
    name: 'v0 and v1 mixed, the v1 valid',
    header: `t=${NOW},v0=${sign(body, 'whsec_x', NOW)},v1=${sign(body, current, NOW)}`,
  },
  {
    name: 'spaces around entries are not stripped',
    header: `t=${NOW}, v1=${sign(body, current, NOW)}`,
    ours: 'no-v1-signature',
  },
  { name: 'a short v1', header: `t=${NOW},v1=abc`, ours: 'signature-mismatch' },
  {
    name: 'upper-case hex',
    header: `t=${NOW},v1=${sign(body, current, NOW).toUpperCase()}`,
    ours: 'signature-mismatch',
  },
  { name: 'garbage', header: 'hello world', ours: 'malformed-signature-header' },
  {
    name: 'the later of two t wins',
    header: `t=1,t=${NOW},v1=${sign(body, current, NOW)}`,
  },
];

describe('verifyStripeSignature agrees with the official stripe package', () => {
  for (const c of cases) {
    it(c.name, () => {
      const payload = c.payload ?? body;
      const secrets = c.secrets ?? [current];
      const now = c.nowSeconds ?? NOW;
      const theirs = secrets.some((secret) => {
        try {
          official.constructEvent(payload, c.header as string, secret, 300, undefined, now * 1000);
          return true;
        } catch {
          return false;
        }
      });
      const ours = verifyStripeSignature(Buffer.from(payload), c.header, secrets, now * 1000);
      expect(ours.ok).toBe(theirs);
      expect(ours.ok ? undefined : ours.reason).toBe(c.ours);
    });
  }

  it('accepts the previous secret while the endpoint holds it (rotation on our side), in agreement', () => {
    const header = `t=${NOW},v1=${sign(body, previous, NOW)}`;
    const theirs = [current, previous].map((secret) => {
      try {
        official.constructEvent(body, header, secret, 300, undefined, NOW * 1000);
        return true;
      } catch {
        return false;
      }
    });
    expect(theirs).toEqual([false, true]);
    expect(verifyStripeSignature(Buffer.from(body), header, [current, previous], NOW * 1000).ok).toBe(true);
    expect(verifyStripeSignature(Buffer.from(body), header, [current], NOW * 1000)).toMatchObject({
      ok: false,
      reason: 'signature-mismatch',
    });
  });

  it('refuses everything while the endpoint has no secret', () => {
    expect(
      verifyStripeSignature(Buffer.from(body), `t=${NOW},v1=${sign(body, current, NOW)}`, [], NOW * 1000),
    ).toMatchObject({ ok: false, reason: 'no-secret' });
  });

  it('signs the raw bytes: the same JSON re-serialised does not verify', () => {
    const header = `t=${NOW},v1=${sign(body, current, NOW)}`;
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    expect(verifyStripeSignature(Buffer.from(reserialised), header, [current], NOW * 1000).ok).toBe(false);
  });

  it('is stricter than the package on a non-numeric t (which the package reads as NaN and lets through)', () => {
    const header = `t=abc,v1=${sign(body, current, Number.NaN)}`;
    expect(() => official.constructEvent(body, header, current, 300, undefined, NOW * 1000)).not.toThrow();
    expect(verifyStripeSignature(Buffer.from(body), header, [current], NOW * 1000)).toMatchObject({
      ok: false,
      reason: 'malformed-signature-header',
    });
  });
});
