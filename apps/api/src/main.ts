#!/usr/bin/env node
// `npm start`: the API on embedded PGlite (or PostgreSQL when DATABASE_URL is set), with a default tenant
// and the default catalog. Prints two lines a shell can paste: STATUSKIT_URL=... and STATUSKIT_API_KEY=...
import { createRequire } from 'node:module';
import { DataDirLockedError, storeOptionsFromEnv } from '@statuskit/store';
import { createLogger, type Logger, loggerSettingsFromEnv } from './logger.js';
import { operationsSettingsFromEnv } from './operations-settings.js';
import { startServer } from './server.js';

const DEFAULT_TENANT = 'default';
const err = (line: string) => process.stderr.write(`${line}\n`);
// Until the logger exists (and if its own settings are wrong), lines are plain text on stderr.
let logger: Pick<Logger, 'info' | 'warn' | 'error' | 'fatal'> | undefined;

/** The password of a database URL, so it is redacted wherever it might turn up. */
const databasePassword = (url: string | undefined) => {
  try {
    return url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  } catch {
    return undefined;
  }
};

const HELP = `statuskit-api [--new-key]

Environment (docs/deploy.md lists every setting):
  PORT (3000), HOST (127.0.0.1), DATABASE_URL (PostgreSQL; else PGlite), STATUSKIT_DATA_DIR (./.statuskit/data),
  STATUSKIT_ADMIN_TOKEN (enables POST /v1/tenants), STATUSKIT_HEALTH_RUN_HOUR (UTC hour of the daily health run, 2),
  STATUSKIT_SCHEDULER=off, LOG_LEVEL (info), LOG_FORMAT (json, or pretty; pretty on a terminal),
  STATUSKIT_METRICS=1 (/metrics on the API's port), STATUSKIT_METRICS_PORT (/metrics on a port of its own),
  STATUSKIT_READY_TIMEOUT_MS (2000), STATUSKIT_SHUTDOWN_TIMEOUT_MS (10000)`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    err(HELP);
    return;
  }
  const unknown = args.filter((a) => a !== '--new-key');
  if (unknown.length > 0) {
    err(`statuskit-api: unknown argument ${unknown[0]} (try --help)`);
    process.exitCode = 2;
    return;
  }
  const adminToken = process.env.STATUSKIT_ADMIN_TOKEN || undefined;
  let operations: ReturnType<typeof operationsSettingsFromEnv>;
  let storeOptions: ReturnType<typeof storeOptionsFromEnv>;
  try {
    logger = createLogger({
      ...loggerSettingsFromEnv(),
      secrets: [adminToken, databasePassword(process.env.DATABASE_URL)],
    });
    operations = operationsSettingsFromEnv();
    storeOptions = storeOptionsFromEnv();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    if (logger) logger.fatal(error.message);
    else err(`statuskit-api: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  const log = logger;
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log.fatal(`PORT must be a port number, got ${process.env.PORT}`);
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
    scheduler: process.env.STATUSKIT_SCHEDULER !== 'off',
    healthRunHourUtc: Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : 2,
    logger: log as Logger,
    metrics: operations.metrics,
    readyTimeoutMs: operations.readyTimeoutMs,
    shutdownTimeoutMs: operations.shutdownTimeoutMs,
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
        if (report.abandonedRequests > 0 || report.abandonedHealthRun)
          log.warn(
            report,
            `closed after ${operations.shutdownTimeoutMs} ms (STATUSKIT_SHUTDOWN_TIMEOUT_MS): ${report.abandonedRequests} request(s) cut${report.abandonedHealthRun ? ', the scheduled health run abandoned (it is taken over at the next start)' : ''}`,
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
    key = (await store.createApiKey(created.id, 'npm start')).key;
    log.info({ tenantId: created.id }, `created tenant "${created.id}" with the default catalog`);
  } else if (args.includes('--new-key')) {
    key = (await store.createApiKey(tenant.id, 'npm start --new-key')).key;
  }
  // One write, so a reader that sees the URL line has the key line too.
  process.stdout.write(`STATUSKIT_URL=${server.url}\n${key ? `STATUSKIT_API_KEY=${key}\n` : ''}`);
  if (!key)
    log.info(
      { tenantId: tenant?.id },
      `tenant "${tenant?.id}" kept; its API key was printed at first start (npm start -- --new-key makes another)`,
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
