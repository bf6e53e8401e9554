import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from './open-store.js';

export type TestEngine = 'pglite' | 'postgres';

/** The engines a test run covers: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testEngines(env: NodeJS.ProcessEnv = process.env): TestEngine[] {
  return env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * A fresh store for tests: PGlite in memory, or a PostgreSQL schema of its own (unique name) that is
 * dropped when the store is closed, so parallel runs never collide.
 */
export async function openTestStore(
  engine: TestEngine,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Store> {
  if (engine === 'pglite') return openStore({});
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const schema = testSchemaName();
  const store = await openStore({ databaseUrl, schema, poolSize: 4 });
  const close = store.close;
  return Object.assign(store, {
    close: async () => {
      await close();
      await dropTestSchema(databaseUrl, schema);
    },
  });
}

/** A unique name for a test's own PostgreSQL schema. */
export const testSchemaName = (prefix = 'statuskit_test'): string =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** Drops a test's PostgreSQL schema and everything in it. */
export async function dropTestSchema(databaseUrl: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`not a schema name: ${schema}`);
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
}
