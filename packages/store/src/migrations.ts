import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Versioned migrations, applied in order inside one transaction under an advisory lock, so several
 * processes starting at once on one PostgreSQL apply each exactly once. SQL that PostgreSQL 15 and
 * PGlite (PostgreSQL 18) both accept. Every primary key starts with tenant_id (see docs/scaling.md).
 */
export const migrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE tenants (
  tenant_id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE api_keys (
  tenant_id text NOT NULL,
  key_id text NOT NULL,
  name text NOT NULL DEFAULT '',
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_used_at timestamptz,
  PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX api_keys_key_id ON api_keys (key_id);
CREATE TABLE catalogs (
  tenant_id text PRIMARY KEY,
  catalog jsonb NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE rule_sets (
  tenant_id text PRIMARY KEY,
  rules jsonb NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE accounts (
  tenant_id text NOT NULL,
  account_id text NOT NULL,
  name text,
  raw_status text,
  status text,
  status_type text NOT NULL,
  plan text,
  trial boolean NOT NULL DEFAULT false,
  non_customer boolean NOT NULL DEFAULT false,
  unknown_reason text,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
  status_observed_at timestamptz NOT NULL,
  last_observed_at timestamptz NOT NULL,
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, account_id)
);
CREATE INDEX accounts_by_type ON accounts (tenant_id, status_type, account_id);
CREATE TABLE status_events (
  tenant_id text NOT NULL,
  event_id bigint GENERATED ALWAYS AS IDENTITY,
  account_id text NOT NULL,
  kind text NOT NULL,
  from_status text,
  to_status text,
  from_type text,
  to_type text NOT NULL,
  source text NOT NULL,
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX status_events_by_account ON status_events (tenant_id, account_id, event_id);
CREATE INDEX status_events_by_time ON status_events (tenant_id, observed_at) WHERE kind = 'change';
CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  status_code integer NOT NULL,
  response json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE TABLE health_runs (
  tenant_id text NOT NULL,
  run_id text NOT NULL,
  trigger text NOT NULL,
  day date NOT NULL,
  state text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  summary jsonb,
  error text,
  catalog_version integer NOT NULL,
  rules_version integer NOT NULL,
  PRIMARY KEY (tenant_id, run_id)
);
CREATE UNIQUE INDEX health_runs_one_scheduled_per_day ON health_runs (tenant_id, day) WHERE trigger = 'scheduled';
CREATE TABLE health_run_exclusions (
  tenant_id text NOT NULL,
  run_id text NOT NULL,
  account_id text NOT NULL,
  reason text NOT NULL,
  decision integer NOT NULL,
  PRIMARY KEY (tenant_id, run_id, account_id)
);
CREATE TABLE connector_state (
  tenant_id text NOT NULL,
  connector text NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connector)
);
`,
  },
  {
    version: 2,
    name: 'status changes per day',
    // One row per tenant, UTC day (days since 1970-01-01) and (from, to) raw status pair: how many status
    // changes of that pair were observed that day; \`created\` marks an account's first status. The state at
    // a day's end is the sum of all changes up to it, so metrics read O(days x pairs) rows, whatever the
    // number of accounts. Raw values are kept: classification happens at read with the current catalog.
    sql: `
CREATE TABLE status_day_changes (
  tenant_id text NOT NULL,
  day integer NOT NULL,
  created boolean NOT NULL,
  from_status text,
  to_status text,
  n integer NOT NULL
);
CREATE UNIQUE INDEX status_day_changes_key ON status_day_changes (tenant_id, day, created, from_status, to_status) NULLS NOT DISTINCT;
INSERT INTO status_day_changes (tenant_id, day, created, from_status, to_status, n)
SELECT tenant_id, floor(extract(epoch FROM observed_at) / 86400)::int, from_type IS NULL, from_status, to_status, count(*)::int
FROM status_events WHERE kind = 'change'
GROUP BY 1, 2, 3, 4, 5;
CREATE INDEX accounts_by_raw_status ON accounts (tenant_id, raw_status, account_id);
`,
  },
  {
    version: 10,
    name: 'inbound webhook endpoints, their events and delivery log',
    sql: `
CREATE TABLE webhook_endpoints (
  tenant_id text NOT NULL,
  endpoint_id text NOT NULL,
  provider text NOT NULL,
  name text NOT NULL DEFAULT '',
  config jsonb NOT NULL,
  secret text,
  previous_secret text,
  previous_secret_until timestamptz,
  username text,
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  PRIMARY KEY (tenant_id, endpoint_id)
);
CREATE UNIQUE INDEX webhook_endpoints_endpoint_id ON webhook_endpoints (endpoint_id);
CREATE TABLE webhook_events (
  tenant_id text NOT NULL,
  endpoint_id text NOT NULL,
  event_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, endpoint_id, event_id)
);
CREATE TABLE webhook_deliveries (
  tenant_id text NOT NULL,
  delivery_id bigint GENERATED ALWAYS AS IDENTITY,
  endpoint_id text NOT NULL,
  received_at timestamptz NOT NULL,
  outcome text NOT NULL,
  reason text,
  detail text,
  event_id text,
  event_type text,
  account_id text,
  status text,
  observed_at timestamptz,
  result text,
  PRIMARY KEY (tenant_id, delivery_id)
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (tenant_id, endpoint_id, delivery_id);
`,
  },
  {
    version: 11,
    name: 'the newest observation of each subscription an inbound webhook endpoint has seen',
    sql: `
CREATE TABLE billing_subscriptions (
  tenant_id text NOT NULL,
  endpoint_id text NOT NULL,
  object_id text NOT NULL,
  account_id text NOT NULL,
  observed jsonb NOT NULL,
  status text,
  skip_reason text,
  mapped jsonb,
  observed_at timestamptz,
  event_id text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, endpoint_id, object_id)
);
CREATE INDEX billing_subscriptions_by_account ON billing_subscriptions (tenant_id, endpoint_id, account_id);
`,
  },
  {
    version: 15,
    name: 'outbound webhooks: subscriptions, outbox events, deliveries, attempts',
    sql: `
CREATE TABLE webhook_subscriptions (
  tenant_id text NOT NULL,
  subscription_id text NOT NULL,
  url text NOT NULL,
  events jsonb NOT NULL,
  description text NOT NULL DEFAULT '',
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  consecutive_failures integer NOT NULL DEFAULT 0,
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, subscription_id)
);
CREATE TABLE outbound_events (
  tenant_id text NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);
CREATE TABLE outbound_deliveries (
  tenant_id text NOT NULL,
  delivery_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  subscription_id text NOT NULL,
  event_id text NOT NULL,
  ordering_key text NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  retry_from timestamptz NOT NULL DEFAULT now(),
  lease_token text,
  lease_until timestamptz,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, delivery_id)
);
CREATE UNIQUE INDEX outbound_deliveries_once ON outbound_deliveries (tenant_id, subscription_id, event_id);
CREATE INDEX outbound_deliveries_due ON outbound_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbound_deliveries_order ON outbound_deliveries (tenant_id, subscription_id, ordering_key, seq) WHERE state = 'pending';
CREATE INDEX outbound_deliveries_log ON outbound_deliveries (tenant_id, subscription_id, seq);
CREATE TABLE outbound_attempts (
  tenant_id text NOT NULL,
  delivery_id text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error text,
  PRIMARY KEY (tenant_id, delivery_id, attempt)
);
`,
  },
  {
    version: 25,
    name: 'Unknown accounts by raw value, for the Unknown report',
    sql: `
CREATE INDEX accounts_unknown ON accounts (tenant_id, raw_status, unknown_reason, account_id) WHERE status_type = 'unknown';
`,
  },
  {
    version: 26,
    name: 'accounts per raw status',
    // How many of a tenant's accounts hold each raw status now, kept by the ingest transaction (a change
    // moves one account from its old value to its new one). A catalog has tens of values and a tenant
    // millions of accounts: the Unknown report and the dashboard's counts read these rows and classify each
    // value with the current catalog, whatever the number of accounts and however fresh the table's
    // statistics or visibility map are. Samples come from accounts_by_raw_status, so the partial index of
    // version 25 has no reader left.
    sql: `
CREATE TABLE account_status_counts (
  tenant_id text NOT NULL,
  raw_status text,
  n bigint NOT NULL
);
CREATE UNIQUE INDEX account_status_counts_key ON account_status_counts (tenant_id, raw_status) NULLS NOT DISTINCT;
INSERT INTO account_status_counts (tenant_id, raw_status, n)
SELECT tenant_id, raw_status, count(*) FROM accounts GROUP BY 1, 2;
DROP INDEX accounts_unknown;
`,
  },
  {
    version: 27,
    name: 'classification at read',
    // An account's class (canonical status, type, plan, flags, Unknown reason) follows from its raw status
    // and the current catalog, so it is computed when read instead of stored: a catalog change saves a new
    // version and is seen by every reader at once (no re-classification of millions of rows, nothing half
    // done), and filters by class read the raw values of that class (accounts_by_raw_status).
    sql: `
DROP INDEX accounts_by_type;
ALTER TABLE accounts DROP COLUMN status, DROP COLUMN status_type, DROP COLUMN plan, DROP COLUMN trial,
  DROP COLUMN non_customer, DROP COLUMN unknown_reason;
`,
  },
];

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(db: Kysely<Database>): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    // A migration may rebuild a large table: the statement timeout of requests does not apply to it.
    await sql`SET LOCAL statement_timeout = 0`.execute(trx);
    await sql`SELECT pg_advisory_xact_lock(727274)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS statuskit_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx);
    const done = await sql<{ version: number }>`SELECT version FROM statuskit_migrations`.execute(trx);
    const applied = new Set(done.rows.map((r) => Number(r.version)));
    const now: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const statement of m.sql
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean)) {
        await sql.raw(statement).execute(trx);
      }
      await sql`INSERT INTO statuskit_migrations (version, name) VALUES (${m.version}, ${m.name})`.execute(
        trx,
      );
      now.push(m.version);
    }
    return now;
  });
}

/** The newest migration recorded in the database (0 before any) and the newest this code has. */
export async function schemaVersion(db: Kysely<Database>): Promise<{ applied: number; expected: number }> {
  const expected = Math.max(...migrations.map((m) => m.version));
  const to = await sql<{ applied: number | null }>`
    SELECT max(version) AS applied FROM statuskit_migrations`.execute(db);
  return { applied: Number(to.rows[0]?.applied ?? 0), expected };
}
