import type { Store } from '@statuskit/store';
import { describe, expect, it } from 'vitest';
import { createReadiness } from './readiness.js';

type Version = { applied: number; expected: number };

/** A store whose schemaVersion answers come from the test, one per call. */
function fakeStore() {
  const calls: { resolve: (v: Version) => void; reject: (e: Error) => void }[] = [];
  const store = {
    engine: 'postgres',
    schemaVersion: () =>
      new Promise<Version>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
  } as unknown as Store;
  return { store, calls };
}

const slug = (answer: Awaited<ReturnType<ReturnType<typeof createReadiness>['check']>>) =>
  answer.ready ? 'ready' : answer.problem.type.replace('https://statuskit.dev/problems/', '');

describe('readiness', () => {
  it('is ready when the database answers with the schema this code needs, and says why not otherwise', async () => {
    const { store, calls } = fakeStore();
    const readiness = createReadiness(store, { timeoutMs: 60_000 });
    let answer = readiness.check();
    calls[0]?.resolve({ applied: 3, expected: 3 });
    expect(await answer).toEqual({ ready: true, engine: 'postgres', schemaVersion: 3 });

    answer = readiness.check();
    calls[1]?.resolve({ applied: 2, expected: 3 });
    const behind = await answer;
    expect(slug(behind)).toBe('migrations-pending');
    expect(behind.ready ? undefined : behind.problem).toMatchObject({
      status: 503,
      schemaVersion: 2,
      expectedSchemaVersion: 3,
    });

    answer = readiness.check();
    calls[2]?.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const down = await answer;
    expect(slug(down)).toBe('database-unavailable');
    expect(down.ready ? '' : down.problem.detail).toContain('ECONNREFUSED');
  });

  it('checks made together share one query; a query older than the timeout makes the next checks fail at once', async () => {
    const { store, calls } = fakeStore();
    const readiness = createReadiness(store, { timeoutMs: 25 });
    const together = [readiness.check(), readiness.check()];
    expect(calls).toHaveLength(1);
    // The database never answers: both time out.
    expect((await Promise.all(together)).map(slug)).toEqual(['database-unavailable', 'database-unavailable']);
    const again = await readiness.check();
    expect(again.ready ? '' : again.problem.detail).toMatch(/has not answered the readiness check sent/);
    expect(calls).toHaveLength(1);
    // Once the stuck query comes back, the next check asks again.
    calls[0]?.resolve({ applied: 1, expected: 1 });
    await expect.poll(async () => slug(await checkAnswering(readiness, calls))).toBe('ready');
  });

  it('says not ready from the moment the API shuts down', async () => {
    const { store, calls } = fakeStore();
    const readiness = createReadiness(store);
    readiness.drain();
    expect(readiness.draining).toBe(true);
    expect(slug(await readiness.check())).toBe('shutting-down');
    expect(calls).toHaveLength(0);
  });
});

/** A check whose query (if it makes one) is answered at once. */
async function checkAnswering(
  readiness: ReturnType<typeof createReadiness>,
  calls: { resolve: (v: Version) => void }[],
) {
  const before = calls.length;
  const answer = readiness.check();
  if (calls.length > before) calls.at(-1)?.resolve({ applied: 1, expected: 1 });
  return answer;
}
