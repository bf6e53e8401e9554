// One tenant's long work must not stop everyone else: on PGlite (one connection) long reports and health
// runs go in short chunks and writes and small reads get the connection between them; on PostgreSQL a
// statement past the statement timeout answers 503 and leaves nothing running, and so does a client that
// goes away; long work takes at most half of PostgreSQL's pool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@statuskit/store';
import { copyPGliteTemplate } from '@statuskit/store/testing';
import { type ApiProcess, apiDatabase, scaled, startApi } from '@statuskit/test-support';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const STATUSES = ['Trial', 'Pro', 'Enterprise', 'Personal', 'Cancelled', 'Gold'];

async function call(
  api: ApiProcess,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? JSON.parse(text) : null };
}

describe('long work on embedded PGlite', () => {
  const root = mkdtempSync(join(tmpdir(), 'statuskit-contention-'));
  let api: ApiProcess | undefined;
  afterAll(async () => {
    await api?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers status updates and small reads within a bound while a health run runs, and a report read meanwhile is unchanged', async () => {
    const ACCOUNTS = Number(process.env.STATUSKIT_CONTENTION_ACCOUNTS ?? 12_000);
    const dataDir = join(root, 'data');
    await copyPGliteTemplate(dataDir);
    const store = await openStore({ dataDir });
    await store.createTenant({ id: 'big', name: 'Big' });
    await store.createTenant({ id: 'small', name: 'Small' });
    const bigKey = (await store.createApiKey('big')).key;
    const smallKey = (await store.createApiKey('small')).key;
    // Two passes: every account created in January, most changed in February.
    for (let pass = 0; pass < 2; pass++)
      for (let i = 0; i < ACCOUNTS; i += 5000)
        await store.applyStatusUpdates(
          'big',
          Array.from({ length: Math.min(5000, ACCOUNTS - i) }, (_, k) => ({
            accountId: `a${String(i + k).padStart(7, '0')}`,
            status: STATUSES[(i + k + pass * 2) % STATUSES.length] ?? null,
            observedAt: new Date(Date.UTC(2026, 0, 1 + ((i + k) % 20) + pass * 25)),
          })),
          { receivedAt: new Date(Date.UTC(2026, 5, 1)) },
        );
    await store.close();
    api = await startApi({ dataDir, env: { STATUSKIT_STATEMENT_TIMEOUT: '600' } });
    const running = api;

    const metricsPath = '/v1/metrics?from=2026-01-01&to=2026-03-31';
    const windows = new Map<string, { start: number; end: number }>();
    const timed = async <T>(name: string, work: () => Promise<T>) => {
      const start = performance.now();
      const result = await work();
      windows.set(name, { start, end: performance.now() });
      return result;
    };
    const report = timed('report', () => call(running, bigKey, 'GET', metricsPath));
    const run = timed('health run', () => call(running, bigKey, 'POST', '/v1/health-runs'));
    let longWorkDone = false;
    const both = Promise.all([report, run]).finally(() => {
      longWorkDone = true;
    });

    const small: { what: string; start: number; ms: number; status: number }[] = [];
    for (let i = 0; !longWorkDone; i++) {
      const what = i % 2 === 0 ? 'PUT status' : 'GET /v1/catalog';
      const start = performance.now();
      const answer =
        i % 2 === 0
          ? await call(running, smallKey, 'PUT', `/v1/accounts/s${i % 50}/status`, {
              status: STATUSES[i % STATUSES.length],
            })
          : await call(running, smallKey, 'GET', '/v1/catalog');
      small.push({ what, start, ms: performance.now() - start, status: answer.status });
    }
    const [metrics, health] = await both;
    expect(metrics.status).toBe(200);
    expect(health.status).toBe(201);
    expect(health.json.state).toBe('done');

    // Requests sent while the health run (the long work; a year of metrics is one short statement) ran.
    const { start: longStart, end: longEnd } = windows.get('health run') ?? { start: 0, end: 0 };
    const during = small.filter((s) => s.start >= longStart && s.start + s.ms <= longEnd);
    expect(
      during.length,
      `only ${during.length} small requests overlapped the long work`,
    ).toBeGreaterThanOrEqual(3);
    const bound = scaled(1000);
    for (const s of small) {
      expect(s.status, s.what).toBe(200);
      expect(s.ms, `${s.what} took ${Math.round(s.ms)} ms (bound ${bound} ms)`).toBeLessThan(bound);
    }

    // The report's answer is the one the same request gets on an idle API, and the run counted everyone.
    const idle = await call(running, bigKey, 'GET', metricsPath);
    expect(metrics.json).toEqual(idle.json);
    expect(metrics.json.days).toHaveLength(90);
    expect(health.json.summary.total).toBe(ACCOUNTS);
  });
});

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(!databaseUrl)('long work on PostgreSQL', () => {
  const database = databaseUrl
    ? apiDatabase('postgres')
    : { env: {} as Record<string, string>, cleanup: async () => {} };
  const schema = database.env.STATUSKIT_DB_SCHEMA as string;
  let admin: pg.Client | undefined;
  let locker: pg.Client | undefined;
  const apis: ApiProcess[] = [];
  /** The key the first start printed (the schema keeps it for the next start). */
  let key = '';
  afterAll(async () => {
    await locker?.end().catch(() => {});
    await admin?.end();
    for (const a of apis) await a.stop();
    await database.cleanup();
  });

  /** The API's statements the server is running now (its connections are named `statuskit/<schema>`). */
  const activeQueries = async () =>
    (
      await (admin as pg.Client).query<{ query: string; wait_event_type: string | null }>(
        "SELECT query, wait_event_type FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
        [`statuskit/${schema}`],
      )
    ).rows;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const give = Date.now() + scaled(10_000);
    while (!(await ok())) {
      if (Date.now() > give) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Holds a lock that makes every metrics statement wait (a statement as slow as we like). */
  const holdEventsLock = async () => {
    locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(
      `LOCK TABLE ${schema}.status_events, ${schema}.status_day_changes IN ACCESS EXCLUSIVE MODE`,
    );
  };
  const releaseLock = async () => {
    await locker?.query('ROLLBACK');
    await locker?.end();
    locker = undefined;
  };

  it('answers 503 problem+json for a statement past the timeout, and leaves no query running', async () => {
    const api = await startApi({ env: { ...database.env, STATUSKIT_STATEMENT_TIMEOUT: '1' } });
    apis.push(api);
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    key = api.key as string;
    await holdEventsLock();
    try {
      const answer = await call(api, key, 'GET', '/v1/metrics?from=2025-01-01&to=2025-12-31');
      expect(answer.status).toBe(503);
      expect(answer.type).toBe('application/problem+json');
      expect(answer.json).toMatchObject({
        type: 'https://statuskit.dev/problems/statement-timeout',
        status: 503,
        timeoutSeconds: 1,
        detail: 'The request took longer than 1 s; try a shorter range.',
      });
      expect(await activeQueries()).toEqual([]);
    } finally {
      await releaseLock();
    }
    expect((await call(api, key, 'PUT', '/v1/accounts/a1/status', { status: 'Pro' })).status).toBe(200);
    expect((await call(api, key, 'GET', '/v1/metrics?from=2025-01-01&to=2025-12-31')).status).toBe(200);
    await api.stop();
  });

  it('keeps part of the pool for writes and small reads while more long reports than connections wait', async () => {
    // A pool of 4: long work takes at most 2 connections, however many reports are asked for at once.
    const api = await startApi({
      env: { ...database.env, STATUSKIT_STATEMENT_TIMEOUT: '600', STATUSKIT_DB_POOL_SIZE: '4' },
    });
    apis.push(api);
    await holdEventsLock();
    const client = new AbortController();
    try {
      const reports = Array.from({ length: 6 }, () =>
        call(api, key, 'GET', '/v1/metrics?from=2025-01-01&to=2025-01-31', undefined, client.signal).catch(
          () => null,
        ),
      );
      await until('two reports wait on the lock', async () =>
        (await activeQueries()).some((q) => q.wait_event_type === 'Lock'),
      );
      const started = performance.now();
      expect((await call(api, key, 'GET', '/v1/catalog')).status).toBe(200);
      expect((await call(api, key, 'GET', '/v1/accounts?limit=10')).status).toBe(200);
      expect((await call(api, key, 'PUT', '/v1/rules', [])).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(scaled(2000));
      const waiting = (await activeQueries()).filter((q) => q.wait_event_type === 'Lock');
      expect(waiting).toHaveLength(2);
      client.abort();
      await Promise.all(reports);
      await until('no query of the API is running', async () => (await activeQueries()).length === 0);
    } finally {
      client.abort();
      await releaseLock();
    }
    expect((await call(api, key, 'GET', '/v1/metrics?from=2025-01-01&to=2025-01-31')).status).toBe(200);
    await api.stop();
  });

  it('cancels the query of a client that goes away', async () => {
    const api = await startApi({ env: { ...database.env, STATUSKIT_STATEMENT_TIMEOUT: '600' } });
    apis.push(api);
    await holdEventsLock();
    try {
      const client = new AbortController();
      const gone = call(
        api,
        key,
        'GET',
        '/v1/metrics?from=2025-01-01&to=2025-01-31',
        undefined,
        client.signal,
      );
      gone.catch(() => {});
      await until('the metrics query waits on the lock', async () =>
        (await activeQueries()).some((q) => q.wait_event_type === 'Lock'),
      );
      client.abort();
      await expect(gone).rejects.toThrow();
      await until('no query of the API is running', async () => (await activeQueries()).length === 0);
    } finally {
      await releaseLock();
    }
    await api.stop();
  });
});
