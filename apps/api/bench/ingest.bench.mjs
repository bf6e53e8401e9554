// Batch ingest through POST /v1/statuses:batch (1,000 per batch, loopback) against the fastest raw SQL path
// for the same rows and their status events, on PostgreSQL and on PGlite; then a health run over 1,000,000
// accounts. Run with `npm run bench` from the root (after a build). BENCH_UPDATES / BENCH_HEALTH_ACCOUNTS
// change the sizes; DATABASE_URL (default the local server) selects PostgreSQL.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyStatus, defaultCatalog } from '@statuskit/core';
import { openStore } from '@statuskit/store';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { startServer } from '../dist/index.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 200_000);
const BATCH = 1000;
const HEALTH_ACCOUNTS = Number(process.env.BENCH_HEALTH_ACCOUNTS ?? 1_000_000);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const statuses = ['Pro', 'Trial', 'Enterprise', 'Personal', 'Cancelled', 'Gold'];

function rows(pass) {
  const t = new Date(Date.UTC(2026, 0, 1 + pass)).toISOString();
  return Array.from({ length: UPDATES }, (_, i) => ({
    accountId: `acct-${String(i).padStart(7, '0')}`,
    status: statuses[(i + pass) % statuses.length],
    observedAt: t,
    source: 'api',
  }));
}

// The raw paths write the same rows into the same tables (the store's schema, indexes included): the
// account with its classification columns, and one status event per update, in one statement per batch.
const STAGE_COLUMNS =
  'account_id text, raw_status text, status_type text, observed_at timestamptz, source text';
// The class of a raw value before the update (the event's from_type), as the store reads it: from the catalog.
const CLASSES = `(VALUES ${statuses.map((s) => `('${s}', '${classifyStatus(s, defaultCatalog).statusType}')`).join(', ')}) AS k(raw, type)`;
const UPSERT_FROM_STAGE = `
WITH prev AS (SELECT a.account_id, a.raw_status FROM accounts a JOIN stage s ON a.tenant_id = 'bench' AND a.account_id = s.account_id),
up AS (
  INSERT INTO accounts (tenant_id, account_id, raw_status, status_observed_at, last_observed_at, source)
  SELECT 'bench', account_id, raw_status, observed_at, observed_at, source FROM stage
  ON CONFLICT (tenant_id, account_id) DO UPDATE SET raw_status = EXCLUDED.raw_status,
    status_observed_at = EXCLUDED.status_observed_at, last_observed_at = EXCLUDED.last_observed_at,
    source = EXCLUDED.source, updated_at = now()
)
INSERT INTO status_events (tenant_id, account_id, kind, from_status, to_status, from_type, to_type, source, observed_at)
SELECT 'bench', s.account_id, 'change', p.raw_status, s.raw_status, CASE WHEN p.account_id IS NULL THEN NULL ELSE coalesce(k.type, 'unknown') END,
       s.status_type, s.source, s.observed_at
FROM stage s LEFT JOIN prev p USING (account_id) LEFT JOIN ${CLASSES} ON k.raw = p.raw_status`;

const classified = (u) => [
  u.accountId,
  u.status,
  classifyStatus(u.status, defaultCatalog).statusType,
  u.observedAt,
  u.source,
];
const tsvValue = (v) => (v === null ? '\\N' : String(v));

async function rawCopy(client, batches) {
  const t0 = performance.now();
  for (const batch of batches) {
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE stage (${STAGE_COLUMNS}) ON COMMIT DROP`);
    const tsv = batch.map((u) => `${classified(u).map(tsvValue).join('\t')}\n`).join('');
    await pipeline(Readable.from([tsv]), client.query(copyStreams.from('COPY stage FROM STDIN')));
    await client.query('ANALYZE stage'); // temp tables are never analyzed automatically
    await client.query(UPSERT_FROM_STAGE);
    await client.query('COMMIT');
  }
  return performance.now() - t0;
}

async function rawUnnest(query, batches) {
  const t0 = performance.now();
  for (const batch of batches) {
    await query('BEGIN');
    const cols = batch.map(classified);
    const col = (i) => cols.map((r) => r[i]);
    await query(
      'CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS s(account_id, raw_status, status_type, observed_at, source)',
      [col(0), col(1), col(2), col(3), col(4)],
    );
    await query('ANALYZE stage');
    await query(UPSERT_FROM_STAGE);
    await query('COMMIT');
  }
  return performance.now() - t0;
}

/**
 * Between the two passes both sides get an ANALYZE, as autovacuum would give them; the PostgreSQL of this
 * machine runs with autovacuum off, and without statistics every path degrades as its tables grow.
 */
const analyze = (store) =>
  store.db.executeQuery({ sql: 'ANALYZE accounts; ANALYZE status_events', parameters: [] });

async function viaApi(url, key, batches, pass) {
  const t0 = performance.now();
  let n = 0;
  for (const batch of batches) {
    const res = await fetch(`${url}/v1/statuses:batch`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-${pass}-${n++}`,
      },
      body: JSON.stringify({ updates: batch }),
    });
    if (res.status !== 200) throw new Error(`batch failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  return performance.now() - t0;
}

const chunk = (list) =>
  Array.from({ length: Math.ceil(list.length / BATCH) }, (_, i) => list.slice(i * BATCH, (i + 1) * BATCH));
const rate = (ms) => Math.round((UPDATES * 2) / (ms / 1000));
const fmt = (n) => n.toLocaleString('en-US').padStart(9);
const passes = [chunk(rows(0)), chunk(rows(1))];

async function postgres() {
  const schema = `statuskit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await (await openStore({ databaseUrl: DATABASE_URL, schema: `${schema}_raw`, poolSize: 1 })).close();
    const raw = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}_raw` });
    await raw.connect();
    const rawAnalyze = () => raw.query('ANALYZE accounts; ANALYZE status_events');
    const copyFirst = await rawCopy(raw, passes[0]);
    await rawAnalyze();
    const copyMs = copyFirst + (await rawCopy(raw, passes[1]));
    await raw.query('TRUNCATE accounts, status_events');
    await rawAnalyze();
    const unnestFirst = await rawUnnest((q, p) => raw.query(q, p), passes[0]);
    await rawAnalyze();
    const unnestMs = unnestFirst + (await rawUnnest((q, p) => raw.query(q, p), passes[1]));
    await raw.end();

    const store = await openStore({ databaseUrl: DATABASE_URL, schema, poolSize: 4 });
    const server = await startServer({ store, port: 0, scheduler: false });
    await store.createTenant({ id: 'bench', name: 'bench' });
    const key = (await store.createApiKey('bench')).key;
    const apiFirst = await viaApi(server.url, key, passes[0], 0);
    await analyze(store);
    const apiMs = apiFirst + (await viaApi(server.url, key, passes[1], 1));
    await server.close();
    await store.close();
    const best = Math.max(rate(copyMs), rate(unnestMs));
    console.log(
      `\nPostgreSQL: ${(UPDATES * 2).toLocaleString('en-US')} updates (${UPDATES.toLocaleString('en-US')} new, then the same accounts changed), ${BATCH} per batch`,
    );
    console.log(`  raw COPY + INSERT..SELECT ON CONFLICT   ${fmt(rate(copyMs))} updates/s`);
    console.log(`  raw unnest + INSERT..SELECT ON CONFLICT ${fmt(rate(unnestMs))} updates/s`);
    console.log(
      `  POST /v1/statuses:batch                 ${fmt(rate(apiMs))} updates/s   ${((rate(apiMs) / best) * 100).toFixed(0)}% of the fastest raw path (target >= 50%)`,
    );
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema}_raw CASCADE`);
    await admin.end();
  }
}

async function pglite() {
  const rawStore = await openStore({});
  const query = (q, p) => rawStore.db.executeQuery({ sql: q, parameters: p ?? [] });
  const unnestMs = (await rawUnnest(query, passes[0])) + (await rawUnnest(query, passes[1]));
  await rawStore.close();
  const store = await openStore({});
  const server = await startServer({ store, port: 0, scheduler: false });
  await store.createTenant({ id: 'bench', name: 'bench' });
  const key = (await store.createApiKey('bench')).key;
  const apiMs = (await viaApi(server.url, key, passes[0], 0)) + (await viaApi(server.url, key, passes[1], 1));
  await server.close();
  await store.close();
  console.log('\nPGlite (in process):');
  console.log(`  raw unnest + INSERT..SELECT ON CONFLICT ${fmt(rate(unnestMs))} updates/s`);
  console.log(
    `  POST /v1/statuses:batch                 ${fmt(rate(apiMs))} updates/s   ${((rate(apiMs) / rate(unnestMs)) * 100).toFixed(0)}% of the raw path`,
  );
}

async function healthRun() {
  const schema = `statuskit_bench_${randomBytes(4).toString('hex')}`;
  const store = await openStore({ databaseUrl: DATABASE_URL, schema, poolSize: 4 });
  try {
    await store.createTenant({ id: 'bench', name: 'bench' });
    await store.putRules('bench', [
      {
        name: 'demo',
        conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
        event: { type: 'exclude', params: { reason: 'demo tenant' } },
      },
      {
        name: 'long-trial',
        conditions: {
          all: [
            { fact: 'trial', operator: 'equal', value: true },
            { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
          ],
        },
        event: { type: 'exclude', params: { reason: 'trial over 30 days' } },
      },
    ]);
    // Load accounts straight into the table (ingest speed is measured above).
    await store.db.executeQuery({
      sql: `INSERT INTO accounts (tenant_id, account_id, raw_status, attributes, status_observed_at, last_observed_at, source)
            SELECT 'bench', 'acct-' || lpad(i::text, 7, '0'), s,
                   CASE WHEN i % 50 = 0 THEN '{"demo": true}'::jsonb ELSE '{"region": "EU"}'::jsonb END,
                   now() - (i % 90) * interval '1 day', now(), 'api'
            FROM generate_series(1, $1::int) i, LATERAL (SELECT (ARRAY['Pro','Trial','Enterprise','Personal','Cancelled','Gold'])[1 + i % 6] AS s) x`,
      parameters: [HEALTH_ACCOUNTS],
    });
    await store.db.executeQuery({ sql: 'ANALYZE accounts', parameters: [] });
    const t0 = performance.now();
    const run = await store.runHealth('bench', { trigger: 'manual' });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `\nHealth run over ${HEALTH_ACCOUNTS.toLocaleString('en-US')} accounts on PostgreSQL: ${seconds.toFixed(1)} s (target < 10 s); ${run.summary.eligible.toLocaleString('en-US')} eligible, ${run.summary.excluded.toLocaleString('en-US')} excluded`,
    );
  } finally {
    await store.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

await postgres();
await pglite();
await healthRun();
