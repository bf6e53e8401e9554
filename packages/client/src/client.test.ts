import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { StatuskitApiError, StatuskitNetworkError, StatuskitVersionConflictError } from './errors.js';

type Handler = (req: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}) => Response | Promise<Response>;

function fakeFetch(handler: Handler) {
  const calls: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(req);
    return handler(req);
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
const batchOk = (n: number) =>
  json(200, { counts: { created: n, changed: 0, unchanged: 0, stale: 0 }, results: [] });

describe('StatuskitClient', () => {
  it('retries 503 and 429 with backoff, honouring Retry-After, then succeeds', async () => {
    let n = 0;
    const { fetchImpl, calls } = fakeFetch(() => {
      n++;
      if (n === 1) return json(503, { type: 'x', title: 'Unavailable', status: 503 });
      if (n === 2) return json(429, { type: 'x', title: 'Too Many', status: 429 }, { 'retry-after': '0.01' });
      return json(200, { total: 0, byReason: {}, values: [] });
    });
    const retries: string[] = [];
    const client = createClient({
      url: 'http://api.test/',
      apiKey: 'sk_x',
      fetch: fetchImpl,
      retryBaseMs: 1,
      onRetry: (r) => retries.push(r.reason),
    });
    expect(await client.unknownReport()).toEqual({ total: 0, byReason: {}, values: [] });
    expect(retries).toEqual(['HTTP 503', 'HTTP 429']);
    expect(calls[0]?.url).toBe('http://api.test/v1/reports/unknown');
    expect(calls[0]?.headers.authorization).toBe('Bearer sk_x');
  });

  it('throws the problem of a 4xx with its field errors, without retrying', async () => {
    const { fetchImpl, calls } = fakeFetch(() =>
      json(400, {
        type: 'https://statuskit.dev/problems/validation',
        title: 'Bad Request',
        status: 400,
        errors: [{ path: ['updates', 0, 'status'], at: 'updates[0].status', message: 'bad', code: 'x' }],
      }),
    );
    const client = createClient({ url: 'http://api.test', apiKey: 'k', fetch: fetchImpl, retryBaseMs: 1 });
    const error = await client.batch([{ accountId: 'a', status: 'Pro' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatuskitApiError);
    expect((error as StatuskitApiError).status).toBe(400);
    expect((error as StatuskitApiError).message).toContain('updates[0].status: bad');
    expect(calls).toHaveLength(1);
  });

  it('does not resend a POST without an idempotency key after a network error', async () => {
    const { fetchImpl, calls } = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    const client = createClient({ url: 'http://api.test', apiKey: 'k', fetch: fetchImpl, retryBaseMs: 1 });
    await expect(client.runHealth()).rejects.toBeInstanceOf(StatuskitNetworkError);
    expect(calls).toHaveLength(1);
    await expect(
      client.batch([{ accountId: 'a', status: 'Pro' }], { idempotencyKey: 'k1' }),
    ).rejects.toBeInstanceOf(StatuskitNetworkError);
    expect(calls).toHaveLength(1 + 5);
  });

  it('splits pushes into batches with idempotency keys derived from a prefix', async () => {
    const { fetchImpl, calls } = fakeFetch((req) =>
      batchOk((req.body as { updates: unknown[] }).updates.length),
    );
    const client = createClient({ url: 'http://api.test', apiKey: 'k', fetch: fetchImpl });
    async function* updates() {
      for (let i = 0; i < 2500; i++) yield { accountId: `a${i}`, status: 'Pro' };
    }
    const totals = await client.pushAll(updates(), { batchSize: 1000, idempotencyKeyPrefix: 'file-abc' });
    expect(totals).toMatchObject({ batches: 3, updates: 2500, counts: { created: 2500 } });
    expect(
      calls.map((c) => [c.headers['idempotency-key'], (c.body as { updates: unknown[] }).updates.length]),
    ).toEqual([
      ['file-abc#1', 1000],
      ['file-abc#2', 1000],
      ['file-abc#3', 500],
    ]);
    await expect(
      client.batch(Array.from({ length: 10_001 }, (_, i) => ({ accountId: `${i}`, status: 'Pro' }))),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it('returns undefined for a missing account or health run', async () => {
    const { fetchImpl } = fakeFetch(() => json(404, { type: 'x', title: 'Not Found', status: 404 }));
    const client = createClient({ url: 'http://api.test', apiKey: 'k', fetch: fetchImpl });
    expect(await client.getAccount('nope')).toBeUndefined();
    expect(await client.getHealthRun('hr_x')).toBeUndefined();
    await expect(client.listAccounts()).rejects.toBeInstanceOf(StatuskitApiError);
  });

  it('asks for the account counts, a number of runs, and one reason of a run with its query encoded', async () => {
    const { fetchImpl, calls } = fakeFetch(() => json(200, { runs: [], exclusions: [], nextCursor: null }));
    const client = createClient({ url: 'http://api.test', apiKey: 'k', fetch: fetchImpl });
    await client.accountCounts();
    await client.listHealthRuns({ limit: 5 });
    await client.listHealthRuns();
    await client.healthRunExclusions('hr_1', { reason: 'trial > 30 days & more', cursor: 'a/b', limit: 25 });
    expect(calls.map((c) => c.url)).toEqual([
      'http://api.test/v1/reports/accounts',
      'http://api.test/v1/health-runs?limit=5',
      'http://api.test/v1/health-runs',
      'http://api.test/v1/health-runs/hr_1/exclusions?reason=trial+%3E+30+days+%26+more&cursor=a%2Fb&limit=25',
    ]);
  });
  it('saves the catalog and the rules over a version with If-Match, and surfaces 412 as a typed error', async () => {
    const { fetchImpl, calls } = fakeFetch((req) => {
      if (req.headers['if-match'] === '"7"')
        return json(200, { catalog: { statuses: [] }, version: 8, updatedAt: 'x' });
      return json(
        412,
        {
          type: 'https://statuskit.dev/problems/version-conflict',
          title: 'Precondition Failed',
          status: 412,
          currentVersion: 9,
        },
        { etag: '"9"' },
      );
    });
    const client = createClient({ url: 'http://api.test', apiKey: 'sk_x', fetch: fetchImpl, retryBaseMs: 1 });
    expect((await client.putCatalog({ statuses: [] }, { ifVersion: 7 })).version).toBe(8);
    const stale = await client.putRules([], { ifVersion: 3 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StatuskitVersionConflictError);
    expect(stale).toBeInstanceOf(StatuskitApiError);
    expect(stale).toMatchObject({ status: 412, currentVersion: 9 });
    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers['if-match']}`)).toEqual([
      'PUT http://api.test/v1/catalog "7"',
      'PUT http://api.test/v1/rules "3"',
    ]);
    await client.putCatalog({ statuses: [] }).catch(() => undefined);
    expect(calls.at(-1)?.headers['if-match']).toBeUndefined();
  });
});

describe('StatuskitClient against a server that cuts an answer off after its headers', () => {
  /** A loopback server whose first `cuts` answers send headers and half a body, then drop the connection. */
  async function cuttingServer(cuts: number) {
    const { createServer } = await import('node:http');
    let seen = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.once('end', () => {
        const body = JSON.stringify({
          counts: { created: 1, changed: 0, unchanged: 0, stale: 0 },
          results: [],
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        if (++seen <= cuts) {
          res.write(body.slice(0, 10));
          setImmediate(() => res.socket?.destroy());
          return;
        }
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return { url, requests: () => seen, close: () => new Promise((r) => server.close(r)) };
  }

  it('retries a safe request whose body was cut, as it retries a dropped connection', async () => {
    const server = await cuttingServer(1);
    try {
      const client = createClient({ url: server.url, apiKey: 'sk_x', retryBaseMs: 1 });
      const result = await client.batch([{ accountId: 'a', status: 'Pro' }], { idempotencyKey: 'k1' });
      expect(result.counts.created).toBe(1);
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('does not retry an unsafe request whose answer was cut, and says it may have been applied', async () => {
    const server = await cuttingServer(5);
    try {
      const client = createClient({ url: server.url, apiKey: 'sk_x', retryBaseMs: 1 });
      const error = await client.batch([{ accountId: 'a', status: 'Pro' }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StatuskitNetworkError);
      expect((error as Error).message).toMatch(/answer was cut off.*may have been applied/);
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
