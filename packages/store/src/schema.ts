import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface TenantsTable {
  tenant_id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface ApiKeysTable {
  tenant_id: string;
  key_id: string;
  name: string;
  secret_hash: string;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface CatalogsTable {
  tenant_id: string;
  catalog: Json<unknown>;
  version: number;
  updated_at: Generated<Date>;
}

export interface RuleSetsTable {
  tenant_id: string;
  rules: Json<unknown[]>;
  version: number;
  updated_at: Generated<Date>;
}

export interface AccountsTable {
  tenant_id: string;
  account_id: string;
  name: string | null;
  /** The raw status (null: missing); its class comes from the current catalog when read. */
  raw_status: string | null;
  attributes: Json<Record<string, unknown>>;
  status_observed_at: Timestamp;
  last_observed_at: Timestamp;
  source: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface StatusEventsTable {
  tenant_id: string;
  event_id: Generated<number>;
  account_id: string;
  kind: 'change' | 'stale';
  from_status: string | null;
  to_status: string | null;
  from_type: string | null;
  to_type: string;
  source: string;
  observed_at: Timestamp;
  received_at: Generated<Date>;
}

/** Status changes per UTC day and raw (from, to) pair; `created` marks an account's first status. */
export interface StatusDayChangesTable {
  tenant_id: string;
  /** Days since 1970-01-01 (UTC) of the changes' observedAt. */
  day: number;
  created: boolean;
  from_status: string | null;
  to_status: string | null;
  n: number;
}

/** How many of a tenant's accounts hold each raw status (null: missing) now; kept by ingest. */
export interface AccountStatusCountsTable {
  tenant_id: string;
  raw_status: string | null;
  /** bigint in the table; read it as n::float8 (node-postgres returns bigint as a string). */
  n: number;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  idempotency_key: string;
  request_hash: string;
  status_code: number;
  response: Json<unknown>;
  created_at: Generated<Date>;
}

export interface HealthRunsTable {
  tenant_id: string;
  run_id: string;
  trigger: 'scheduled' | 'manual';
  day: string;
  state: 'running' | 'done' | 'failed';
  started_at: Timestamp;
  finished_at: Timestamp | null;
  summary: Json<unknown> | null;
  error: string | null;
  catalog_version: number;
  rules_version: number;
}

export interface HealthRunExclusionsTable {
  tenant_id: string;
  run_id: string;
  account_id: string;
  reason: string;
  decision: number;
}

export interface ConnectorStateTable {
  tenant_id: string;
  connector: string;
  state: Json<Record<string, unknown>>;
  updated_at: Generated<Date>;
}

export interface WebhookSubscriptionsTable {
  tenant_id: string;
  subscription_id: string;
  url: string;
  events: Json<string[]>;
  description: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Timestamp | null;
  enabled: boolean;
  consecutive_failures: Generated<number>;
  failing_since: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookEventsTable {
  tenant_id: string;
  event_id: string;
  type: string;
  payload: Json<unknown>;
  created_at: Generated<Date>;
}

export interface WebhookDeliveriesTable {
  tenant_id: string;
  delivery_id: string;
  seq: Generated<number>;
  subscription_id: string;
  event_id: string;
  ordering_key: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  retry_from: Generated<Date>;
  lease_token: string | null;
  lease_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface WebhookAttemptsTable {
  tenant_id: string;
  delivery_id: string;
  attempt: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  catalogs: CatalogsTable;
  rule_sets: RuleSetsTable;
  accounts: AccountsTable;
  status_events: StatusEventsTable;
  status_day_changes: StatusDayChangesTable;
  account_status_counts: AccountStatusCountsTable;
  idempotency_keys: IdempotencyKeysTable;
  health_runs: HealthRunsTable;
  health_run_exclusions: HealthRunExclusionsTable;
  connector_state: ConnectorStateTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  outbound_events: WebhookEventsTable;
  outbound_deliveries: WebhookDeliveriesTable;
  outbound_attempts: WebhookAttemptsTable;
}
