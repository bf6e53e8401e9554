// `npm start` as a user runs it: a reused pid in a stale lock does not block it, --new-key says the earlier
// keys still work, --rotate-key revokes the keys npm start made (and says which) but keeps the API's.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { copyPGliteTemplate } from '@statuskit/store/testing';
import { apiDatabase, apiMain, startApi, startProcess } from '@statuskit/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const database = apiDatabase('pglite');
/** A start that is meant to fail: its exit code and what it said. */
const refusedStart = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
  const { DATABASE_URL: _pglite, ...inherited } = process.env;
  const p = startProcess(process.execPath, [apiMain, ...args], {
    env: { ...inherited, PORT: '0', STATUSKIT_SCHEDULER: 'off', ...env },
  });
  return { code: await p.exited, stderr: p.stderr };
};
afterAll(() => database.cleanup());

describe('npm start and its keys', () => {
  it('starts over a stale lock whose pid another process took, then makes and rotates keys', async () => {
    const dataDir = database.env.STATUSKIT_DATA_DIR as string;
    await copyPGliteTemplate(dataDir);
    const unrelated = startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    let first: Awaited<ReturnType<typeof startApi>>;
    try {
      // A lock left by a statuskit that crashed, naming a pid that now belongs to another process.
      writeFileSync(
        `${dataDir}.lock`,
        JSON.stringify({
          pid: unrelated.child.pid,
          host: hostname(),
          since: 'yesterday',
          started: 'linux:1',
        }),
      );
      first = await startApi({ env: database.env });
    } finally {
      await unrelated.stop();
    }
    const initial = first.key as string;
    const call = (key: string, method = 'GET', path = '/v1/catalog', body?: unknown) =>
      fetch(`${first.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const made = (await (await call(initial, 'POST', '/v1/api-keys', { name: 'ci' })).json()) as {
      key: string;
    };
    expect(await first.stop()).toBe(0);

    const second = await startApi({ env: database.env, args: ['--new-key'] });
    const added = second.key as string;
    expect(added).toMatch(/^sk_/);
    await second.waitFor(/made key sk_[0-9a-f]{16}; the earlier keys still work/, { stream: 'stderr' });
    const at = (p: typeof second, key: string) =>
      fetch(`${p.url}/v1/catalog`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect([await at(second, initial), await at(second, added)]).toEqual([200, 200]);
    expect(await second.stop()).toBe(0);

    const third = await startApi({ env: database.env, args: ['--rotate-key'] });
    const rotated = third.key as string;
    await third.waitFor(/revoked 2 earlier keys npm start made/, { stream: 'stderr' });
    expect(third.stderr).toContain(
      `revoked 2 earlier keys npm start made (${initial.slice(0, 19)}, ${added.slice(0, 19)}); keys made through the API still work`,
    );
    expect([
      await at(third, initial),
      await at(third, added),
      await at(third, made.key),
      await at(third, rotated),
    ]).toEqual([401, 401, 200, 200]);
    expect(await third.stop()).toBe(0);
  });

  it('refuses unknown or contradictory arguments and bad settings with exit code 2', async () => {
    const both = await refusedStart(database.env, ['--new-key', '--rotate-key']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('do not go together');
    const skew = await refusedStart({ ...database.env, STATUSKIT_FUTURE_SKEW_SECONDS: 'soon' });
    expect(skew.code).toBe(2);
    expect(skew.stderr).toContain('STATUSKIT_FUTURE_SKEW_SECONDS must be a whole number');
  });
});
