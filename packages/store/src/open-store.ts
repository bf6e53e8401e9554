import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  type Catalog,
  CONNECTOR_STATE_LIMITS,
  DOCUMENT_LIMITS,
  type EligibilityRule,
  INPUT_LIMITS,
  jsonProblems,
  timestampProblem,
  type ValidationIssue,
  validateRules,
} from '@statuskit/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { accountCounts } from './account-counts.js';
import { type AccountFilter, accountHistory, getAccount, iterateAccounts, listAccounts } from './accounts.js';
import { createApiKey, listApiKeys, revokeApiKey, verifyApiKey } from './api-keys.js';
import { type ConnectionStats, pgPoolStats } from './connection-stats.js';
import { getConnectorState, putConnectorState } from './connector-state.js';
import { lockDataDir } from './data-dir-lock.js';
import {
  getHealthRun,
  type HealthRun,
  healthRunExclusions,
  listHealthRuns,
  runHealth,
} from './health-runs.js';
import { applyStatusUpdates, type IncomingUpdate, type IngestOptions } from './ingest.js';
import { checkJson, checkKeys, refuse, textIssues } from './input-checks.js';
import { migrate, schemaVersion } from './migrations.js';
import { PGliteDialect } from './pglite-dialect.js';
import { dailyMetrics, unknownReport } from './reports.js';
import type { Database } from './schema.js';
import { TenantConfig } from './tenant-config.js';
import { createTenant, getTenant, listTenants } from './tenants.js';
import { parsePgTimestamp } from './timestamps.js';
import {
  listWebhookDeliveries,
  pruneWebhookDeliveries,
  receiveWebhookEvent,
  recordRejectedDelivery,
  type WebhookDeliveryOutcome,
  type WebhookEventInput,
  webhookDeliveryCounts,
} from './webhook-deliveries.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  type NewWebhookEndpoint,
  updateWebhookEndpoint,
  type WebhookEndpointChange,
} from './webhook-endpoints.js';

export interface StoreOptions {
  /** PostgreSQL connection string. When set, PostgreSQL is used through `pg`. */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (created if missing); tests give each run its own. */
  readonly schema?: string | undefined;
  /** PGlite data directory (when no databaseUrl). Omitted: PGlite in memory. */
  readonly dataDir?: string | undefined;
  /** Connections in the PostgreSQL pool (default 10). */
  readonly poolSize?: number | undefined;
  /**
   * PGlite only: start from this dump of a data directory (PGlite's `dumpDataDir()`, a tar file) instead of
   * an empty database, e.g. a backup, or a migrated template that saves `initdb` (about 2 s) per instance.
   */
  readonly loadDataDir?: Blob | undefined;
  /**
   * PostgreSQL only: called when an idle pooled connection fails (the server restarted, a failover, the
   * network dropped it). The pool replaces the connection on the next query; without a listener such an
   * error would end the process. Default: ignored.
   */
  readonly onConnectionError?: ((error: Error) => void) | undefined;
  /** PostgreSQL only: give up opening a connection after this long (default 10 s; 0 waits forever). */
  readonly connectTimeoutMs?: number | undefined;
}

/**
 * Reads DATABASE_URL (with STATUSKIT_DB_SCHEMA, STATUSKIT_DB_POOL_SIZE and STATUSKIT_DB_CONNECT_TIMEOUT_MS)
 * and STATUSKIT_DATA_DIR (default `./.statuskit/data`). A setting that is not a number throws a TypeError
 * naming it.
 */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  if (!env.DATABASE_URL) return { dataDir: env.STATUSKIT_DATA_DIR ?? './.statuskit/data' };
  const poolSize = integerSetting(env, 'STATUSKIT_DB_POOL_SIZE', 1);
  const connectTimeoutMs = integerSetting(env, 'STATUSKIT_DB_CONNECT_TIMEOUT_MS', 0);
  return {
    databaseUrl: env.DATABASE_URL,
    schema: env.STATUSKIT_DB_SCHEMA,
    ...(poolSize !== undefined ? { poolSize } : {}),
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
  };
}

function integerSetting(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new TypeError(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

const OID_INT8 = 20;
const OID_DATE = 1082;
const OID_TIMESTAMP = 1114;
const OID_TIMESTAMPTZ = 1184;

function postgresDialect(options: StoreOptions): { dialect: PostgresDialect; stats: () => ConnectionStats } {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === OID_INT8) return (v: string) => Number.parseInt(v, 10);
      if (oid === OID_DATE) return (v: string) => v;
      return pg.types.getTypeParser(oid, format);
    },
  };
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new TypeError(`schema must be a lower-case identifier (got ${JSON.stringify(options.schema)})`);
  }
  const max = options.poolSize ?? 10;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const onConnectionError = options.onConnectionError ?? (() => {});
  pool.on('error', (error) => onConnectionError(error));
  return { dialect: new PostgresDialect({ pool }), stats: pgPoolStats(pool, max) };
}

export type Store = ReturnType<typeof storeApi>;

/** Writes of the catalog or the rules may name the version they were made from (optimistic concurrency). */
export interface VersionedWrite {
  /** Save only over this version; another one is a VersionConflictError. Omitted: the last write wins. */
  readonly expectedVersion?: number | undefined;
}

function checkRules(rules: readonly EligibilityRule[]): void {
  const issues: ValidationIssue[] = jsonProblems(rules, DOCUMENT_LIMITS);
  const checked = validateRules(rules);
  if (!checked.ok) issues.push(...checked.errors);
  refuse('rules', issues);
}

/** An endpoint's name, config (a JSON document) and secrets must be storable text. */
function checkWebhookEndpoint(input: {
  name?: string | undefined;
  config?: Record<string, unknown> | undefined;
  secret?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}): void {
  const issues: ValidationIssue[] = [];
  if (input.name !== undefined) issues.push(...textIssues(input.name, ['name'], 200));
  for (const field of ['secret', 'username', 'password'] as const)
    if (input[field] !== undefined) issues.push(...textIssues(input[field], [field], 500));
  if (input.config !== undefined)
    issues.push(
      ...jsonProblems(input.config, DOCUMENT_LIMITS).map((i) => ({
        ...i,
        path: ['config', ...i.path],
        at: `config${i.at.startsWith('[') ? '' : '.'}${i.at}`,
      })),
    );
  refuse('webhook endpoint', issues);
}

function checkDay(from: Date, to: Date): void {
  const issues: ValidationIssue[] = [];
  for (const [name, d] of [
    ['from', from],
    ['to', to],
  ] as const) {
    const p = timestampProblem(d);
    if (p) issues.push({ path: [name], at: name, code: p.code, message: p.message });
  }
  refuse('metrics range', issues);
}

/**
 * The store's operations. Every text that reaches the database and every JSON value and date is checked
 * first (InvalidInputError), so bad input is refused with its path rather than failing in the database.
 */
function storeApi(
  db: Kysely<Database>,
  engine: 'pglite' | 'postgres',
  onClose: () => Promise<void>,
  connectionStats: () => ConnectionStats,
) {
  const config = new TenantConfig();
  let closing: Promise<void> | undefined;
  const tenant = (tenantId: string) => checkKeys({ tenantId });
  return {
    engine,
    db,
    config,
    /** Closes the database (idempotent) and releases the data directory. */
    close: () => {
      closing ??= onClose();
      return closing;
    },
    /** The database's connections now (for metrics). */
    connectionStats,
    /** The newest migration the database has and the newest this code knows (readiness checks compare them). */
    schemaVersion: () => schemaVersion(db),
    createTenant: async (input: { id?: string; name: string; catalog?: Catalog }) => {
      refuse('tenant', textIssues(input.name, ['name'], INPUT_LIMITS.tenantNameLength));
      return createTenant(db, config, input);
    },
    getTenant: async (id: string) => {
      tenant(id);
      return getTenant(db, id);
    },
    listTenants: () => listTenants(db),
    createApiKey: async (tenantId: string, name?: string) => {
      tenant(tenantId);
      if (name !== undefined) refuse('API key', textIssues(name, ['name'], INPUT_LIMITS.apiKeyNameLength));
      return createApiKey(db, tenantId, name);
    },
    listApiKeys: async (tenantId: string) => {
      tenant(tenantId);
      return listApiKeys(db, tenantId);
    },
    revokeApiKey: async (tenantId: string, keyId: string) => {
      checkKeys({ tenantId, keyId });
      return revokeApiKey(db, tenantId, keyId);
    },
    verifyApiKey: (key: string) => verifyApiKey(db, key),
    getCatalog: async (tenantId: string) => {
      tenant(tenantId);
      return config.catalog(db, tenantId);
    },
    putCatalog: async (tenantId: string, catalog: Catalog, options: VersionedWrite = {}) => {
      tenant(tenantId);
      checkJson('catalog', catalog.toJSON(), DOCUMENT_LIMITS);
      return db
        .transaction()
        .execute((trx) => config.saveCatalog(trx, tenantId, catalog, options.expectedVersion));
    },
    getRules: async (tenantId: string) => {
      tenant(tenantId);
      return config.rules(db, tenantId);
    },
    putRules: async (tenantId: string, rules: readonly EligibilityRule[], options: VersionedWrite = {}) => {
      tenant(tenantId);
      checkRules(rules);
      return config.saveRules(db, tenantId, rules, options.expectedVersion);
    },
    applyStatusUpdates: async (
      tenantId: string,
      updates: readonly IncomingUpdate[],
      options?: IngestOptions,
    ) => {
      tenant(tenantId);
      return applyStatusUpdates(db, config, tenantId, updates, options);
    },
    getAccount: async (tenantId: string, accountId: string) => {
      checkKeys({ tenantId, accountId });
      return getAccount(db, tenantId, accountId);
    },
    accountHistory: async (tenantId: string, accountId: string, limit?: number) => {
      checkKeys({ tenantId, accountId });
      return accountHistory(db, tenantId, accountId, limit);
    },
    listAccounts: async (
      tenantId: string,
      filter: AccountFilter,
      cursor: string | undefined,
      limit: number,
    ) => {
      checkKeys({ tenantId, status: filter.status, cursor });
      return listAccounts(db, tenantId, filter, cursor, limit);
    },
    iterateAccounts: (tenantId: string, pageSize?: number) => {
      tenant(tenantId);
      return iterateAccounts(db, tenantId, pageSize);
    },
    unknownReport: async (tenantId: string, limit?: number) => {
      tenant(tenantId);
      return unknownReport(db, tenantId, limit);
    },
    accountCounts: async (tenantId: string) => {
      tenant(tenantId);
      return accountCounts(db, tenantId, (await config.catalog(db, tenantId)).catalog);
    },
    dailyMetrics: async (tenantId: string, from: Date, to: Date) => {
      tenant(tenantId);
      checkDay(from, to);
      return dailyMetrics(db, tenantId, (await config.catalog(db, tenantId)).catalog, from, to);
    },
    runHealth: async (
      tenantId: string,
      options: { trigger: 'scheduled' | 'manual'; now?: Date; pageSize?: number },
    ) => {
      tenant(tenantId);
      return runHealth(db, config, tenantId, options);
    },
    getHealthRun: async (tenantId: string, runId: string) => {
      checkKeys({ tenantId, runId });
      return getHealthRun(db, tenantId, runId);
    },
    listHealthRuns: async (tenantId: string, limit?: number) => {
      tenant(tenantId);
      return listHealthRuns(db, tenantId, limit);
    },
    healthRunExclusions: async (
      tenantId: string,
      run: HealthRun,
      cursor: string | undefined,
      limit: number,
      filter?: { reason?: string | undefined },
    ) => {
      checkKeys({ tenantId, cursor });
      if (filter?.reason !== undefined)
        refuse('exclusions filter', textIssues(filter.reason, ['reason'], 500));
      return healthRunExclusions(db, tenantId, run, cursor, limit, filter);
    },
    getConnectorState: async (tenantId: string, connector: string) => {
      checkKeys({ tenantId, connector });
      return getConnectorState(db, tenantId, connector);
    },
    putConnectorState: async (tenantId: string, connector: string, state: Record<string, unknown>) => {
      checkKeys({ tenantId, connector });
      checkJson('connector state', state, CONNECTOR_STATE_LIMITS);
      return putConnectorState(db, tenantId, connector, state);
    },
    createWebhookEndpoint: async (tenantId: string, input: NewWebhookEndpoint) => {
      checkWebhookEndpoint(input);
      tenant(tenantId);
      return createWebhookEndpoint(db, tenantId, input);
    },
    listWebhookEndpoints: async (tenantId: string) => {
      tenant(tenantId);
      return listWebhookEndpoints(db, tenantId);
    },
    getWebhookEndpoint: async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return getWebhookEndpoint(db, tenantId, endpointId);
    },
    updateWebhookEndpoint: async (
      tenantId: string,
      endpointId: string,
      change: WebhookEndpointChange,
      now = new Date(),
    ) => {
      checkKeys({ tenantId, endpointId });
      checkWebhookEndpoint(change);
      return updateWebhookEndpoint(db, tenantId, endpointId, change, now);
    },
    deleteWebhookEndpoint: async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return deleteWebhookEndpoint(db, tenantId, endpointId);
    },
    /** The endpoint a delivery is addressed to (any tenant's), with its verification material. */
    findWebhookEndpoint: async (endpointId: string, now = new Date()) =>
      findWebhookEndpoint(db, endpointId, now),
    recordRejectedDelivery: async (
      tenantId: string,
      endpointId: string,
      rejection: { reason: string; detail?: string; receivedAt: Date; eventId?: string; eventType?: string },
    ) => recordRejectedDelivery(db, tenantId, endpointId, rejection),
    receiveWebhookEvent: async (tenantId: string, endpointId: string, input: WebhookEventInput) => {
      checkKeys({ tenantId, endpointId, eventId: input.eventId });
      return receiveWebhookEvent(db, config, tenantId, endpointId, input);
    },
    listWebhookDeliveries: async (
      tenantId: string,
      endpointId: string,
      page: { before?: number | undefined; limit: number; outcome?: WebhookDeliveryOutcome | undefined },
    ) => {
      checkKeys({ tenantId, endpointId });
      return listWebhookDeliveries(db, tenantId, endpointId, page);
    },
    pruneWebhookDeliveries: async (
      tenantId: string,
      endpointId: string,
      retention: { keep: number; before?: Date | undefined },
    ) => {
      checkKeys({ tenantId, endpointId });
      return pruneWebhookDeliveries(db, tenantId, endpointId, retention);
    },
    webhookDeliveryCounts: async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return webhookDeliveryCounts(db, tenantId, endpointId);
    },
  };
}

/**
 * Opens the store: PostgreSQL when `databaseUrl` is set, else PGlite (on disk in `dataDir`, guarded by a
 * lock file, or in memory). Runs the migrations before returning.
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  if (options.databaseUrl) {
    if (options.schema) {
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      try {
        // Several processes may start at once: serialize the schema creation like the migrations.
        await admin.query('BEGIN');
        await admin.query('SELECT pg_advisory_xact_lock(727273)');
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        await admin.query('COMMIT');
      } finally {
        await admin.end();
      }
    }
    const { dialect, stats } = postgresDialect(options);
    const db = new Kysely<Database>({ dialect });
    try {
      await migrate(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return storeApi(db, 'postgres', () => db.destroy(), stats);
  }
  let release = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    release = lockDataDir(options.dataDir);
    process.once('exit', release);
  }
  try {
    // PGlite's own timestamp parser reads years below 100 as 19xx: read them exactly.
    const parsers = {
      [OID_DATE]: (v: string) => v,
      [OID_TIMESTAMP]: parsePgTimestamp,
      [OID_TIMESTAMPTZ]: parsePgTimestamp,
    };
    const pglite = await PGlite.create({
      parsers,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
    const dialect = new PGliteDialect(pglite);
    const db = new Kysely<Database>({ dialect });
    await migrate(db);
    await sql`SELECT 1`.execute(db);
    return storeApi(
      db,
      'pglite',
      async () => {
        await db.destroy();
        release();
        process.off('exit', release);
      },
      () => dialect.stats(),
    );
  } catch (error) {
    release();
    throw error;
  }
}
