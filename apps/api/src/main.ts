#!/usr/bin/env node
// `npm start`: the API on embedded PGlite (or PostgreSQL when DATABASE_URL is set), with a default tenant
// and the default catalog. Prints two lines a shell can paste: STATUSKIT_URL=... and STATUSKIT_API_KEY=...
import { createRequire } from 'node:module';
import { DataDirLockedError, type Store, storeOptionsFromEnv } from '@statuskit/store';
import { DEFAULT_AUTH_FAILURE_LIMITS } from './auth-limiter.js';
import { createLogger, type Logger, loggerSettingsFromEnv } from './logger.js';
import { operationsSettingsFromEnv } from './operations-settings.js';
import { startServer } from './server.js';
import { DEFAULT_WEBHOOK_LOG_RETENTION } from './webhooks/log-retention.js';
import { webhookSettingsFromEnv } from './webhooks/settings.js';

const DEFAULT_TENANT = 'default';
/** Keys this command makes are named so; `--rotate-key` revokes only those. */
const KEY_NAME = 'npm start';
const err = (line: string) => process.stderr.write(`${line}\n`);
// Until the logger exists (and if its own settings are wrong), lines are plain text on stderr.
let logger: Logger | undefined;
/** A line for the operator: the logger's once it exists, plain text on stderr before. */
const note = (line: string) => (logger ? logger.info(line) : err(`statuskit: ${line}`));
/** A setting that is not valid: exit code 2. */
const refuse = (line: string) => {
  if (logger) logger.fatal(line);
  else err(`statuskit-api: ${line}`);
  process.exitCode = 2;
};

/** The password of a database URL, so it is redacted wherever it might turn up. */
const databasePassword = (url: string | undefined) => {
  try {
    return url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  } catch {
    return undefined;
  }
};

const HELP = `statuskit-api [--new-key | --rotate-key]

  --new-key      make another API key for the default tenant (the earlier keys keep working)
  --rotate-key   make a new key and revoke the earlier keys npm start made (keys made through the API stay)

Environment:
  PORT (3000), HOST (127.0.0.1), DATABASE_URL (PostgreSQL; else PGlite in STATUSKIT_DATA_DIR, ./.statuskit/data)
  STATUSKIT_ADMIN_TOKEN               enables POST /v1/tenants
  STATUSKIT_HEALTH_RUN_HOUR           UTC hour of the daily health run (2); STATUSKIT_SCHEDULER=off disables it
  STATUSKIT_FUTURE_SKEW_SECONDS       how far in the future an observedAt may be (300)
  STATUSKIT_AUTH_FAILURE_LIMIT        failed authentications per client address and per key id in a window
                                      before 429 (${DEFAULT_AUTH_FAILURE_LIMITS.maxFailures}; 0 turns the limit off)
  STATUSKIT_AUTH_FAILURE_WINDOW_SECONDS  that window (${DEFAULT_AUTH_FAILURE_LIMITS.windowMs / 1000})
  STATUSKIT_TRUST_PROXY=1             take the client address from the last X-Forwarded-For entry
  STATUSKIT_PUBLIC_URL                the API's address as Stripe / Chargebee reach it (webhook endpoint URLs)
  STATUSKIT_WEBHOOK_LOG_KEEP          delivery log entries kept per webhook endpoint (${DEFAULT_WEBHOOK_LOG_RETENTION.keep})
  STATUSKIT_WEBHOOK_LOG_DAYS          ... and for at most this many days (${DEFAULT_WEBHOOK_LOG_RETENTION.maxAgeDays}; 0: no age limit)
  STATUSKIT_WEBHOOK_LOG_PRUNE_EVERY   prune an endpoint's log after every Nth delivery (${DEFAULT_WEBHOOK_LOG_RETENTION.pruneEvery})
  LOG_LEVEL (info), LOG_FORMAT        json lines on stderr, or pretty (the default on a terminal)
  STATUSKIT_METRICS=1                 serve Prometheus metrics at /metrics on the API's port
  STATUSKIT_METRICS_PORT              ... or on a listener of their own (STATUSKIT_METRICS_HOST, default HOST)
  STATUSKIT_READY_TIMEOUT_MS          how long /readyz waits for the database (2000)
  STATUSKIT_SHUTDOWN_TIMEOUT_MS       on SIGTERM, how long requests in flight may take (10000)
  STATUSKIT_STATEMENT_TIMEOUT         seconds one request's database work may take before it is stopped and
                                      answered 503 (30; 0: no limit); also each PostgreSQL statement's limit
  STATUSKIT_DB_SCHEMA, STATUSKIT_DB_POOL_SIZE (10), STATUSKIT_DB_CONNECT_TIMEOUT_MS (10000): PostgreSQL
  STATUSKIT_WEBHOOKS=off              send no outbound webhooks from this process (another one does)
  STATUSKIT_WEBHOOKS_ALLOW_PRIVATE=1  allow webhook URLs on loopback, private and link-local addresses
  STATUSKIT_WEBHOOKS_TIMEOUT_MS (10000), _POLL_MS (1000), _BATCH (20), _RETRY_BASE_MS (5000),
  _RETRY_MAX_DELAY_MS (3600000), _RETRY_FOR_MS (86400000: 24 h), _FAILING_AFTER (5): outbound webhooks
docs/deploy.md describes every setting.`;

/** A whole number from the environment, or the default; undefined (after a message) when it is not one. */
function envNumber(name: string, fallback: number, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min) return n;
  refuse(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  return undefined;
}

/** Makes a key for `--new-key` / `--rotate-key` and says what became of the earlier ones. */
async function newKey(store: Store, tenantId: string, rotate: boolean): Promise<string> {
  const made = await store.createApiKey(tenantId, `${KEY_NAME}${rotate ? ' --rotate-key' : ' --new-key'}`);
  if (!rotate) {
    note(
      `made key ${made.prefix}; the earlier keys still work (npm start -- --rotate-key revokes the ones npm start made)`,
    );
    return made.key;
  }
  const earlier = (await store.listApiKeys(tenantId)).filter(
    (k) =>
      k.id !== made.id && k.revokedAt === null && (k.name === KEY_NAME || k.name.startsWith(`${KEY_NAME} `)),
  );
  for (const k of earlier) await store.revokeApiKey(tenantId, k.id);
  note(
    earlier.length === 0
      ? `made key ${made.prefix}; there was no earlier npm start key to revoke`
      : `made key ${made.prefix} and revoked ${earlier.length} earlier key${earlier.length === 1 ? '' : 's'} npm start made (${earlier.map((k) => k.prefix).join(', ')}); keys made through the API still work`,
  );
  return made.key;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    err(HELP);
    return;
  }
  const unknown = args.filter((a) => a !== '--new-key' && a !== '--rotate-key');
  if (unknown.length > 0 || (args.includes('--new-key') && args.includes('--rotate-key'))) {
    err(
      unknown.length > 0
        ? `statuskit-api: unknown argument ${unknown[0]} (try --help)`
        : 'statuskit-api: --new-key and --rotate-key do not go together (try --help)',
    );
    process.exitCode = 2;
    return;
  }
  const adminToken = process.env.STATUSKIT_ADMIN_TOKEN || undefined;
  let operations: ReturnType<typeof operationsSettingsFromEnv>;
  let storeOptions: ReturnType<typeof storeOptionsFromEnv>;
  let webhooks: ReturnType<typeof webhookSettingsFromEnv>;
  try {
    logger = createLogger({
      ...loggerSettingsFromEnv(),
      secrets: [adminToken, databasePassword(process.env.DATABASE_URL)],
    });
    operations = operationsSettingsFromEnv();
    storeOptions = storeOptionsFromEnv();
    webhooks = webhookSettingsFromEnv();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    refuse(error.message);
    return;
  }
  const log = logger;
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    refuse(`PORT must be a port number, got ${process.env.PORT}`);
    return;
  }
  const skewSeconds = envNumber('STATUSKIT_FUTURE_SKEW_SECONDS', 300, 0);
  const maxFailures = envNumber('STATUSKIT_AUTH_FAILURE_LIMIT', DEFAULT_AUTH_FAILURE_LIMITS.maxFailures, 0);
  const windowSeconds = envNumber(
    'STATUSKIT_AUTH_FAILURE_WINDOW_SECONDS',
    DEFAULT_AUTH_FAILURE_LIMITS.windowMs / 1000,
    1,
  );
  const logKeep = envNumber('STATUSKIT_WEBHOOK_LOG_KEEP', DEFAULT_WEBHOOK_LOG_RETENTION.keep, 1);
  const logDays = envNumber('STATUSKIT_WEBHOOK_LOG_DAYS', DEFAULT_WEBHOOK_LOG_RETENTION.maxAgeDays, 0);
  const pruneEvery = envNumber(
    'STATUSKIT_WEBHOOK_LOG_PRUNE_EVERY',
    DEFAULT_WEBHOOK_LOG_RETENTION.pruneEvery,
    1,
  );
  if (
    skewSeconds === undefined ||
    maxFailures === undefined ||
    windowSeconds === undefined ||
    logKeep === undefined ||
    logDays === undefined ||
    pruneEvery === undefined
  ) {
    process.exitCode = 2;
    return;
  }
  const hour = Number(process.env.STATUSKIT_HEALTH_RUN_HOUR ?? 2);
  log.info(
    storeOptions.databaseUrl
      ? { engine: 'postgres', schema: storeOptions.schema ?? 'public' }
      : { engine: 'pglite', dataDir: storeOptions.dataDir },
    storeOptions.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${storeOptions.dataDir}`,
  );
  const server = await startServer({
    storeOptions,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    adminToken,
    maxFutureSkewMs: skewSeconds * 1000,
    authFailureLimits: maxFailures === 0 ? false : { maxFailures, windowMs: windowSeconds * 1000 },
    trustProxy: process.env.STATUSKIT_TRUST_PROXY === '1',
    publicUrl: process.env.STATUSKIT_PUBLIC_URL || undefined,
    webhookLogRetention: { keep: logKeep, maxAgeDays: logDays, pruneEvery },
    scheduler: process.env.STATUSKIT_SCHEDULER !== 'off',
    healthRunHourUtc: Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : 2,
    logger: log,
    metrics: operations.metrics,
    readyTimeoutMs: operations.readyTimeoutMs,
    shutdownTimeoutMs: operations.shutdownTimeoutMs,
    webhooks,
    version: (createRequire(import.meta.url)('../package.json') as { version: string }).version,
  });
  // Signals are handled before anything is printed: a supervisor may stop the process as soon as it reads
  // the URL line, and that stop must still be a clean close. A second signal ends the process at once.
  const stop = (signal: NodeJS.Signals) => {
    log.info(
      { signal, shutdownTimeoutMs: operations.shutdownTimeoutMs },
      `${signal}: closing (requests in flight are answered; new connections are refused)`,
    );
    process.once(signal, () => {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    });
    server.close().then(
      (report) => {
        if (report.abandonedRequests > 0 || report.abandonedHealthRun || report.abandonedWebhooks)
          log.warn(
            report,
            `closed after ${operations.shutdownTimeoutMs} ms (STATUSKIT_SHUTDOWN_TIMEOUT_MS): ${report.abandonedRequests} request(s) cut${report.abandonedHealthRun ? ', the scheduled health run abandoned (it is taken over at the next start)' : ''}${report.abandonedWebhooks ? ', webhook attempts abandoned (they are retried)' : ''}`,
          );
        else log.info('closed');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { store } = server;
  let key: string | undefined;
  const tenants = await store.listTenants();
  const tenant = tenants.find((t) => t.id === DEFAULT_TENANT) ?? tenants[0];
  if (!tenant) {
    const created = await store.createTenant({ id: DEFAULT_TENANT, name: 'Default tenant' });
    key = (await store.createApiKey(created.id, KEY_NAME)).key;
    log.info({ tenantId: created.id }, `created tenant "${created.id}" with the default catalog`);
  } else if (args.includes('--new-key') || args.includes('--rotate-key')) {
    key = await newKey(store, tenant.id, args.includes('--rotate-key'));
  }
  // One write, so a reader that sees the URL line has the key line too.
  process.stdout.write(`STATUSKIT_URL=${server.url}\n${key ? `STATUSKIT_API_KEY=${key}\n` : ''}`);
  if (!key)
    log.info(
      { tenantId: tenant?.id },
      `tenant "${tenant?.id}" kept; its API key was printed at first start (npm start -- --new-key makes another, --rotate-key replaces it)`,
    );
  if (server.metricsUrl) log.info({ metricsUrl: server.metricsUrl }, `metrics at ${server.metricsUrl}`);
  log.info(
    { url: server.url, metrics: operations.metrics === 'api' ? `${server.url}/metrics` : server.metricsUrl },
    `listening on ${server.url} (dashboard at ${server.url}/dashboard, settings page at ${server.url}/settings, OpenAPI at ${server.url}/openapi.json); Ctrl-C stops`,
  );
}

main().catch((error: unknown) => {
  const fatal = (fields: object, line: string) =>
    logger ? logger.fatal(fields, line) : err(`statuskit: ${line}`);
  if (error instanceof DataDirLockedError) fatal({}, error.message);
  else if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE')
    fatal(
      { port: (error as { port?: number }).port },
      `port ${(error as { port?: number }).port ?? process.env.PORT ?? 3000} is in use; set PORT (or STATUSKIT_METRICS_PORT) to another one`,
    );
  else fatal({ err: error }, `could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
