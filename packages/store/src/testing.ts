import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrations } from './migrations.js';
import { openStore, type Store } from './open-store.js';

export type TestEngine = 'pglite' | 'postgres';

/** The engines a test run covers: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testEngines(env: NodeJS.ProcessEnv = process.env): TestEngine[] {
  return env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** A migrated, empty PGlite database: a data directory to copy, and the same as a dump to load in memory. */
export interface PGliteTemplate {
  readonly dataDir: string;
  readonly dump: string;
}

function pgliteVersion(): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    for (let i = 0; i < 5 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let template: Promise<PGliteTemplate> | undefined;

/**
 * `initdb` costs a new PGlite instance about 2-3 s of CPU (10x that on a busy machine); starting from a
 * prepared copy costs about 0.3 s. The template is made once per machine for this PGlite version and these
 * migrations (in the OS temp directory, or `STATUSKIT_TEST_CACHE`), by whichever process gets there first:
 * it is built aside and renamed into place, so processes racing to make it never see half of one.
 */
export function pgliteTemplate(env: NodeJS.ProcessEnv = process.env): Promise<PGliteTemplate> {
  template ??= (async () => {
    const key = createHash('sha256')
      .update(pgliteVersion())
      .update(JSON.stringify(migrations))
      .digest('hex')
      .slice(0, 16);
    const root = join(env.STATUSKIT_TEST_CACHE ?? join(tmpdir(), 'statuskit-test-cache'), `pglite-${key}`);
    const ready: PGliteTemplate = { dataDir: join(root, 'data'), dump: join(root, 'data.tar') };
    if (existsSync(join(root, 'complete'))) return ready;
    const building = `${root}.${process.pid}.${randomBytes(4).toString('hex')}`;
    mkdirSync(building, { recursive: true });
    try {
      const store = await openStore({ dataDir: join(building, 'data') });
      await store.close();
      const db = await PGlite.create({ dataDir: join(building, 'data') });
      const dump = await db.dumpDataDir('none');
      await db.close();
      writeFileSync(join(building, 'data.tar'), Buffer.from(await dump.arrayBuffer()));
      writeFileSync(join(building, 'complete'), new Date().toISOString());
      try {
        renameSync(building, root);
      } catch (error) {
        // Another process finished first: its template is as good as ours.
        if (!existsSync(join(root, 'complete'))) throw error;
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
    return ready;
  })();
  return template;
}

/** Fills `dataDir` (which must not exist yet) with the migrated template, so PGlite skips `initdb`. */
export async function copyPGliteTemplate(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  cpSync((await pgliteTemplate(env)).dataDir, dataDir, { recursive: true, errorOnExist: true, force: false });
}

/**
 * A fresh store for tests: PGlite in memory (started from the migrated template), or a PostgreSQL schema of
 * its own (unique name) that is dropped when the store is closed, so parallel runs never collide. No statement
 * timeout (a busy test machine is not a slow query): tests of the timeout open a store with one.
 */
export async function openTestStore(
  engine: TestEngine,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Store> {
  if (engine === 'pglite') {
    const dump = readFileSync((await pgliteTemplate(env)).dump);
    return openStore({ loadDataDir: new Blob([dump]), statementTimeoutMs: 0 });
  }
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const schema = testSchemaName();
  const store = await openStore({ databaseUrl, schema, poolSize: 4, statementTimeoutMs: 0 });
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
