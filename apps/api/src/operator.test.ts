// What an operator of a public API expects: nosniff on every answer, no-store on answers carrying secrets,
// 405 with Allow for a wrong method, and failed authentication slowed down per address and per key id.
import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { caller, newTenant } from './testing/in-process.js';

const ADMIN = 'admin-secret-token';

describe('operator expectations', () => {
  let store: Store;
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const now = () => new Date(clock);
  beforeAll(async () => {
    store = await openTestStore('pglite');
  });
  afterAll(async () => {
    await store?.close();
  });
  /** An app that allows 3 failed authentications a minute and reads the client address from X-Forwarded-For. */
  const limited = () =>
    caller(
      createApp({
        store,
        adminToken: ADMIN,
        now,
        trustProxy: true,
        authFailureLimits: { maxFailures: 3, windowMs: 60_000 },
      }),
    );

  it('sends X-Content-Type-Options: nosniff on every answer, errors and pages included', async () => {
    const call = caller(createApp({ store, adminToken: ADMIN, now }));
    const t = await newTenant(call, ADMIN);
    const answers = [
      await call('GET', '/healthz'),
      await call('GET', '/openapi.json'),
      await call('GET', '/settings'),
      await call('GET', '/v1/catalog', { key: t.key }),
      await call('GET', '/v1/catalog'),
      await call('GET', '/v1/nothing'),
      await call('DELETE', '/v1/catalog', { key: t.key }),
      await call('PUT', '/v1/accounts/a/status', {
        key: t.key,
        raw: '{',
        headers: { 'content-type': 'application/json' },
      }),
      await call('PUT', '/v1/accounts/a/status', { key: t.key, body: { status: 'x\u0000' } }),
    ];
    for (const a of answers)
      expect(a.headers.get('x-content-type-options'), String(a.status)).toBe('nosniff');
  });

  it('sends Cache-Control: no-store with a new key or tenant, the answers that carry secrets', async () => {
    const call = caller(createApp({ store, adminToken: ADMIN, now }));
    const tenant = await call('POST', '/v1/tenants', { key: ADMIN, body: { name: 'Secretive' } });
    expect(tenant.status).toBe(201);
    expect(tenant.headers.get('cache-control')).toBe('no-store');
    const key = await call('POST', '/v1/api-keys', { key: tenant.json.apiKey.key, body: { name: 'ci' } });
    expect(key.status).toBe(201);
    expect(key.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a wrong method with 405 and Allow, and OPTIONS with the methods', async () => {
    const call = caller(createApp({ store, adminToken: ADMIN, now }));
    const t = await newTenant(call, ADMIN);
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/catalog', 'GET, HEAD, PUT'],
      ['POST', '/v1/accounts/acme', 'GET, HEAD'],
      ['GET', '/v1/accounts/acme/status', 'PUT'],
      ['GET', '/v1/statuses:batch', 'POST'],
      ['PATCH', '/v1/rules', 'GET, HEAD, PUT'],
      ['DELETE', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(method, path, { key: t.key });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.type).toBe('application/problem+json');
    }
    const options = await call('OPTIONS', '/v1/connectors/sfdc/state', { key: t.key });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, PUT');
    expect((await call('DELETE', '/v1/nowhere', { key: t.key })).status).toBe(404);
    expect((await call('HEAD', '/v1/catalog', { key: t.key })).status).toBe(200);
  });

  it('answers 429 with Retry-After after too many failed authentications from one address', async () => {
    const call = limited();
    const t = await newTenant(call, ADMIN);
    const from = (address: string, key: string) =>
      call('GET', '/v1/catalog', { key, headers: { 'x-forwarded-for': `10.0.0.9, ${address}` } });
    for (let i = 0; i < 3; i++) expect((await from('192.0.2.1', `guess-${i}`)).status).toBe(401);
    const blocked = await from('192.0.2.1', 'guess-3');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('60');
    expect(blocked.json.type).toContain('too-many-failed-authentications');
    // Blocked means blocked: even the right key waits, so guessing gains nothing from a lucky try.
    expect((await from('192.0.2.1', t.key)).status).toBe(429);
    // Another address is not affected, and a missing key is not a guess.
    expect((await from('192.0.2.2', t.key)).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await call('GET', '/v1/catalog', { headers: { 'x-forwarded-for': '192.0.2.3' } })).status).toBe(
        401,
      );
    clock += 30_000;
    expect((await from('192.0.2.1', t.key)).headers.get('retry-after')).toBe('30');
    clock += 30_000;
    expect((await from('192.0.2.1', t.key)).status).toBe(200);
  });

  it('limits failures per key id across addresses, and the admin token the same way', async () => {
    const call = limited();
    const t = await newTenant(call, ADMIN);
    const keyId = t.key.slice(3, 19);
    const wrong = (n: number) => `sk_${keyId}_${String(n).padStart(43, 'x')}`;
    for (let i = 0; i < 3; i++)
      expect(
        (
          await call('GET', '/v1/catalog', {
            key: wrong(i),
            headers: { 'x-forwarded-for': `198.51.100.${i}` },
          })
        ).status,
      ).toBe(401);
    const res = await call('GET', '/v1/catalog', {
      key: wrong(9),
      headers: { 'x-forwarded-for': '198.51.100.77' },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    // The key is blocked from any address; keys with another id are not.
    const second = await call('POST', '/v1/api-keys', {
      key: t.key,
      body: { name: 'second' },
      headers: { 'x-forwarded-for': '198.51.100.78' },
    });
    expect(second.status).toBe(429);
    const fresh = await newTenant(call, ADMIN);
    expect(
      (await call('GET', '/v1/catalog', { key: fresh.key, headers: { 'x-forwarded-for': '198.51.100.79' } }))
        .status,
    ).toBe(200);
    for (let i = 0; i < 3; i++)
      expect(
        (
          await call('POST', '/v1/tenants', {
            key: `wrong-${i}`,
            body: { name: 'x' },
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          })
        ).status,
      ).toBe(403);
    const admin = await call('POST', '/v1/tenants', {
      key: ADMIN,
      body: { name: 'x' },
      headers: { 'x-forwarded-for': '203.0.113.50' },
    });
    expect(admin.status).toBe(429);
  });

  it('can be switched off', async () => {
    const call = caller(createApp({ store, now, authFailureLimits: false }));
    for (let i = 0; i < 30; i++)
      expect((await call('GET', '/v1/catalog', { key: `guess-${i}` })).status).toBe(401);
  });
});
