// The fuzz suite: reads /openapi.json from a real API process and sends FUZZ_RUNS generated hostile
// requests (default 2,000 per engine) to its operations. The pass mark is zero 5xx answers; every answer
// from the app says nosniff, and its errors are problem+json. A failing case is shrunk by fast-check and
// printed; each one found so far is a named case in hostile-input.test.ts.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { testEngines } from '@statuskit/store/testing';
import { type ApiProcess, apiDatabase, scaled, startApi } from '@statuskit/test-support';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileRequest, hostileRequests, type OpenApiDoc, operationCount } from './testing/hostile.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const ADMIN = 'fuzz-admin-token';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * Sends one request as given (path already encoded), over a keep-alive agent. A kept-alive socket the
 * server closed in the meantime (after an answer that ends the connection) is retried on a new one, as
 * Node's documentation advises; any other socket error fails the case.
 */
function send(base: URL, agent: Agent | false, r: HostileRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: r.method,
        path: r.path,
        headers: { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (req.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET')
        send(base, false, r).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

/** A raw request on its own socket, for what an HTTP client library would refuse to send. */
function sendRaw(base: URL, raw: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname, () => socket.end(raw));
    let out = '';
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', (e) =>
      (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(out) : reject(e),
    );
  });
}

const show = (r: HostileRequest) =>
  `${r.method} ${r.path.slice(0, 300)}\n${JSON.stringify(r.headers).slice(0, 300)}\n${String(r.body ?? '').slice(0, 500)}`;

describe.each(testEngines())('fuzz against a real API process on %s', (engine) => {
  const database = apiDatabase(engine);
  let api: ApiProcess;
  let base: URL;
  let doc: OpenApiDoc;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const ids = {
    accountIds: ['acme', 'a-1'],
    runIds: [] as string[],
    keyIds: [] as string[],
    connectors: ['sfdc'],
  };
  let creds: { key: string; otherTenantKey: string; revokedKey: string; adminToken: string };

  beforeAll(async () => {
    api = await startApi({
      env: { ...database.env, STATUSKIT_ADMIN_TOKEN: ADMIN, STATUSKIT_AUTH_FAILURE_LIMIT: '0' },
    });
    base = new URL(api.url);
    const key = api.key as string;
    const call = async (method: string, path: string, body?: unknown, token = key) => {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    };
    await call('POST', '/v1/statuses:batch', {
      updates: [
        { accountId: 'acme', status: 'Pro', attributes: { region: 'EU', x: { y: 1 } } },
        { accountId: 'a-1', status: 'Gold' },
      ],
    });
    await call('PUT', '/v1/connectors/sfdc/state', { watermark: '2026-01-01T00:00:00Z' });
    ids.runIds.push((await call('POST', '/v1/health-runs')).id as string);
    const spare = await call('POST', '/v1/api-keys', { name: 'spare' });
    ids.keyIds.push(spare.id as string);
    const revoked = await call('POST', '/v1/api-keys', { name: 'revoked' });
    await call('DELETE', `/v1/api-keys/${revoked.id}`);
    const other = await call('POST', '/v1/tenants', { name: 'Other' }, ADMIN);
    creds = {
      key,
      otherTenantKey: (other.apiKey as { key: string }).key,
      revokedKey: revoked.key as string,
      adminToken: ADMIN,
    };
    doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDoc;
  });

  afterAll(async () => {
    agent.destroy();
    await api?.stop();
    await database.cleanup();
  });

  it(
    `answers ${RUNS} generated hostile requests to every operation without a 5xx`,
    async () => {
      expect(operationCount(doc)).toBeGreaterThanOrEqual(22);
      const statuses = new Map<number, number>();
      const operations = new Set<string>();
      await fc.assert(
        fc.asyncProperty(hostileRequests(doc, ids, creds), async (r) => {
          const res = await send(base, agent, r);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          operations.add(r.note.split(' (')[0] as string);
          if (res.status >= 500)
            throw new Error(`${res.status} for\n${show(r)}\n=> ${res.body.slice(0, 500)}`);
          // Node's own answers (400 for a request it cannot parse, 431 for huge headers) come before the app.
          const fromNode =
            res.headers['x-content-type-options'] === undefined && [400, 431].includes(res.status);
          if (!fromNode) {
            expect(res.headers['x-content-type-options'], show(r)).toBe('nosniff');
            if (res.status >= 400 && r.method !== 'HEAD')
              expect(res.headers['content-type'], show(r)).toBe('application/problem+json');
          }
        }),
        { numRuns: RUNS, endOnFailure: false },
      );
      // Every operation was tried, and the answers were not all refusals.
      expect(operations.size).toBe(operationCount(doc));
      const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
      expect(ok).toBeGreaterThan(RUNS / 20);
      process.stderr.write(
        `fuzz on ${engine}: ${RUNS} requests, answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
      );
    },
    scaled(60_000 + RUNS * 30),
  );

  it("leaves Node's own answers to malformed HTTP as they are, refuses a huge body, and stays up", async () => {
    const raws = [
      `GET /v1/catalog HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GET /v1/catalog HTTP/1.1\r\nHost: x\r\nBad\u0000Header: 1\r\n\r\n',
      'NOT A REQUEST\r\n\r\n',
      'PUT /v1/accounts/a/status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /v1/cat\u0000alog HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    for (const raw of raws) {
      const answer = await sendRaw(base, raw);
      expect(answer, raw.slice(0, 60)).toMatch(/^HTTP\/1\.1 4\d\d /);
    }
    const huge = await send(base, agent, {
      method: 'POST',
      path: '/v1/statuses:batch',
      headers: { authorization: `Bearer ${creds.key}`, 'content-type': 'application/json' },
      body: `{"updates":[${'{"accountId":"a","status":"Pro"},'.repeat(300_000)}{"accountId":"a","status":"Pro"}]}`,
      note: 'a body over 8 MiB',
    });
    expect(huge.status).toBe(413);
    expect(huge.headers['content-type']).toBe('application/problem+json');
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
