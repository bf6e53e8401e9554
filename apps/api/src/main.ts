#!/usr/bin/env node
// `npm start`: the API on embedded PGlite (or PostgreSQL when DATABASE_URL is set), with a default tenant
// and the default catalog. Prints two lines a shell can paste: STATUSKIT_URL=... and STATUSKIT_API_KEY=...
import { DataDirLockedError, storeOptionsFromEnv } from '@statuskit/store';
import { startServer } from './server.js';

const DEFAULT_TENANT = 'default';
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    err(
      'statuskit-api [--new-key]\n\nEnvironment: PORT (3000), HOST (127.0.0.1), DATABASE_URL (PostgreSQL; else PGlite),',
    );
    err('STATUSKIT_DATA_DIR (./.statuskit/data), STATUSKIT_ADMIN_TOKEN (enables POST /v1/tenants),');
    err('STATUSKIT_HEALTH_RUN_HOUR (UTC hour of the daily health run, 2), STATUSKIT_SCHEDULER=off');
    return;
  }
  const unknown = args.filter((a) => a !== '--new-key');
  if (unknown.length > 0) {
    err(`statuskit-api: unknown argument ${unknown[0]} (try --help)`);
    process.exitCode = 2;
    return;
  }
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    err(`statuskit-api: PORT must be a port number, got ${process.env.PORT}`);
    process.exitCode = 2;
    return;
  }
  const hour = Number(process.env.STATUSKIT_HEALTH_RUN_HOUR ?? 2);
  const storeOptions = storeOptionsFromEnv();
  err(
    storeOptions.databaseUrl
      ? 'statuskit: PostgreSQL (DATABASE_URL)'
      : `statuskit: embedded PGlite in ${storeOptions.dataDir}`,
  );
  const server = await startServer({
    storeOptions,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    adminToken: process.env.STATUSKIT_ADMIN_TOKEN || undefined,
    scheduler: process.env.STATUSKIT_SCHEDULER !== 'off',
    healthRunHourUtc: Number.isInteger(hour) && hour >= 0 && hour < 24 ? hour : 2,
    log: (line) => err(`statuskit: ${line}`),
  });
  // Signals are handled before anything is printed: a supervisor may stop the process as soon as it reads
  // the URL line, and that stop must still be a clean close.
  const stop = (signal: string) => {
    err(`statuskit: ${signal}, closing`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        err(`statuskit: close failed: ${error}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const { store } = server;
  let key: string | undefined;
  const tenants = await store.listTenants();
  const tenant = tenants.find((t) => t.id === DEFAULT_TENANT) ?? tenants[0];
  if (!tenant) {
    const created = await store.createTenant({ id: DEFAULT_TENANT, name: 'Default tenant' });
    key = (await store.createApiKey(created.id, 'npm start')).key;
    err(`statuskit: created tenant "${created.id}" with the default catalog`);
  } else if (args.includes('--new-key')) {
    key = (await store.createApiKey(tenant.id, 'npm start --new-key')).key;
  }
  // One write, so a reader that sees the URL line has the key line too.
  process.stdout.write(`STATUSKIT_URL=${server.url}\n${key ? `STATUSKIT_API_KEY=${key}\n` : ''}`);
  if (!key)
    err(
      `statuskit: tenant "${tenant?.id}" kept; its API key was printed at first start (npm start -- --new-key makes another)`,
    );
  err(
    `statuskit: listening on ${server.url} (dashboard at ${server.url}/dashboard, settings page at ${server.url}/settings, OpenAPI at ${server.url}/openapi.json); Ctrl-C stops`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) err(`statuskit: ${error.message}`);
  else if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE')
    err(`statuskit: port ${process.env.PORT ?? 3000} is in use; set PORT to another one`);
  else
    err(
      `statuskit: could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  process.exit(1);
});
