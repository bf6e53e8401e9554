// The settings page's "Outgoing webhooks" section in Chromium: add a subscription through the form (the
// secret is shown once), see its deliveries (state, response code) after status changes, replay a failed one.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { scaled } from '@statuskit/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';
import { DEFAULT_WEBHOOK_SETTINGS } from './webhooks/settings.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.STATUSKIT_REQUIRE_BROWSER)
  throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);

describe.skipIf(!haveBrowser)('settings page: outgoing webhooks in Chromium', () => {
  let store: Store;
  let server: RunningServer;
  let receiver: Server;
  let browser: Browser;
  let page: Page;
  let key = '';
  let receiverUrl = '';

  beforeAll(async () => {
    // The receiver acknowledges /ok and answers 500 on /broken.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/ok' ? 204 : 500).end());
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    store = await openTestStore('pglite');
    server = await startServer({
      store,
      port: 0,
      scheduler: false,
      webhooks: { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true, pollMs: 50, retryForMs: 0 },
    });
    await store.createTenant({ id: 'hooks-page', name: 'Hooks page' });
    key = (await store.createApiKey('hooks-page', 'page test')).key;
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage();
    page.setDefaultTimeout(scaled(10_000));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  const push = async (accountId: string, status: string) => {
    const res = await fetch(`${server.url}/v1/accounts/${accountId}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    expect(res.status).toBe(200);
  };
  const add = async (url: string) => {
    await page.getByLabel('URL', { exact: true }).fill(url);
    await page.getByRole('button', { name: 'Add webhook' }).click();
  };
  const reload = async () => {
    await page.goto('about:blank');
    await page.goto(`${server.url}/settings`);
    await expect
      .poll(() => page.locator('#webhooks-section').isVisible(), { timeout: scaled(10_000) })
      .toBe(true);
  };

  it('adds subscriptions, shows the secret once, and lists deliveries with their response codes', async () => {
    await page.goto(`${server.url}/settings`);
    await page.evaluate((k) => sessionStorage.setItem('statuskit-api-key', k), key);
    await reload();
    await expect.poll(() => page.locator('#webhooks-none').isVisible()).toBe(true);

    await add('http://127.0.0.1/ftp');
    await add('ftp://example.com/');
    await expect.poll(() => page.locator('#webhooks-message').textContent()).toMatch(/http or https/);

    await add(`${receiverUrl}/ok`);
    await expect.poll(() => page.locator('#webhooks-message').textContent()).toMatch(/whsec_/);
    await add(`${receiverUrl}/broken`);
    await expect.poll(() => page.locator('[data-subscription]').count()).toBe(3);

    await push('acme', 'Pro');
    const ok = page.locator('[data-subscription]', { hasText: `${receiverUrl}/ok` });
    const broken = page.locator('[data-subscription]', { hasText: `${receiverUrl}/broken` });
    await expect
      .poll(
        async () => {
          await reload();
          return [
            await ok.locator('tr[data-state="delivered"]').count(),
            await broken.locator('tr[data-state="failed"]').count(),
          ];
        },
        { timeout: scaled(20_000) },
      )
      .toEqual([1, 1]);
    expect(await ok.locator('tr[data-state="delivered"] td').nth(2).textContent()).toBe('204');
    expect(await broken.locator('tr[data-state="failed"] td').nth(2).textContent()).toBe('500');

    // Replay the failed one: it is attempted again (and fails again, with a second attempt).
    await broken.getByRole('button', { name: 'Replay' }).click();
    await expect
      .poll(
        async () => {
          await reload();
          return broken.locator('tr[data-state="failed"] td').nth(3).textContent();
        },
        { timeout: scaled(20_000) },
      )
      .toBe('2');

    // Pause: the status badge says so.
    await ok.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => ok.locator('.badge').textContent()).toBe('disabled');
  });
});
