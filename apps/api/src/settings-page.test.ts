import { existsSync } from 'node:fs';
import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { scaled } from '@statuskit/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';

// Debian's Chromium (apt-get install chromium); .ci/run installs it and sets STATUSKIT_REQUIRE_BROWSER so
// that CI fails rather than skips when it is missing.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.STATUSKIT_REQUIRE_BROWSER)
  throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);

describe.skipIf(!haveBrowser)('catalog settings page in Chromium', () => {
  let store: Store;
  let server: RunningServer;
  let browser: Browser;
  let key: string;
  let page: Page;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    server = await startServer({ store, port: 0, scheduler: false });
    await store.createTenant({ id: 'acme', name: 'Acme' });
    key = (await store.createApiKey('acme', 'settings test')).key;
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage();
    page.setDefaultTimeout(scaled(10_000));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  const push = (accountId: string, status: string, attributes?: Record<string, unknown>) =>
    fetch(`${server.url}/v1/accounts/${accountId}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, ...(attributes ? { attributes } : {}) }),
    }).then((r) => expect(r.status).toBe(200));
  const until = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: scaled(10_000) });
  const get = async <T>(path: string): Promise<T> =>
    (
      await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } })
    ).json() as Promise<T>;
  const catalog = async () => (await get<{ catalog: { statuses: unknown[] } }>('/v1/catalog')).catalog;

  it('refuses a wrong key, then shows the catalog for the right one', async () => {
    await page.goto(`${server.url}/`);
    expect(page.url()).toBe(`${server.url}/settings`);
    await page.getByLabel('API key').fill('sk_0000000000000000_nottherightkeynottherightkeynottherightke');
    await page.getByRole('button', { name: 'Open' }).click();
    await until(() => page.getByRole('status').textContent()).toContain('not accepted');

    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open' }).click();
    await until(() => page.getByLabel('Value of status 4').inputValue()).toBe('Pro');
    expect(await page.getByLabel('Type of status 4').inputValue()).toBe('paying');
    expect(await page.locator('#rows tr').count()).toBe(6);
    expect(await page.getByLabel('API key').isVisible()).toBe(false);
  });

  it('shows the problems the API finds on the fields they name, and saves nothing', async () => {
    await page.getByRole('button', { name: 'Add a status' }).click();
    await page.getByLabel('Value of status 7').fill('pro');
    await page.getByRole('button', { name: 'Save catalog' }).click();
    const problem = page.locator('#errors li');
    await until(() => problem.first().textContent()).toMatch(/^statuses\[6\]\.value: .*Pro/);
    expect(await page.getByLabel('Value of status 7').getAttribute('aria-invalid')).toBe('true');
    expect((await catalog()).statuses).toHaveLength(6);
    await page.getByRole('button', { name: 'Remove status 7' }).click();
  });

  it('says so when the API cannot be reached, and keeps the edit', async () => {
    await page.route('**/v1/catalog', (route) => route.abort('connectionrefused'));
    await page.getByLabel('Description of status 1').fill('Trying it out');
    await page.getByRole('button', { name: 'Save catalog' }).click();
    await until(() => page.locator('#message').textContent()).toMatch(
      /^Could not reach statuskit .*nothing was saved/,
    );
    await page.unroute('**/v1/catalog');
    expect(await page.getByLabel('Description of status 1').inputValue()).toBe('Trying it out');
    expect(await page.getByRole('button', { name: 'Save catalog' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await until(() => page.getByLabel('Description of status 1').inputValue()).toBe(
      'Evaluating the product; not paying yet',
    );
  });

  it('turns an Unknown value into a status in two clicks, and re-classifies the accounts', async () => {
    await push('a1', ' gold ');
    await push('a2', 'Gold');
    await push('a3', 'Pro');
    await page.reload();
    const add = page.getByRole('button', { name: 'Add “Gold”', exact: true });
    await until(() => add.isVisible()).toBe(true);
    expect(await page.locator('#unknown-rows tr').count()).toBe(1);
    expect(await page.locator('#unknown-rows tr').first().textContent()).toBe(
      '" gold ", "Gold"2a1, a2Add “Gold”',
    );
    await add.click();
    await page.getByLabel('Type of status 7').selectOption('paying');
    await page.getByLabel('Plan of status 7').fill('Gold plan');
    await page.getByRole('button', { name: 'Save catalog' }).click();
    await until(() => page.getByRole('status').textContent()).toMatch(
      /Saved version \d+: 2 accounts re-classified/,
    );
    expect((await catalog()).statuses[6]).toEqual({ value: 'Gold', type: 'paying', plan: 'Gold plan' });
    await until(() => page.locator('#unknown-none').isVisible()).toBe(true);
    const account = await get<{ classification: unknown }>('/v1/accounts/a2');
    expect(account.classification).toMatchObject({ statusType: 'paying', status: 'Gold', plan: 'Gold plan' });
  });

  it('marks the Unknown value a link names (from the dashboard), or says it is Unknown no more', async () => {
    await push('p1', 'Platinum');
    await page.goto(`${server.url}/settings#unknown=platinum`);
    await until(() => page.locator('#unknown-rows tr.linked').textContent()).toContain('"Platinum"');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Add “Platinum”');
    await page.evaluate(() => {
      location.hash = 'unknown=Gold';
    });
    await until(() => page.getByRole('status').textContent()).toBe(
      '“Gold” is no longer Unknown: no account carries it outside the catalog.',
    );
    expect(await page.locator('#unknown-rows tr.linked').count()).toBe(0);
  });

  it('previews rules (who would leave health), saves them, and shows errors and warnings by path', async () => {
    await push('t1', 'Pro', { region: 'TEST' });
    const rule = (fact: string, operator: string, value: unknown) => [
      {
        name: 'test-tenants',
        conditions: {
          all: [{ fact, ...(fact === 'attributes' ? { path: '$.region' } : {}), operator, value }],
        },
        event: { type: 'exclude', params: { reason: 'test tenant' } },
      },
    ];
    const editor = page.getByLabel('Rules (JSON)');
    const message = page.locator('#rules-message');
    const problems = page.locator('#rules-problems li');
    await page.reload();
    await until(() => editor.inputValue()).toBe('[]');

    await editor.fill('[{');
    await page.getByRole('button', { name: 'Preview' }).click();
    await until(() => message.textContent()).toMatch(/^Not JSON: /);

    await editor.fill(JSON.stringify(rule('colour', 'equal', 'TEST')));
    await page.getByRole('button', { name: 'Preview' }).click();
    await until(() => problems.first().textContent()).toMatch(
      /^error \[0\]\.conditions\.all\[0\]\.fact: unknown fact "colour"/,
    );

    await editor.fill(JSON.stringify(rule('attributes', 'equal', 'TEST')));
    await page.getByRole('button', { name: 'Preview' }).click();
    await until(() => message.textContent()).toMatch(/0 would enter, 1 would leave\. Nothing is saved yet\./);
    expect(await page.locator('#rules-preview li').first().textContent()).toBe(
      't1 (Pro): active-customer, exclude by test-tenants',
    );
    expect((await get<{ rules: unknown[] }>('/v1/rules')).rules).toEqual([]);

    await page.getByRole('button', { name: 'Save rules' }).click();
    await until(() => message.textContent()).toMatch(/^Saved rules version \d+\.$/);
    expect((await get<{ rules: unknown[] }>('/v1/rules')).rules).toEqual(rule('attributes', 'equal', 'TEST'));
    expect(await problems.count()).toBe(0);

    await editor.fill(
      JSON.stringify([
        {
          ...rule('attributes', 'equal', 1)[0],
          conditions: { all: [{ fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 }] },
        },
      ]),
    );
    await page.getByRole('button', { name: 'Preview' }).click();
    await until(() => problems.last().textContent()).toMatch(
      /^warning \[0\]: rule "test-tenants" fails on 1 account \(t1\): jsonPath: /,
    );

    await editor.fill(JSON.stringify(rule('status', 'in', 'Pro')));
    await page.getByRole('button', { name: 'Save rules' }).click();
    await until(() => problems.first().textContent()).toMatch(
      /^warning \[0\]\.conditions\.all\[0\]\.value: in with a string value is a substring test/,
    );
  });

  it('tells the person to reload when someone else saved first, and overwrites nothing', async () => {
    const send = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => expect(r.status).toBe(200));
    await page.goto(`${server.url}/settings`); // no fragment left by an earlier test
    await until(() => page.getByLabel('Value of status 1').inputValue()).toBe('Trial');
    await until(() => page.getByLabel('Rules (JSON)').inputValue()).not.toBe('');

    // Someone else saves the catalog and the rules after the page loaded them.
    const theirs = await catalog();
    const statuses = theirs.statuses as { description?: string }[];
    await send('/v1/catalog', {
      ...theirs,
      statuses: statuses.map((s, i) => (i === 1 ? { ...s, description: 'theirs' } : s)),
    });
    await send('/v1/rules', []);

    await page.getByLabel('Description of status 2').fill('mine');
    await page.getByRole('button', { name: 'Save catalog' }).click();
    await until(() => page.locator('#message').textContent()).toMatch(
      /^Someone else saved the catalog \(version \d+\) after you opened it, so yours was not saved\. Reload the page/,
    );
    expect(((await catalog()).statuses as { description?: string }[])[1]?.description).toBe('theirs');
    expect(await page.getByLabel('Description of status 2').inputValue()).toBe('mine');
    expect(await page.getByRole('button', { name: 'Save catalog' }).isEnabled()).toBe(true);

    await page.getByLabel('Rules (JSON)').fill('[]');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await until(() => page.locator('#rules-message').textContent()).toMatch(
      /^Someone else saved the rules \(version \d+\) after you opened them, so yours were not saved\. Reload the page/,
    );

    await page.reload();
    await until(() => page.getByLabel('Description of status 2').inputValue()).toBe('theirs');
    await page.getByLabel('Description of status 2').fill('mine, after reloading');
    await page.getByRole('button', { name: 'Save catalog' }).click();
    await until(() => page.getByRole('status').textContent()).toMatch(/^Saved version \d+/);
    expect(((await catalog()).statuses as { description?: string }[])[1]?.description).toBe(
      'mine, after reloading',
    );
  });

  it('serves the page with a policy that allows its own script only', async () => {
    const res = await fetch(`${server.url}/settings`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.reload();
    await until(() => page.getByLabel('Value of status 1').inputValue()).toBe('Trial');
    expect(errors).toEqual([]);
  });
});
