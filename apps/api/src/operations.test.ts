import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { type ApiProcess, startApi, startTcpProxy, type TcpProxy } from '@statuskit/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, sample } from './testing/metrics-text.js';

// The API as `npm start` runs it, watched the way an operator watches it: its log (stderr), /metrics,
// /readyz, and what it does on SIGTERM.

const ADMIN = `adm_${randomBytes(12).toString('hex')}`;
const QUERY_SECRET = `qs_${randomBytes(8).toString('hex')}`;

/** Every stderr line, parsed: the log is JSON lines and nothing else. */
const logLines = (api: ApiProcess) =>
  api.stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`a log line that is not JSON: ${line}`);
      }
    });
const requestLines = (api: ApiProcess) => logLines(api).filter((l) => typeof l.route === 'string');

type Call = { status: number; headers: Headers; body: Record<string, unknown> };
const call = async (url: string, init: RequestInit = {}): Promise<Call> => {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
};
const json = (key: string, body: unknown, extra: Record<string, string> = {}): RequestInit => ({
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...extra },
  body: JSON.stringify(body),
});

/**
 * A batch request whose headers the API has in hand (Expect: 100-continue: its 100 proves it) and whose
 * body the test sends when it likes. The body announced is `length` bytes.
 */
async function batchInFlight(api: ApiProcess, length: number) {
  const req = httpRequest({
    host: '127.0.0.1',
    port: new URL(api.url).port,
    method: 'POST',
    path: '/v1/statuses:batch',
    headers: {
      authorization: `Bearer ${api.key}`,
      'content-type': 'application/json',
      'content-length': length,
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ status: number; connection: string | undefined; text: string }>(
    (resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
        );
      });
      req.on('error', reject);
    },
  );
  answer.catch(() => {}); // awaited, or its error read, by the test
  await new Promise<void>((resolve) => req.once('continue', resolve));
  return { req, answer };
}

describe('the API in operation (PGlite)', () => {
  let api: ApiProcess;
  let metricsUrl: string;
  const keys: string[] = [];
  beforeAll(async () => {
    api = await startApi({
      env: { LOG_LEVEL: 'trace', STATUSKIT_METRICS_PORT: '0', STATUSKIT_ADMIN_TOKEN: ADMIN },
    });
    keys.push(api.key as string);
    [, metricsUrl = ''] = await api.waitFor(/"metricsUrl":"([^"]+)"/, { stream: 'stderr' });
  });
  afterAll(async () => {
    await api?.stop();
  });
  const scrape = async () => parseMetrics(await (await fetch(metricsUrl)).text());

  it('logs one JSON line per request, finds a failure by its request id, counts every request, and never logs a secret', async () => {
    const before = await scrape();
    const linesBefore = requestLines(api).length;
    const { url } = api;
    const made: Call[] = [];
    const send = async (path: string, init: RequestInit = {}) => {
      const answer = await call(`${url}${path}`, init);
      made.push(answer);
      return answer;
    };

    // Keys made during the run: a tenant's first key, another key, then that key revoked and used.
    const tenant = await send('/v1/tenants', {
      method: 'POST',
      ...json(ADMIN, { id: 'globex', name: 'Globex' }),
    });
    expect(tenant.status).toBe(201);
    const globexKey = (tenant.body.apiKey as { key: string }).key;
    keys.push(globexKey);
    const extra = await send('/v1/api-keys', { method: 'POST', ...json(globexKey, { name: 'ci' }) });
    expect(extra.status).toBe(201);
    keys.push(extra.body.key as string);
    expect(
      (
        await send(`/v1/api-keys/${extra.body.id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${globexKey}` },
        })
      ).status,
    ).toBe(204);

    // The failing request: a revoked key, with the id a user would quote in their report.
    const failed = await send('/v1/accounts/acme', {
      headers: { authorization: `Bearer ${extra.body.key}`, 'x-request-id': 'user-report-42' },
    });
    expect(failed.status).toBe(401);
    expect(failed.headers.get('x-request-id')).toBe('user-report-42');
    expect(failed.body).toMatchObject({ status: 401, instance: 'user-report-42' });

    const key = api.key as string;
    const put = (status: string) =>
      send('/v1/accounts/acme/status', {
        method: 'PUT',
        ...json(key, { status, observedAt: '2026-01-10T00:00:00Z' }),
      });
    expect((await put('Pro')).body.result).toMatchObject({ outcome: 'created' });
    expect((await put('Pro')).body.result).toMatchObject({ outcome: 'unchanged' });
    const batch = {
      updates: [
        { accountId: 'globex', status: 'Trial' },
        { accountId: 'initech', status: 'Gold' },
        { accountId: 'acme', status: 'Trial', observedAt: '2026-01-01T00:00:00Z' }, // older: stale
      ],
    };
    const idem = { 'idempotency-key': 'import-1' };
    const applied = await send('/v1/statuses:batch', { method: 'POST', ...json(key, batch, idem) });
    expect(applied.body.counts).toEqual({ created: 2, changed: 0, unchanged: 0, stale: 1 });
    const replayed = await send('/v1/statuses:batch', { method: 'POST', ...json(key, batch, idem) });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await send('/v1/statuses:batch', {
      method: 'POST',
      ...json(key, { updates: batch.updates.slice(0, 1) }, idem),
    });
    expect(conflict.status).toBe(409);
    expect(
      (
        await send(`/v1/accounts?limit=5&token=${QUERY_SECRET}`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (await send('/v1/health-runs', { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(201);
    expect((await send('/v1/tenants', { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    expect((await send('/readyz')).body).toMatchObject({ ready: true, engine: 'pglite' });
    // Not tenant-scoped, so not served with the API when a metrics port is set.
    expect((await send('/metrics')).status).toBe(404);

    // The log: one line per request, in order, each with its id, route pattern and status.
    const lines = requestLines(api).slice(linesBefore);
    expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
      ['POST', '/v1/tenants', 201],
      ['POST', '/v1/api-keys', 201],
      ['DELETE', '/v1/api-keys/:keyId', 204],
      ['GET', '/v1/accounts/:accountId', 401],
      ['PUT', '/v1/accounts/:accountId/status', 200],
      ['PUT', '/v1/accounts/:accountId/status', 200],
      ['POST', '/v1/statuses:batch', 200],
      ['POST', '/v1/statuses:batch', 200],
      ['POST', '/v1/statuses:batch', 409],
      ['GET', '/v1/accounts', 200],
      ['POST', '/v1/health-runs', 201],
      ['GET', '/v1/tenants', 403],
      ['GET', '/readyz', 200],
      ['GET', 'unmatched', 404],
    ]);
    expect(lines.map((l) => l.requestId)).toEqual(made.map((m) => m.headers.get('x-request-id')));
    expect(lines.find((l) => l.requestId === 'user-report-42')).toMatchObject({ level: 'info', status: 401 });
    expect(lines[4]).toMatchObject({ tenantId: 'default', level: 'info' });
    for (const l of lines) expect(typeof l.durationMs).toBe('number');

    // /metrics moved by exactly what was done.
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    const http = (method: string, route: string, status: number) =>
      delta('statuskit_http_requests_total', { method, route, status: String(status) });
    expect(http('PUT', '/v1/accounts/:accountId/status', 200)).toBe(2);
    expect(http('POST', '/v1/statuses:batch', 200)).toBe(2);
    expect(http('POST', '/v1/statuses:batch', 409)).toBe(1);
    expect(http('GET', '/v1/accounts/:accountId', 401)).toBe(1);
    expect(http('GET', 'unmatched', 404)).toBe(1);
    expect(
      delta('statuskit_http_request_duration_seconds_count', {
        method: 'PUT',
        route: '/v1/accounts/:accountId/status',
        status: '200',
      }),
    ).toBe(2);
    const updates = (outcome: string) => delta('statuskit_status_updates_total', { outcome });
    expect(['created', 'changed', 'unchanged', 'stale', 'replayed'].map(updates)).toEqual([3, 0, 1, 1, 3]);
    const batches = (result: string) => delta('statuskit_status_batches_total', { result });
    expect(['applied', 'replayed', 'conflict', 'error'].map(batches)).toEqual([3, 1, 1, 0]);
    // Writes received: two PUTs (1 each) and three batches of 3 or 1.
    expect(delta('statuskit_status_batch_size_count')).toBe(5);
    expect(delta('statuskit_status_batch_size_sum')).toBe(1 + 1 + 3 + 3 + 1);
    expect(delta('statuskit_status_batch_size_bucket', { le: '1' })).toBe(3);
    expect(delta('statuskit_health_run_duration_seconds_count', { trigger: 'manual', result: 'done' })).toBe(
      1,
    );
    expect(sample(after, 'statuskit_db_connections_max')).toBe(1);
    expect(sample(after, 'statuskit_db_connection_waiting')).toBe(0);
    expect(sample(after, 'statuskit_info', { engine: 'pglite', version: '0.1.0' })).toBe(1);
    expect(sample(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // No label holds an id: tenants and accounts are not label values.
    for (const name of after.keys()) expect(name).not.toMatch(/acme|globex|initech|default"/);

    // No secret anywhere in the log, at trace level: the keys made, the admin token, a token in a query.
    const log = api.stderr;
    for (const secret of [...keys, ADMIN, QUERY_SECRET]) expect(log).not.toContain(secret);
    for (const k of keys) expect(log).not.toContain(k.slice(20)); // not even the secret part alone
    // The first key is printed once, on stdout, as the quick start promises.
    expect(api.stdout).toBe(`STATUSKIT_URL=${url}\nSTATUSKIT_API_KEY=${api.key}\n`);
  });

  it('serves nothing but /metrics on the metrics port', async () => {
    const other = await fetch(metricsUrl.replace('/metrics', '/v1/accounts'));
    expect(other.status).toBe(404);
    const post = await fetch(metricsUrl, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('on SIGTERM answers the request in flight, refuses new connections, and exits 0', async () => {
    const body = JSON.stringify({ updates: [{ accountId: 'late', status: 'Pro' }] });
    const { req, answer } = await batchInFlight(api, Buffer.byteLength(body));

    process.kill(api.child.pid as number, 'SIGTERM');
    await api.waitFor(/SIGTERM: closing/, { stream: 'stderr' });
    // Closed to new connections (the listening socket is closed before the line above is written).
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    req.end(body);
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toMatchObject({ counts: { created: 1 } });
    expect(done.connection).toBe('close');
    expect(await api.exited).toBe(0);
    expect(logLines(api).at(-1)).toMatchObject({ level: 'info', msg: 'closed' });
  });
});

describe('shutting down with a request that never finishes', () => {
  it('cuts it after STATUSKIT_SHUTDOWN_TIMEOUT_MS, says so, and still exits 0', async () => {
    const api = await startApi({ env: { STATUSKIT_SHUTDOWN_TIMEOUT_MS: '200' } });
    try {
      const { req, answer } = await batchInFlight(api, 1000);
      const cut = answer.then(
        (a) => `answered ${a.status}`,
        (e: NodeJS.ErrnoException) => e.code ?? e.message,
      );
      req.write('{"updates":['); // and never the rest
      process.kill(api.child.pid as number, 'SIGTERM');
      expect(await api.exited).toBe(0);
      expect(await cut).toBe('ECONNRESET');
      expect(logLines(api).at(-1)).toMatchObject({
        level: 'warn',
        abandonedRequests: 1,
        abandonedHealthRun: false,
      });
    } finally {
      await api.stop();
    }
  });
});

describe.runIf(process.env.DATABASE_URL)('readiness while PostgreSQL goes away (through a proxy)', () => {
  const databaseUrl = process.env.DATABASE_URL as string;
  const schema = `statuskit_ready_${randomBytes(5).toString('hex')}`;
  let proxy: TcpProxy;
  let api: ApiProcess;
  beforeAll(async () => {
    const target = new URL(databaseUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    api = await startApi({
      env: {
        DATABASE_URL: proxy.rewrite(databaseUrl),
        STATUSKIT_DB_SCHEMA: schema,
        STATUSKIT_READY_TIMEOUT_MS: '300',
        STATUSKIT_METRICS: '1',
      },
    });
  });
  afterAll(async () => {
    proxy?.mode('forward');
    await api?.stop();
    await proxy?.close();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  const ready = async () => {
    const res = await call(`${api.url}/readyz`);
    return { status: res.status, type: res.headers.get('content-type'), body: res.body };
  };
  const metrics = async () => parseMetrics(await (await fetch(`${api.url}/metrics`)).text());

  it('answers 503 with a problem (readiness and requests alike) while the database refuses connections, and 200 once it is back', async () => {
    expect(await ready()).toMatchObject({ status: 200, body: { ready: true, engine: 'postgres' } });
    expect(sample(await metrics(), 'statuskit_db_connections', { state: 'idle' })).toBeGreaterThan(0);

    proxy.mode('refuse'); // the pool's idle connections are reset, as in a database restart
    const down = await ready();
    expect(down).toMatchObject({
      status: 503,
      type: 'application/problem+json',
      body: { type: 'https://statuskit.dev/problems/database-unavailable', status: 503 },
    });
    expect(down.body.instance).toEqual(expect.any(String));
    // Requests that need the database say so the same way (503, retry), never a 500.
    const write = await call(`${api.url}/v1/accounts/acme/status`, {
      method: 'PUT',
      ...json(api.key as string, { status: 'Pro' }),
    });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).toBe('5');
    expect(write.body).toMatchObject({ type: 'https://statuskit.dev/problems/database-unavailable' });
    // The lost connections were logged and counted, and the process is still serving.
    await expect
      .poll(async () => sample(await metrics(), 'statuskit_db_connection_errors_total'))
      .toBeGreaterThan(0);
    expect(api.stderr).toMatch(/a database connection was lost/);
    expect((await call(`${api.url}/healthz`)).status).toBe(200);

    proxy.mode('forward');
    await expect.poll(async () => (await ready()).status).toBe(200);
    expect(
      (
        await call(`${api.url}/v1/accounts/acme/status`, {
          method: 'PUT',
          ...json(api.key as string, { status: 'Pro' }),
        })
      ).status,
    ).toBe(200);
  });

  it('answers 503 when the database stops answering (within STATUSKIT_READY_TIMEOUT_MS), and 200 once it answers again', async () => {
    proxy.mode('blackhole');
    const silent = await ready();
    expect(silent).toMatchObject({
      status: 503,
      body: { type: 'https://statuskit.dev/problems/database-unavailable' },
    });
    expect(String(silent.body.detail)).toMatch(/did not answer within 300 ms|has not answered/);
    proxy.mode('forward');
    await expect.poll(async () => (await ready()).status).toBe(200);
  });
});
