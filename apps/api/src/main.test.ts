import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiMain, startApi, startProcess } from '@statuskit/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const dataRoot = mkdtempSync(join(tmpdir(), 'statuskit-start-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

describe('npm start (statuskit-api)', () => {
  it('prints the URL and a key a shell can paste, keeps the tenant across restarts, and guards the data directory', async () => {
    const dataDir = join(dataRoot, 'data');
    // A new data directory from initdb, as a first `npm start` makes it.
    const first = await startApi({ dataDir, fresh: true });
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STATUSKIT_URL=http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^STATUSKIT_API_KEY=sk_[0-9a-f]{16}_\S{43}$/);
    const key = first.key as string;
    const put = await fetch(`${first.url}/v1/accounts/acme/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Pro' }),
    });
    expect(put.status).toBe(200);
    // The start-up line names the dashboard, which serves the charting library from its installed package.
    const [, dashboard] = await first.waitFor(/dashboard at (\S+),/, { stream: 'stderr' });
    expect(dashboard).toBe(`${first.url}/dashboard`);
    for (const path of ['/dashboard', '/dashboard/vendor/uplot.js', '/dashboard/vendor/uplot.css']) {
      const res = await fetch(`${first.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
    }

    const { DATABASE_URL: _pglite, ...env } = process.env;
    const second = startProcess(process.execPath, [apiMain], {
      env: { ...env, PORT: '0', STATUSKIT_DATA_DIR: dataDir, STATUSKIT_SCHEDULER: 'off' },
    });
    expect(await second.exited).toBe(1);
    expect(second.stderr).toMatch(/in use by process \d+/);

    expect(await first.stop()).toBe(0);

    const again = await startApi({ dataDir, env: { PORT: new URL(first.url).port } });
    expect(again.stdout.trim()).toBe(`STATUSKIT_URL=${first.url}`);
    expect(again.key).toBeUndefined();
    const get = await fetch(`${again.url}/v1/accounts/acme`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await get.json()) as { status: string }).status).toBe('Pro');
    expect(await again.stop()).toBe(0);

    const fresh = await startApi({ dataDir, args: ['--new-key'] });
    expect(fresh.key).toMatch(/^sk_/);
    expect(fresh.key).not.toBe(key);
    expect(await fresh.stop()).toBe(0);
  });
});
