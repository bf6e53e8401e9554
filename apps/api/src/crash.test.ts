// The crash suite: 8 writers send batches of status updates (accounts shared between writers, observedAt
// increasing, each batch under its own Idempotency-Key, retried with that key until answered) while the API
// process is killed with SIGKILL and restarted. Afterwards, read from the database itself: every account
// holds its update with the newest observedAt, and there is exactly one status event per update the API
// acknowledged as applied (created or changed) or stale: 0 lost, 0 doubled. Every fifth answer is dropped
// by its writer and the batch sent again after the kills: it must come back replayed, the same answer.
// Where the kills land varies from run to run; nothing asserted depends on it.
//
// Size: CRASH_WRITERS (8), CRASH_BATCHES per writer (3), CRASH_BATCH_SIZE (1,000), CRASH_ACCOUNTS (2,000),
// CRASH_KILLS (2). A big run: CRASH_BATCHES=25 CRASH_KILLS=5 (see the README for its figures).
import { openStore, type Store } from '@statuskit/store';
import { testEngines } from '@statuskit/store/testing';
import { type ApiProcess, apiDatabase, scaled, startApi } from '@statuskit/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const WRITERS = env('CRASH_WRITERS', 8);
const BATCHES = env('CRASH_BATCHES', 3);
const BATCH_SIZE = env('CRASH_BATCH_SIZE', 1000);
const ACCOUNTS = env('CRASH_ACCOUNTS', 2000);
const KILLS = env('CRASH_KILLS', 2);
const STATUSES = ['Trial', 'Pro', 'Enterprise', 'Personal', 'Cancelled', 'Gold'];

interface Update {
  readonly accountId: string;
  readonly status: string;
  readonly observedAt: string;
}

/** A small seeded PRNG (mulberry32): the same updates on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batches per writer; observedAt is unique across writers and increasing within each writer. */
function plan(start: number): Update[][][] {
  const next = random(11);
  return Array.from({ length: WRITERS }, (_, w) =>
    Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: BATCH_SIZE }, (_, i) => ({
        accountId: `acct-${String(Math.floor(next() * ACCOUNTS)).padStart(6, '0')}`,
        status: STATUSES[Math.floor(next() * STATUSES.length)] as string,
        observedAt: new Date(start + ((b * BATCH_SIZE + i) * WRITERS + w)).toISOString(),
      })),
    ),
  );
}

describe.each(testEngines())('crash: SIGKILL under concurrent writers on %s', (engine) => {
  const database = apiDatabase(engine);
  afterAll(() => database.cleanup());

  it(
    `loses and doubles nothing: ${WRITERS} writers x ${BATCHES} batches x ${BATCH_SIZE}, ${KILLS} kills`,
    async () => {
      let api: ApiProcess = await startApi({ env: database.env });
      const key = api.key as string;
      // A restart in progress: writers that fail wait for it instead of retrying against a dead port.
      let ready: Promise<void> = Promise.resolve();
      const batches = plan(Date.now() - 86_400_000);
      const total = WRITERS * BATCHES;
      let acknowledged = 0;
      let inFlight = 0;
      const kills: { afterBatches: number; inFlight: number }[] = [];
      let retries = 0;
      let replayed = 0;
      const serverErrors: string[] = [];

      const killAndRestart = async () => {
        let restarted!: () => void;
        ready = new Promise((resolve) => {
          restarted = resolve;
        });
        kills.push({ afterBatches: acknowledged, inFlight });
        await api.stop('SIGKILL');
        api = await startApi({ env: database.env });
        restarted();
      };
      const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor((total * (k + 1)) / (KILLS + 1)));
      let restarting: Promise<void> = Promise.resolve();

      /** Outcomes per account, as acknowledged: change events expected (created/changed) and stale ones. */
      const expected = new Map<string, { change: number; stale: number }>();
      const send = async (w: number, b: number, updates: Update[]) => {
        for (;;) {
          await ready;
          const url = api.url;
          inFlight++;
          let res: Response | undefined;
          try {
            res = await fetch(`${url}/v1/statuses:batch`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${key}`,
                'content-type': 'application/json',
                'idempotency-key': `crash-w${w}-b${b}`,
              },
              body: JSON.stringify({ updates }),
            });
          } catch {
            // The process died under the request: retry with the same key once it is back.
          } finally {
            inFlight--;
          }
          if (res?.status === 200) {
            if (res.headers.get('idempotent-replayed') === 'true') replayed++;
            return (await res.json()) as { results: { accountId: string; outcome: string }[] };
          }
          if (res && res.status < 500)
            throw new Error(`batch w${w} b${b}: ${res.status} ${await res.text()}`);
          if (res) serverErrors.push(`${res.status} ${await res.text()}`);
          retries++;
          await restarting;
        }
      };
      // Some answers are "lost" on purpose (every fifth batch): the writer sends those batches again at the
      // end, after the kills, and must get the first answer back, replayed from the database.
      const lost: { w: number; b: number; updates: Update[]; first: unknown }[] = [];
      await Promise.all(
        batches.map(async (writer, w) => {
          for (const [b, updates] of writer.entries()) {
            const answer = await send(w, b, updates);
            if ((w * BATCHES + b) % 5 === 2) lost.push({ w, b, updates, first: answer });
            for (const r of answer.results) {
              const e = expected.get(r.accountId) ?? { change: 0, stale: 0 };
              if (r.outcome === 'created' || r.outcome === 'changed') e.change++;
              else if (r.outcome === 'stale') e.stale++;
              expected.set(r.accountId, e);
            }
            acknowledged++;
            if (killAt[kills.length] !== undefined && acknowledged >= (killAt[kills.length] as number)) {
              restarting = restarting.then(killAndRestart);
              await restarting;
            }
          }
        }),
      );
      const replayedBefore = replayed;
      for (const l of lost) expect(await send(l.w, l.b, l.updates)).toEqual(l.first);
      expect(replayed - replayedBefore).toBe(lost.length);
      expect(await api.stop()).toBe(0);

      // The newest observation of each account, from what was sent.
      const newest = new Map<string, Update>();
      for (const u of batches.flat(2)) {
        const seen = newest.get(u.accountId);
        if (!seen || u.observedAt > seen.observedAt) newest.set(u.accountId, u);
      }

      const store: Store = await openStore(
        engine === 'pglite'
          ? { dataDir: database.env.STATUSKIT_DATA_DIR }
          : { databaseUrl: database.env.DATABASE_URL, schema: database.env.STATUSKIT_DB_SCHEMA },
      );
      try {
        const accounts = await store.db
          .selectFrom('accounts')
          .select(['account_id', 'raw_status', 'last_observed_at'])
          .where('tenant_id', '=', 'default')
          .execute();
        const events = await store.db
          .selectFrom('status_events')
          .select(['account_id', 'kind'])
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', 'default')
          .groupBy(['account_id', 'kind'])
          .execute();
        const wrong = accounts.filter((a) => {
          const n = newest.get(a.account_id);
          return !n || a.raw_status !== n.status || a.last_observed_at.toISOString() !== n.observedAt;
        });
        expect(accounts.length).toBe(newest.size);
        expect(wrong.slice(0, 5)).toEqual([]);
        let missing = 0;
        let doubled = 0;
        const stored = new Map<string, { change: number; stale: number }>();
        for (const e of events) {
          const s = stored.get(e.account_id) ?? { change: 0, stale: 0 };
          s[e.kind] += Number(e.n);
          stored.set(e.account_id, s);
        }
        for (const id of new Set([...expected.keys(), ...stored.keys()])) {
          const want = expected.get(id) ?? { change: 0, stale: 0 };
          const have = stored.get(id) ?? { change: 0, stale: 0 };
          for (const kind of ['change', 'stale'] as const) {
            missing += Math.max(0, want[kind] - have[kind]);
            doubled += Math.max(0, have[kind] - want[kind]);
          }
        }
        const applied = [...expected.values()].reduce((n, e) => n + e.change, 0);
        const stale = [...expected.values()].reduce((n, e) => n + e.stale, 0);
        process.stderr.write(
          `crash on ${engine}: ${WRITERS * BATCHES * BATCH_SIZE} updates (${applied} applied, ${stale} stale) by ${WRITERS} writers, ` +
            `${kills.length} SIGKILLs (${kills.map((k) => `after ${k.afterBatches} batches, ${k.inFlight} in flight`).join('; ')}), ` +
            `${retries} retries, ${replayed} answers replayed (${lost.length} sent again after the kills), ${serverErrors.length} 5xx; lost ${missing}, doubled ${doubled}\n`,
        );
        expect({ lost: missing, doubled, serverErrors: serverErrors.slice(0, 3) }).toEqual({
          lost: 0,
          doubled: 0,
          serverErrors: [],
        });
        expect(kills).toHaveLength(KILLS);
      } finally {
        await store.close();
      }
    },
    scaled(60_000 + WRITERS * BATCHES * BATCH_SIZE * 2 + KILLS * 20_000),
  );
});
