import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './open-store.js';
import { dropTestSchema, testSchemaName } from './testing.js';
import { bounded, StatementTimeoutError, WorkCancelledError } from './work-context.js';

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(!databaseUrl)('stopping statements on PostgreSQL', () => {
  const schema = testSchemaName();
  let store: Store;
  let admin: pg.Client;
  beforeAll(async () => {
    store = await openStore({ databaseUrl, schema, poolSize: 2, statementTimeoutMs: 800 });
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await store?.close();
    if (databaseUrl) await dropTestSchema(databaseUrl, schema);
  });

  /** The store's statements the server is running now (its connections carry `statuskit/<schema>`). */
  const active = async () =>
    (
      await admin.query<{ query: string }>(
        "SELECT query FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'",
        [`statuskit/${schema}`],
      )
    ).rows;

  it('stops a statement at the statement timeout, with nothing left running', async () => {
    const started = performance.now();
    await expect(sql`SELECT pg_sleep(30)`.execute(store.db)).rejects.toBeInstanceOf(StatementTimeoutError);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(await active()).toEqual([]);
  });

  it('cancels the running statement when the client goes away, and the connection is usable after', async () => {
    const client = new AbortController();
    const work = bounded({ timeoutMs: 0, signal: client.signal }, () =>
      sql`SELECT pg_sleep(20), 'long query'`.execute(store.db),
    );
    // Wait until the server runs it, then go away.
    for (let i = 0; (await active()).length === 0; i++) {
      if (i > 500) throw new Error('the statement never started');
      await new Promise((r) => setImmediate(r));
    }
    client.abort();
    await expect(work).rejects.toBeInstanceOf(WorkCancelledError);
    expect(await active()).toEqual([]);
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(store.db)).rows).toEqual([{ one: 1 }]);
  });

  it('ends work at its deadline even when each statement is under the statement timeout', async () => {
    const work = bounded({ timeoutMs: 300 }, async () => {
      for (let i = 0; i < 20; i++) await sql`SELECT pg_sleep(0.1)`.execute(store.db);
    });
    await expect(work).rejects.toBeInstanceOf(StatementTimeoutError);
    expect(await active()).toEqual([]);
  });
});
