// The large-tenant scenario of issue #14, at any size: `accounts` accounts with three status changes each
// (3 x accounts status events over about two years), a catalog of 16 statuses and raw values the catalog
// does not know (Gold, Silver, empty, missing), and a few attributes. Loaded by bulk SQL through the
// store's connection (the load is not what is measured); every table the store keeps (accounts,
// status_events, status_day_changes, account_status_counts) ends as ingest would have left it. Used by
// bench/million.bench.mjs at full size and by src/million-scenario.test.ts at a small one.
import { classifyStatus, defaultCatalog, defineCatalog } from '@statuskit/core';

/** The scenario's catalog: the default one and ten more statuses (a catalog has tens of values). */
export const scenarioCatalog = defineCatalog({
  statuses: [
    ...defaultCatalog.toJSON().statuses,
    { value: 'Pro Annual', type: 'paying', plan: 'pro' },
    { value: 'Team', type: 'paying', plan: 'team' },
    { value: 'Business', type: 'paying', plan: 'business' },
    { value: 'Starter', type: 'free' },
    { value: 'Trial Extended', type: 'free', trial: true },
    { value: 'Sandbox', type: 'free', nonCustomer: true },
    { value: 'Partner', type: 'paying', plan: 'partner', nonCustomer: true },
    { value: 'Churned', type: 'cancelled' },
    { value: 'Paused', type: 'cancelled' },
    { value: 'Suspended', type: 'cancelled' },
  ],
});

/** 20 distinct raw values; the last four are Unknown with the scenario's catalog. */
export const SCENARIO_VALUES = [...scenarioCatalog.statuses.map((s) => s.value), 'Gold', 'Silver', '', null];

/** The change the bench times: Gold becomes a paying plan (re-classifies about 1 account in 20). */
export const catalogWithGold = defineCatalog({
  statuses: [...scenarioCatalog.toJSON().statuses, { value: 'Gold', type: 'paying', plan: 'gold' }],
});

const DAY = 86_400_000;

/**
 * Loads the scenario into `tenantId` (which must exist, with no accounts). `query(sql, parameters)` runs
 * one statement on the store's database. `now` anchors the history: changes fall between about 730 and 9
 * days before it. Returns the number of status events written.
 */
export async function loadScenario(query, tenantId, accounts, now = new Date()) {
  const values = JSON.stringify(
    // Each value with its class, for the events' from_type / to_type (accounts keep the raw value alone).
    SCENARIO_VALUES.map((raw, idx) => ({
      idx,
      raw,
      status_type: classifyStatus(raw ?? undefined, scenarioCatalog).statusType,
    })),
  );
  const n = SCENARIO_VALUES.length;
  const origin = new Date(Math.floor(now.getTime() / DAY) * DAY - 730 * DAY).toISOString();
  // Account i: value index (i*7 + k*step) mod n for its k-th change, step 1 + i mod (n-1), so consecutive
  // values always differ; the k-th change k x (1 + i mod 120) .. days after the first.
  const valuesSql = `json_to_recordset($4::json) AS v(idx int, raw text, status_type text)`;
  const at = (k) =>
    `$3::timestamptz + (i % 400) * interval '1 day' + (i % 86400) * interval '1 second' + ${
      k === 0
        ? "interval '0 days'"
        : k === 1
          ? "(1 + i % 120) * interval '1 day'"
          : "(2 + i % 120 + i % 200) * interval '1 day'"
    }`;
  const idx = (k) => `((i * 7 + ${k} * (1 + i % ${n - 1})) % ${n})`;
  const id = `'acct-' || lpad(i::text, 8, '0')`;
  const chunk = 100_000;
  let events = 0;
  for (let lo = 1; lo <= accounts; lo += chunk) {
    const hi = Math.min(accounts, lo + chunk - 1);
    for (const k of [0, 1, 2]) {
      await query(
        `INSERT INTO status_events (tenant_id, account_id, kind, from_status, to_status, from_type, to_type, source, observed_at, received_at)
         SELECT $1, ${id}, 'change', f.raw, t.raw, f.status_type, t.status_type, 'api', ${at(k)}, ${at(k)}
         FROM generate_series($2::int, $5::int) i
         JOIN ${valuesSql.replace(' v(', ' t(')} ON t.idx = ${idx(k)}
         LEFT JOIN ${valuesSql.replace(' v(', ' f(')} ON ${k === 0 ? 'false' : `f.idx = ${idx(k - 1)}`}
         ORDER BY i`,
        [tenantId, lo, origin, values, hi],
      );
      events += hi - lo + 1;
    }
    await query(
      `INSERT INTO accounts (tenant_id, account_id, name, raw_status, attributes, status_observed_at, last_observed_at, source)
       SELECT $1, ${id}, 'Account ' || i, v.raw,
              jsonb_build_object('region', (ARRAY['eu', 'us', 'apac'])[1 + i % 3], 'seats', i % 20, 'demo', i % 50 = 0),
              ${at(2)}, ${at(2)}, 'api'
       FROM generate_series($2::int, $5::int) i JOIN ${valuesSql} ON v.idx = ${idx(2)}`,
      [tenantId, lo, origin, values, hi],
    );
  }
  await deriveKeptTables(query, tenantId);
  return events;
}

/**
 * Fills the tables ingest keeps beside accounts and status_events (per-day changes, accounts per raw
 * status) from those two, for a tenant loaded by bulk SQL.
 */
export async function deriveKeptTables(query, tenantId) {
  await query(
    `INSERT INTO status_day_changes (tenant_id, day, created, from_status, to_status, n)
     SELECT tenant_id, floor(extract(epoch FROM observed_at) / 86400)::int, from_type IS NULL, from_status, to_status, count(*)::int
     FROM status_events WHERE tenant_id = $1 AND kind = 'change' GROUP BY 1, 2, 3, 4, 5`,
    [tenantId],
  );
  await query(
    `INSERT INTO account_status_counts (tenant_id, raw_status, n)
     SELECT tenant_id, raw_status, count(*) FROM accounts WHERE tenant_id = $1 GROUP BY 1, 2`,
    [tenantId],
  );
}
