// Write latency while long work runs: single PUT /v1/accounts/{id}/status answers (p50/p99) on an idle API,
// then while 365-day GET /v1/metrics, POST /v1/health-runs and re-classifying PUT /v1/catalog requests run one
// after another (each kind in its own loop) on the same tenant, on PGlite and on
// PostgreSQL. The API runs as its own process (`npm start`'s main), as in production, so a PGlite statement
// that blocks the API's thread shows in the latencies.
// BENCH_CONTENTION_ACCOUNTS (300000), BENCH_CONTENTION_EVENTS (900000): the tenant's size;
// BENCH_CONTENTION_SECONDS (20): how long the long work runs and writes are measured under it;
// BENCH_CONTENTION_ENGINES (pglite,postgres).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyStatus, defaultCatalog } from '@statuskit/core';
import { openStore } from '@statuskit/store';
import pg from 'pg';
import { deriveKeptTables } from '../src/testing/million-scenario.mjs';

const ACCOUNTS = Number(process.env.BENCH_CONTENTION_ACCOUNTS ?? 300_000);
const EVENTS = Number(process.env.BENCH_CONTENTION_EVENTS ?? 900_000);
const SECONDS = Number(process.env.BENCH_CONTENTION_SECONDS ?? 20);
const ENGINES = (process.env.BENCH_CONTENTION_ENGINES ?? 'pglite,postgres').split(',');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const main = new URL('../dist/main.js', import.meta.url).pathname;
const STATUSES = ['Trial', 'Pro', 'Enterprise', 'Personal', 'Cancelled', 'Gold'];
const DAY_MS = 86_400_000;

/** The tenant, written with set-based SQL (its accounts, and their events with each status's class). */
async function seed(store) {
  await store.createTenant({ id: 'bench', name: 'Bench' });
  const key = (await store.createApiKey('bench')).key;
  const classes = STATUSES.map((s, k) => {
    const c = classifyStatus(s, defaultCatalog);
    const q = (v) => (v === undefined || v === null ? 'NULL' : `'${v}'`);
    return `(${k}, '${s}', ${q(c.status)}, '${c.statusType}', ${q(c.plan)}, ${c.trial}, ${c.nonCustomer}, ${q(c.unknownReason)})`;
  });
  const perAccount = Math.max(1, Math.round(EVENTS / ACCOUNTS));
  const step = Math.floor(360 / perAccount);
  const classesSql = `(VALUES ${classes.join(', ')}) AS c(k, raw, status, type, plan, trial, nc, ur)`;
  const run = (text) => store.db.executeQuery({ sql: text, parameters: [], query: { kind: 'RawNode' } });
  const chunk = 50_000;
  for (let from = 0; from < ACCOUNTS; from += chunk) {
    const to = Math.min(ACCOUNTS, from + chunk) - 1;
    // Account i holds status (i + perAccount - 1) % 6 since its last event; event e of it moved it to (i + e) % 6.
    await run(`
      INSERT INTO accounts (tenant_id, account_id, raw_status, status_observed_at, last_observed_at, source)
      SELECT 'bench', 'a' || lpad(i::text, 7, '0'), c.raw, t, t, 'api'
      FROM generate_series(${from}, ${to}) i
      CROSS JOIN LATERAL (SELECT now() - make_interval(days => 365 - ${(perAccount - 1) * step} - i % ${step}) AS t) x
      JOIN ${classesSql} ON c.k = (i + ${perAccount - 1}) % 6`);
    await run(`
      INSERT INTO status_events (tenant_id, account_id, kind, from_status, to_status, from_type, to_type, source, observed_at)
      SELECT 'bench', 'a' || lpad(i::text, 7, '0'), 'change', CASE WHEN e = 0 THEN NULL ELSE p.raw END, c.raw,
             CASE WHEN e = 0 THEN NULL ELSE p.type END, c.type, 'api',
             now() - make_interval(days => 365 - e * ${step} - i % ${step})
      FROM generate_series(${from}, ${to}) i CROSS JOIN generate_series(0, ${perAccount - 1}) e
      JOIN ${classesSql} ON c.k = (i + e) % 6
      JOIN (VALUES ${classes.join(', ')}) AS p(k, raw, status, type, plan, trial, nc, ur) ON p.k = (i + e + 5) % 6`);
  }
  await deriveKeptTables((text, parameters) => store.db.executeQuery({ sql: text, parameters }), 'bench');
  await run('ANALYZE');
  return key;
}

function startApi(env) {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: '0',
      STATUSKIT_SCHEDULER: 'off',
      STATUSKIT_STATEMENT_TIMEOUT: '3600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /STATUSKIT_URL=(\S+)\n/.exec(out);
      if (m)
        resolve({
          url: m[1],
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGINT');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`the API exited (${code}): ${err}`)));
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) };
};
const fmt = (x) => `${x.toFixed(1)} ms`;

async function writes(api, key, until) {
  const ms = [];
  for (let i = 0; until(i); i++) {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/v1/accounts/w${i % 500}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: STATUSES[i % STATUSES.length] }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`PUT answered ${res.status}`);
    ms.push(performance.now() - t0);
  }
  return ms;
}

/**
 * Long work, each kind in its own loop until BUSY seconds have passed (a request still running then is
 * abandoned: its client goes away, which stops it): a 365-day metrics request, a health run, and a catalog
 * change that re-classifies every Gold account (Gold turns paying, then Unknown again).
 */
function longWork(api, key, busyUntil, signal) {
  const to = new Date();
  const from = new Date(to.getTime() - 364 * DAY_MS);
  const day = (d) => d.toISOString().slice(0, 10);
  const plain = defaultCatalog.toJSON();
  const withGold = { statuses: [...plain.statuses, { value: 'Gold', type: 'paying', plan: 'gold' }] };
  let flips = 0;
  const kinds = [
    ['365-day metrics', () => ['GET', `/v1/metrics?from=${day(from)}&to=${day(to)}`]],
    ['health run', () => ['POST', '/v1/health-runs']],
    ['catalog change (re-classifies)', () => ['PUT', '/v1/catalog', flips++ % 2 === 0 ? withGold : plain]],
  ];
  return kinds.map(async ([label, next]) => {
    const took = [];
    let abandoned = 0;
    while (performance.now() < busyUntil) {
      const [method, path, body] = next();
      const t0 = performance.now();
      try {
        const res = await fetch(`${api.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal,
        });
        await res.arrayBuffer();
        if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}`);
        took.push(performance.now() - t0);
      } catch (error) {
        if (!signal.aborted) throw error;
        abandoned++;
      }
    }
    const mean = took.length ? took.reduce((a, b) => a + b, 0) / took.length / 1000 : 0;
    return `${label}: ${took.length} done, ${mean.toFixed(2)} s each on average, max ${((took.length ? Math.max(...took) : 0) / 1000).toFixed(2)} s${abandoned ? `, ${abandoned} abandoned at the end` : ''}`;
  });
}

async function measure(engine, api, key) {
  const idle = summary(await writes(api, key, (i) => i < 300));
  const client = new AbortController();
  const busyUntil = performance.now() + SECONDS * 1000;
  let running = 3;
  const work = longWork(api, key, busyUntil, client.signal).map((p) => p.finally(() => running--));
  const loaded = summary(await writes(api, key, () => running === 3 && performance.now() < busyUntil));
  client.abort();
  const outcomes = await Promise.all(work);
  console.log(`\n${engine}: ${ACCOUNTS} accounts, ${EVENTS} events`);
  console.log(`  idle API:           p50 ${fmt(idle.p50)}  p99 ${fmt(idle.p99)}  (${idle.n} PUTs)`);
  console.log(
    `  during long work:   p50 ${fmt(loaded.p50)}  p99 ${fmt(loaded.p99)}  max ${fmt(loaded.max)}  (${loaded.n} PUTs over ${SECONDS} s)`,
  );
  console.log(
    `  ratio to idle:      p50 ${(loaded.p50 / idle.p50).toFixed(1)}x  p99 ${(loaded.p99 / idle.p99).toFixed(1)}x`,
  );
  for (const o of outcomes) console.log(`  ${o}`);
}

if (ENGINES.includes('pglite')) {
  const dir = mkdtempSync(join(tmpdir(), 'statuskit-contention-'));
  try {
    const dataDir = join(dir, 'data');
    const store = await openStore({ dataDir });
    const t0 = performance.now();
    const key = await seed(store);
    await store.close();
    console.log(`PGlite seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const api = await startApi({ STATUSKIT_DATA_DIR: dataDir });
    try {
      await measure('PGlite (embedded, one connection)', api, key);
    } finally {
      await api.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (ENGINES.includes('postgres')) {
  const schema = `statuskit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    const store = await openStore({ databaseUrl: DATABASE_URL, schema, poolSize: 2 });
    const t0 = performance.now();
    const key = await seed(store);
    await store.close();
    console.log(`\nPostgreSQL seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const api = await startApi({ DATABASE_URL, STATUSKIT_DB_SCHEMA: schema });
    try {
      await measure('PostgreSQL (pool of 10)', api, key);
    } finally {
      await api.stop();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}
