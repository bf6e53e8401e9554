import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './open-store.js';
import { openTestStore } from './testing.js';
import { bounded, inLane, type Lane, StatementTimeoutError, WorkCancelledError } from './work-context.js';

describe("PGlite's one connection", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('pglite');
    await sql`CREATE TABLE queue_probe (n serial PRIMARY KEY, label text NOT NULL)`.execute(store.db);
  });
  afterAll(async () => {
    await store?.close();
  });

  const probe = (label: string) => sql`INSERT INTO queue_probe (label) VALUES (${label})`.execute(store.db);
  const order = async () =>
    (await sql<{ label: string }>`SELECT label FROM queue_probe ORDER BY n`.execute(store.db)).rows.map(
      (r) => r.label,
    );
  /** Empties the probe table and lets the connection be handed over (it is, once the event loop polled). */
  const clear = async () => {
    await sql`DELETE FROM queue_probe`.execute(store.db);
    await new Promise((r) => setImmediate(r));
  };
  const inLaneDo = (lane: Lane, label: string) => inLane(lane, () => probe(label));

  it('hands the connection to waiting writes first, then reads, then the chunks of long work', async () => {
    await clear();
    // A long chunk holds the connection; everything below queues behind it, long work first.
    const running = inLane('bulk', () => sql`SELECT pg_sleep(0.3)`.execute(store.db));
    const queued = [
      inLaneDo('bulk', 'bulk 1'),
      inLaneDo('read', 'read 1'),
      inLaneDo('bulk', 'bulk 2'),
      inLaneDo('write', 'write 1'),
      inLaneDo('read', 'read 2'),
      inLaneDo('write', 'write 2'),
    ];
    expect(store.connectionStats()).toMatchObject({ inUse: 1, waiting: 6 });
    await Promise.all([running, ...queued]);
    expect(await order()).toEqual(['write 1', 'write 2', 'read 1', 'read 2', 'bulk 1', 'bulk 2']);
    await new Promise((r) => setImmediate(r));
    expect(store.connectionStats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('never starves long work: a lane passed over 8 times in a row goes next', async () => {
    await clear();
    const running = inLane('read', () => sql`SELECT pg_sleep(0.1)`.execute(store.db));
    const bulk = inLaneDo('bulk', 'bulk');
    const reads = Array.from({ length: 12 }, (_, i) => inLaneDo('read', `read ${i}`));
    await Promise.all([running, bulk, ...reads]);
    const done = await order();
    expect(done.indexOf('bulk')).toBe(8);
  });

  it('drops queued work whose client went away, and never runs it', async () => {
    await clear();
    const client = new AbortController();
    const running = inLane('bulk', () => sql`SELECT pg_sleep(0.2)`.execute(store.db));
    const gone = bounded({ timeoutMs: 0, signal: client.signal }, () => inLaneDo('read', 'gone'));
    const kept = inLaneDo('read', 'kept');
    client.abort();
    await expect(gone).rejects.toBeInstanceOf(WorkCancelledError);
    expect(store.connectionStats().waiting).toBe(1);
    await Promise.all([running, kept]);
    expect(await order()).toEqual(['kept']);
  });

  it('refuses work past its deadline, even when the deadline passed during a statement', async () => {
    await clear();
    // PGlite runs a statement on this thread: no timer fires during it. The deadline is checked when the
    // connection is handed on, so the waiter is refused instead of running late.
    const running = inLane('bulk', () => sql`SELECT pg_sleep(0.4)`.execute(store.db));
    const late = bounded({ timeoutMs: 100 }, () => inLaneDo('write', 'late'));
    await expect(late).rejects.toBeInstanceOf(StatementTimeoutError);
    await running;
    // A chunked operation stops before its next chunk once past the deadline.
    const chunks = bounded({ timeoutMs: 150 }, async () => {
      for (let i = 0; i < 10; i++) {
        await inLaneDo('bulk', `chunk ${i}`);
        await sql`SELECT pg_sleep(0.1)`.execute(store.db);
      }
    });
    await expect(chunks).rejects.toThrow(/took longer than 0.2 s/);
    const done = await order();
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(4);
    await new Promise((r) => setImmediate(r));
    expect(store.connectionStats()).toMatchObject({ inUse: 0, waiting: 0 });
  });
});
