import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './app.js';
import { capturedLogger } from './testing/captured-logger.js';

const ADMIN = 'admin-token-for-request-tests';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let store: Store;
let app: App;
let key: string;
const log = capturedLogger({ level: 'info', secrets: [ADMIN] });
const requestLines = () => log.lines().filter((l) => typeof l.route === 'string');

beforeAll(async () => {
  store = await openTestStore('pglite');
  // A store whose health-run listing fails unexpectedly, for the 500 case.
  const failing: Store = {
    ...store,
    listHealthRuns: async () => {
      throw new Error('disk on fire');
    },
  };
  app = createApp({ store: failing, adminToken: ADMIN, logger: log.logger, maxBodyBytes: 1000 });
  const created = await app.request('/v1/tenants', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'acme', name: 'Acme' }),
  });
  expect(created.status).toBe(201);
  key = ((await created.json()) as { apiKey: { key: string } }).apiKey.key;
});
afterAll(async () => {
  await store?.close();
});

const send = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  app.request(path, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });

describe('request ids', () => {
  it('are generated when not sent, and a valid X-Request-Id is kept; both are echoed and logged', async () => {
    const generated = await app.request('/healthz');
    const id = generated.headers.get('x-request-id') ?? '';
    expect(id).toMatch(UUID);
    const kept = await app.request('/healthz', { headers: { 'x-request-id': 'trace-01.a_b~c' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-01.a_b~c');
    expect(requestLines().map((l) => l.requestId)).toEqual(expect.arrayContaining([id, 'trace-01.a_b~c']));
  });

  it('replace an X-Request-Id that could not be echoed safely', async () => {
    for (const bad of ['', 'has space', '"quoted"', '<script>', 'x'.repeat(129), '.hidden', 'a/b', 'ü']) {
      const res = await app.request('/healthz', { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id'), bad).toMatch(UUID);
    }
  });

  it("are every problem body's instance, whatever the failure, and the failing request's log line has it", async () => {
    const cases: [string, Response | Promise<Response>, number][] = [
      ['no route', send('/v1/nothing-here'), 404],
      ['no key', app.request('/v1/accounts/a'), 401],
      [
        'bad key',
        send('/v1/accounts/a', { headers: { authorization: 'Bearer sk_0000000000000000_nope' } }),
        401,
      ],
      [
        'validation',
        send('/v1/accounts/a/status', {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: 42 }),
        }),
        400,
      ],
      [
        'too large',
        send('/v1/statuses:batch', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ updates: [{ accountId: 'a', status: 'x'.repeat(2000) }] }),
        }),
        413,
      ],
      ['unexpected', send('/v1/health-runs', { headers: { 'x-request-id': 'report-me' } }), 500],
    ];
    for (const [name, answer, status] of cases) {
      const res = await answer;
      expect(res.status, name).toBe(status);
      expect(res.headers.get('content-type'), name).toBe('application/problem+json');
      const id = res.headers.get('x-request-id');
      expect((await res.json()) as { instance?: string }, name).toMatchObject({ instance: id });
      const line = requestLines().find((l) => l.requestId === id);
      expect(line, name).toMatchObject({ status });
    }
    // The unexpected error is logged once with its stack under the same id, and the request line is an error.
    const errors = log.lines().filter((l) => l.requestId === 'report-me');
    expect(errors.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'unexpected error'],
      ['error', 'GET /v1/health-runs 500'],
    ]);
    expect(JSON.stringify(errors[0]?.err)).toContain('disk on fire');
  });
});

describe('request log lines', () => {
  it('are one per request: method, route pattern (never the path or query), status, duration, tenant, id', async () => {
    const before = requestLines().length;
    const res = await send('/v1/accounts/customer-4711/status?token=s3cr3t-in-query', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': 'put-1' },
      body: JSON.stringify({ status: 'Pro' }),
    });
    expect(res.status).toBe(200);
    await send('/v1/accounts/customer-4711');
    await app.request('/v1/no/such/route/for-customer-4711');
    const lines = requestLines().slice(before);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 'info',
      requestId: 'put-1',
      method: 'PUT',
      route: '/v1/accounts/:accountId/status',
      status: 200,
      tenantId: 'acme',
      msg: 'PUT /v1/accounts/:accountId/status 200',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ route: '/v1/accounts/:accountId', status: 200, tenantId: 'acme' });
    expect(lines[2]).toMatchObject({ route: 'unmatched', status: 404 });
    expect(lines[2]).not.toHaveProperty('tenantId');
    const text = log.raw.join('\n');
    for (const leaked of ['customer-4711', 's3cr3t-in-query', key.slice(20), ADMIN])
      expect(text).not.toContain(leaked);
  });
});
