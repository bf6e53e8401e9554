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
import { BulkSlots } from './bulk-slots.js';
import { CHUNK_TARGET_MS, ChunkSizer } from './chunking.js';
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
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  getSubscriptionDelivery,
  listSubscriptionDeliveries,
  type OutboundDelivery,
  type RetryPolicy,
  recordAttempt,
  replaySubscriptionDelivery,
  webhookBacklog,
} from './outbound-deliveries.js';
import { stoppableQueries } from './pg-cancel.js';
import { PGliteDialect } from './pglite-dialect.js';
import { dailyMetrics, unknownReport } from './reports.js';
import {
  firstAccountsOfGroups,
  type RuleInputGroup,
  type RuleReads,
  ruleInputGroups,
} from './rule-groups.js';
import type { Database } from './schema.js';
import { freshenStatistics } from './statistics.js';
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
import { WEBHOOK_EVENT_TYPES } from './webhook-outbox.js';
import {
  createWebhookSubscription,
  deleteWebhookSubscription,
  getWebhookSubscription,
  listWebhookSubscriptions,
  type NewWebhookSubscription,
  rotateWebhookSecret,
  updateWebhookSubscription,
  type WebhookSubscriptionChange,
} from './webhook-subscriptions.js';
import { bounded, detached, inLane, type Lane } from './work-context.js';

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
  /**
   * How long one request's database work may take (default 30 s; 0: no limit). On PostgreSQL it is also
   * every statement's `statement_timeout`. Work past it stops with StatementTimeoutError (see `bounded`).
   */
  readonly statementTimeoutMs?: number | undefined;
  /** PostgreSQL only: the connections' `application_name` (default `statuskit`, or `statuskit/<schema>`). */
  readonly applicationName?: string | undefined;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * Reads DATABASE_URL (with STATUSKIT_DB_SCHEMA, STATUSKIT_DB_POOL_SIZE and STATUSKIT_DB_CONNECT_TIMEOUT_MS),
 * STATUSKIT_DATA_DIR (default `./.statuskit/data`) and STATUSKIT_STATEMENT_TIMEOUT (seconds, default 30, 0:
 * none). A setting that is not a number throws a TypeError naming it.
 */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const timeout = env.STATUSKIT_STATEMENT_TIMEOUT;
  let statementTimeoutMs: number | undefined;
  if (timeout !== undefined && timeout !== '') {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new TypeError(
        `STATUSKIT_STATEMENT_TIMEOUT must be a number of seconds (0 for none), got ${JSON.stringify(timeout)}`,
      );
    statementTimeoutMs = Math.round(seconds * 1000);
  }
  const timeoutOption = statementTimeoutMs !== undefined ? { statementTimeoutMs } : {};
  if (!env.DATABASE_URL) return { dataDir: env.STATUSKIT_DATA_DIR ?? './.statuskit/data', ...timeoutOption };
  const poolSize = integerSetting(env, 'STATUSKIT_DB_POOL_SIZE', 1);
  const connectTimeoutMs = integerSetting(env, 'STATUSKIT_DB_CONNECT_TIMEOUT_MS', 0);
  return {
    databaseUrl: env.DATABASE_URL,
    schema: env.STATUSKIT_DB_SCHEMA,
    ...(poolSize !== undefined ? { poolSize } : {}),
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...timeoutOption,
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
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    application_name:
      options.applicationName ?? (options.schema ? `statuskit/${options.schema}` : 'statuskit'),
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const onConnectionError = options.onConnectionError ?? (() => {});
  pool.on('error', (error) => onConnectionError(error));
  pool.on('connect', (client) =>
    stoppableQueries(client, { connectionString: options.databaseUrl, statementTimeoutMs }),
  );
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

/** Longest webhook subscription URL and description. */
export const WEBHOOK_URL_LENGTH = 2048;
export const WEBHOOK_DESCRIPTION_LENGTH = 500;

function checkSubscription(input: WebhookSubscriptionChange): void {
  const issues: ValidationIssue[] = [];
  if (input.url !== undefined) issues.push(...textIssues(input.url, ['url'], WEBHOOK_URL_LENGTH));
  if (input.description !== undefined)
    issues.push(...textIssues(input.description, ['description'], WEBHOOK_DESCRIPTION_LENGTH));
  if (input.events !== undefined) {
    if (input.events.length === 0)
      issues.push({
        path: ['events'],
        at: 'events',
        code: 'too_small',
        message: 'must name at least one event',
      });
    input.events.forEach((e, i) => {
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
        issues.push({
          path: ['events', i],
          at: `events[${i}]`,
          code: 'invalid_value',
          message: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
        });
    });
  }
  refuse('webhook subscription', issues);
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

/** Wraps an operation so its database work joins `lane` of PGlite's queue. */
const lane =
  (name: Lane) =>
  <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
  (...args: A): Promise<R> =>
    inLane(name, () => operation(...args));

/**
 * The store's operations. Every text that reaches the database and every JSON value and date is checked
 * first (InvalidInputError), so bad input is refused with its path rather than failing in the database.
 */
function storeApi(
  db: Kysely<Database>,
  engine: 'pglite' | 'postgres',
  onClose: () => Promise<void>,
  connectionStats: () => ConnectionStats,
  statementTimeoutMs: number,
  bulkSlots?: BulkSlots,
) {
  const config = new TenantConfig();
  const chunkTargetMs = CHUNK_TARGET_MS[engine];
  // Each operation's database work joins a lane of PGlite's queue: writes first, long work last.
  const write = lane('write');
  const read = lane('read');
  const inBulkLane = lane('bulk');
  // PGlite's queue serves long work last; on PostgreSQL long work also takes one of a few slots.
  const slotted = <R>(operation: () => Promise<R>) => (bulkSlots ? bulkSlots.run(operation) : operation());
  const bulk = <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    inBulkLane((...args: A) => slotted(() => operation(...args)));
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
    /** How long one request's database work may take (ms; 0: no limit). */
    statementTimeoutMs,
    /**
     * Runs `fn` (the handling of one request) with the store's statement timeout over all of its database
     * work, stopped early when `signal` aborts (the client went away): StatementTimeoutError or
     * WorkCancelledError. Health runs are exempt: once started, a run finishes (each statement stays bounded).
     */
    bounded: <T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> =>
      bounded({ timeoutMs: statementTimeoutMs, signal }, fn),
    /** The newest migration the database has and the newest this code knows (readiness checks compare them). */
    schemaVersion: () => schemaVersion(db),
    createTenant: write(async (input: { id?: string; name: string; catalog?: Catalog }) => {
      refuse('tenant', textIssues(input.name, ['name'], INPUT_LIMITS.tenantNameLength));
      return createTenant(db, config, input);
    }),
    getTenant: read(async (id: string) => {
      tenant(id);
      return getTenant(db, id);
    }),
    listTenants: read(() => listTenants(db)),
    createApiKey: write(async (tenantId: string, name?: string) => {
      tenant(tenantId);
      if (name !== undefined) refuse('API key', textIssues(name, ['name'], INPUT_LIMITS.apiKeyNameLength));
      return createApiKey(db, tenantId, name);
    }),
    listApiKeys: read(async (tenantId: string) => {
      tenant(tenantId);
      return listApiKeys(db, tenantId);
    }),
    revokeApiKey: write(async (tenantId: string, keyId: string) => {
      checkKeys({ tenantId, keyId });
      return revokeApiKey(db, tenantId, keyId);
    }),
    verifyApiKey: write((key: string) => verifyApiKey(db, key)),
    getCatalog: read(async (tenantId: string) => {
      tenant(tenantId);
      return config.catalog(db, tenantId);
    }),
    putCatalog: write(async (tenantId: string, catalog: Catalog, options: VersionedWrite = {}) => {
      tenant(tenantId);
      checkJson('catalog', catalog.toJSON(), DOCUMENT_LIMITS);
      const saved = await db
        .transaction()
        .execute((trx) => config.saveCatalog(trx, tenantId, catalog, options.expectedVersion));
      return saved;
    }),
    getRules: read(async (tenantId: string) => {
      tenant(tenantId);
      return config.rules(db, tenantId);
    }),
    putRules: write(
      async (tenantId: string, rules: readonly EligibilityRule[], options: VersionedWrite = {}) => {
        tenant(tenantId);
        checkRules(rules);
        return config.saveRules(db, tenantId, rules, options.expectedVersion);
      },
    ),
    applyStatusUpdates: write(
      async (tenantId: string, updates: readonly IncomingUpdate[], options?: IngestOptions) => {
        tenant(tenantId);
        const outcome = await applyStatusUpdates(db, config, tenantId, updates, options);
        if (outcome.kind === 'applied')
          await freshenStatistics(db, ['accounts', 'status_events'], { vacuum: false });
        return outcome;
      },
    ),
    getAccount: read(async (tenantId: string, accountId: string) => {
      checkKeys({ tenantId, accountId });
      return getAccount(db, tenantId, accountId);
    }),
    accountHistory: read(async (tenantId: string, accountId: string, limit?: number) => {
      checkKeys({ tenantId, accountId });
      return accountHistory(db, tenantId, accountId, limit);
    }),
    listAccounts: read(
      /**
       * A page of accounts in id order. A filter by class reads the catalog in the page's snapshot, or uses
       * `catalog` when given: the one the caller classifies the page with, so filter and classes agree.
       */
      async (
        tenantId: string,
        filter: AccountFilter,
        cursor: string | undefined,
        limit: number,
        catalog?: Catalog,
      ) => {
        checkKeys({ tenantId, status: filter.status, cursor });
        return listAccounts(db, tenantId, filter, cursor, limit, async (trx) => {
          return catalog ?? (await config.catalog(trx, tenantId)).catalog;
        });
      },
    ),
    /** Pages of the tenant's accounts: of `pageSize`, or sized so each page's statement is short (PGlite). */
    iterateAccounts: async function* (tenantId: string, pageSize?: number) {
      tenant(tenantId);
      const pages = iterateAccounts(
        db,
        tenantId,
        pageSize ?? new ChunkSizer(chunkTargetMs, 1000, 200, 20_000),
      );
      for (;;) {
        const next = await inLane('bulk', () => pages.next());
        if (next.done) return;
        yield next.value;
      }
    },
    /** The tenant's accounts grouped by what rules read (see RuleInputGroup): a preview evaluates groups. */
    ruleInputGroups: bulk(async (tenantId: string, reads: RuleReads) => {
      tenant(tenantId);
      await freshenStatistics(db, ['accounts']);
      return ruleInputGroups(db, tenantId, reads, new ChunkSizer(chunkTargetMs, 5000, 500, 250_000));
    }),
    /** The first `limit` accounts, in id order, of any of the groups, with the index of each one's group. */
    firstAccountsOfGroups: bulk(
      async (tenantId: string, groups: readonly RuleInputGroup[], reads: RuleReads, limit: number) => {
        tenant(tenantId);
        return firstAccountsOfGroups(db, tenantId, groups, reads, limit);
      },
    ),
    unknownReport: bulk(async (tenantId: string, limit?: number) => {
      tenant(tenantId);
      return unknownReport(db, tenantId, (await config.catalog(db, tenantId)).catalog, limit);
    }),
    accountCounts: bulk(async (tenantId: string) => {
      tenant(tenantId);
      return accountCounts(db, tenantId, (await config.catalog(db, tenantId)).catalog);
    }),
    dailyMetrics: bulk(async (tenantId: string, from: Date, to: Date) => {
      tenant(tenantId);
      checkDay(from, to);
      const { catalog } = await config.catalog(db, tenantId);
      return dailyMetrics(db, tenantId, catalog, from, to);
    }),
    /**
     * Runs the health calculation in short chunks (long work's lane). A run is not bound to the request that
     * asked for it: once started it finishes, even past the statement timeout or after the client left.
     */
    runHealth: async (
      tenantId: string,
      options: { trigger: 'scheduled' | 'manual'; now?: Date; pageSize?: number },
    ) => {
      tenant(tenantId);
      return detached('bulk', () =>
        slotted(async () => {
          await freshenStatistics(db, ['accounts', 'health_run_exclusions']);
          return runHealth(db, config, tenantId, { chunkTargetMs, ...options });
        }),
      );
    },
    getHealthRun: read(async (tenantId: string, runId: string) => {
      checkKeys({ tenantId, runId });
      return getHealthRun(db, tenantId, runId);
    }),
    listHealthRuns: read(async (tenantId: string, limit?: number) => {
      tenant(tenantId);
      return listHealthRuns(db, tenantId, limit);
    }),
    healthRunExclusions: bulk(
      async (
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
    ),
    createWebhookSubscription: write(async (tenantId: string, input: NewWebhookSubscription) => {
      tenant(tenantId);
      checkSubscription(input);
      return createWebhookSubscription(db, tenantId, input);
    }),
    listWebhookSubscriptions: read(async (tenantId: string) => {
      tenant(tenantId);
      return listWebhookSubscriptions(db, tenantId);
    }),
    getWebhookSubscription: read(async (tenantId: string, id: string) => {
      checkKeys({ tenantId, id });
      return getWebhookSubscription(db, tenantId, id);
    }),
    updateWebhookSubscription: write(
      async (tenantId: string, id: string, change: WebhookSubscriptionChange) => {
        checkKeys({ tenantId, id });
        checkSubscription(change);
        return updateWebhookSubscription(db, tenantId, id, change);
      },
    ),
    deleteWebhookSubscription: write(async (tenantId: string, id: string) => {
      checkKeys({ tenantId, id });
      return deleteWebhookSubscription(db, tenantId, id);
    }),
    rotateWebhookSecret: write(async (tenantId: string, id: string, graceMs?: number) => {
      checkKeys({ tenantId, id });
      return rotateWebhookSecret(db, tenantId, id, graceMs);
    }),
    listSubscriptionDeliveries: read(
      async (
        tenantId: string,
        subscriptionId: string,
        options: {
          cursor?: string | undefined;
          limit: number;
          state?: OutboundDelivery['state'] | undefined;
        },
      ) => {
        checkKeys({ tenantId, subscriptionId, cursor: options.cursor });
        return listSubscriptionDeliveries(db, tenantId, subscriptionId, options);
      },
    ),
    getSubscriptionDelivery: read(async (tenantId: string, subscriptionId: string, deliveryId: string) => {
      checkKeys({ tenantId, subscriptionId, deliveryId });
      return getSubscriptionDelivery(db, tenantId, subscriptionId, deliveryId);
    }),
    replaySubscriptionDelivery: write(
      async (tenantId: string, subscriptionId: string, deliveryId: string) => {
        checkKeys({ tenantId, subscriptionId, deliveryId });
        return replaySubscriptionDelivery(db, tenantId, subscriptionId, deliveryId);
      },
    ),
    /** The dispatcher's side: claim due deliveries, record each attempt. */
    claimWebhookDeliveries: write((options: { limit: number; leaseMs: number }) =>
      claimDueDeliveries(db, options),
    ),
    recordWebhookAttempt: write((claim: ClaimedDelivery, outcome: AttemptOutcome, policy: RetryPolicy) =>
      recordAttempt(db, claim, outcome, policy),
    ),
    webhookBacklog: read(() => webhookBacklog(db)),
    getConnectorState: read(async (tenantId: string, connector: string) => {
      checkKeys({ tenantId, connector });
      return getConnectorState(db, tenantId, connector);
    }),
    putConnectorState: write(async (tenantId: string, connector: string, state: Record<string, unknown>) => {
      checkKeys({ tenantId, connector });
      checkJson('connector state', state, CONNECTOR_STATE_LIMITS);
      return putConnectorState(db, tenantId, connector, state);
    }),
    createWebhookEndpoint: write(async (tenantId: string, input: NewWebhookEndpoint) => {
      checkWebhookEndpoint(input);
      tenant(tenantId);
      return createWebhookEndpoint(db, tenantId, input);
    }),
    listWebhookEndpoints: read(async (tenantId: string) => {
      tenant(tenantId);
      return listWebhookEndpoints(db, tenantId);
    }),
    getWebhookEndpoint: read(async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return getWebhookEndpoint(db, tenantId, endpointId);
    }),
    updateWebhookEndpoint: write(
      async (tenantId: string, endpointId: string, change: WebhookEndpointChange, now: Date = new Date()) => {
        checkKeys({ tenantId, endpointId });
        checkWebhookEndpoint(change);
        return updateWebhookEndpoint(db, tenantId, endpointId, change, now);
      },
    ),
    deleteWebhookEndpoint: write(async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return deleteWebhookEndpoint(db, tenantId, endpointId);
    }),
    /** The endpoint a delivery is addressed to (any tenant's), with its verification material. */
    findWebhookEndpoint: write(async (endpointId: string, now: Date = new Date()) =>
      findWebhookEndpoint(db, endpointId, now),
    ),
    recordRejectedDelivery: write(
      async (
        tenantId: string,
        endpointId: string,
        rejection: {
          reason: string;
          detail?: string;
          receivedAt: Date;
          eventId?: string;
          eventType?: string;
        },
      ) => recordRejectedDelivery(db, tenantId, endpointId, rejection),
    ),
    receiveWebhookEvent: write(async (tenantId: string, endpointId: string, input: WebhookEventInput) => {
      checkKeys({ tenantId, endpointId, eventId: input.eventId });
      return receiveWebhookEvent(db, config, tenantId, endpointId, input);
    }),
    listWebhookDeliveries: read(
      async (
        tenantId: string,
        endpointId: string,
        page: { before?: number | undefined; limit: number; outcome?: WebhookDeliveryOutcome | undefined },
      ) => {
        checkKeys({ tenantId, endpointId });
        return listWebhookDeliveries(db, tenantId, endpointId, page);
      },
    ),
    pruneWebhookDeliveries: write(
      async (
        tenantId: string,
        endpointId: string,
        retention: { keep: number; before?: Date | undefined },
      ) => {
        checkKeys({ tenantId, endpointId });
        return pruneWebhookDeliveries(db, tenantId, endpointId, retention);
      },
    ),
    webhookDeliveryCounts: read(async (tenantId: string, endpointId: string) => {
      checkKeys({ tenantId, endpointId });
      return webhookDeliveryCounts(db, tenantId, endpointId);
    }),
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
    return storeApi(
      db,
      'postgres',
      () => db.destroy(),
      stats,
      options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      // Long work takes at most half the pool: the rest stays for writes and small reads.
      new BulkSlots(Math.floor((options.poolSize ?? 10) / 2)),
    );
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
      options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    );
  } catch (error) {
    release();
    throw error;
  }
}
