import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';
import { openStore, type Store, storeOptionsFromEnv } from './open-store.js';
import { openTestStore, testEngines } from './testing.js';

const latest = Math.max(...migrations.map((m) => m.version));

describe.each(testEngines())('what an operator watches, on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('reports the schema version the database is at and the one this code needs', async () => {
    expect(await store.schemaVersion()).toEqual({ applied: latest, expected: latest });
  });

  it('counts connections in use, idle and waiting for one', async () => {
    const idle = store.connectionStats();
    expect(idle.engine).toBe(engine);
    expect(idle.waiting).toBe(0);
    expect(idle.inUse).toBe(0);
    expect(idle.max).toBe(engine === 'pglite' ? 1 : 4);
    // Hold every connection in transactions, then ask for one more: it waits.
    const release: (() => void)[] = [];
    const held: Promise<unknown>[] = [];
    for (let i = 0; i < idle.max; i++) {
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      held.push(
        store.db.transaction().execute(async () => {
          entered();
          await new Promise<void>((resolve) => release.push(resolve));
        }),
      );
      await inside;
    }
    const extra = store.listTenants();
    await expect.poll(() => store.connectionStats().waiting).toBe(1);
    expect(store.connectionStats().inUse).toBe(idle.max);
    for (const r of release) r();
    await Promise.all([...held, extra]);
    await expect.poll(() => store.connectionStats()).toMatchObject({ waiting: 0, inUse: 0 });
  });
});

describe.runIf(process.env.DATABASE_URL)('PostgreSQL connections that die', () => {
  it('a connection the server ends while idle is reported and replaced, not a crash of the process', async () => {
    const databaseUrl = process.env.DATABASE_URL as string;
    const schema = `statuskit_test_${randomBytes(6).toString('hex')}`;
    const application = `statuskit_${randomBytes(6).toString('hex')}`;
    const url = new URL(databaseUrl);
    url.searchParams.set('application_name', application);
    const lost: Error[] = [];
    const store = await openStore({
      databaseUrl: url.toString(),
      schema,
      poolSize: 2,
      onConnectionError: (error) => lost.push(error),
    });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await store.listTenants();
      expect(store.connectionStats()).toMatchObject({ idle: 1, inUse: 0 });
      // As a database restart or a failover does: the server ends the pool's idle connection.
      const ended = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [application],
      );
      expect(ended.rowCount).toBe(1);
      await expect.poll(() => lost.length).toBe(1);
      expect(lost[0]?.message).toMatch(/terminat/);
      expect(await store.listTenants()).toEqual([]);
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});

describe('settings from the environment', () => {
  it('reads the PostgreSQL pool size and connect timeout, and names a setting that is not a number', () => {
    const databaseUrl = 'postgres://db/x';
    expect(storeOptionsFromEnv({ DATABASE_URL: databaseUrl })).toEqual({ databaseUrl, schema: undefined });
    expect(
      storeOptionsFromEnv({
        DATABASE_URL: databaseUrl,
        STATUSKIT_DB_POOL_SIZE: '20',
        STATUSKIT_DB_CONNECT_TIMEOUT_MS: '0',
      }),
    ).toMatchObject({ poolSize: 20, connectTimeoutMs: 0 });
    expect(() => storeOptionsFromEnv({ DATABASE_URL: databaseUrl, STATUSKIT_DB_POOL_SIZE: 'ten' })).toThrow(
      'STATUSKIT_DB_POOL_SIZE must be a whole number of at least 1, got "ten"',
    );
    expect(() => storeOptionsFromEnv({ DATABASE_URL: databaseUrl, STATUSKIT_DB_POOL_SIZE: '0' })).toThrow(
      /STATUSKIT_DB_POOL_SIZE/,
    );
    expect(storeOptionsFromEnv({ STATUSKIT_DATA_DIR: '/data' })).toEqual({ dataDir: '/data' });
  });
});
