// The settings page's "Billing webhooks" section (static/settings/billing-webhooks.js) in Chromium: create an
// endpoint, paste its secret, see the deliveries Stripe made and why each one did or did not move an account.
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { scaled } from '@statuskit/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.STATUSKIT_REQUIRE_BROWSER)
  throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
const OUTPUT =
  process.env.STATUSKIT_TEST_OUTPUT ?? join(import.meta.dirname, '..', '.test-output', 'settings-page');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SECRET = 'whsec_pageTest0123456789abcdef';

describe.skipIf(!haveBrowser)('settings page: billing webhooks, in Chromium', () => {
  let store: Store;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let key = '';

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    store = await openTestStore('pglite');
    server = await startServer({ store, port: 0, scheduler: false });
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(scaled(10_000));
    await store.createTenant({ id: 'hooks-page', name: 'Hooks page' });
    key = (await store.createApiKey('hooks-page', 'page test')).key;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  const until = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: scaled(10_000) });
  const openPage = async () => {
    await page.goto(`${server.url}/settings`);
    await page.evaluate((k) => sessionStorage.setItem('statuskit-api-key', k), key);
    await page.goto('about:blank');
    await page.goto(`${server.url}/settings#hooks-title`);
    await until(() => page.locator('#billing-webhooks-section').isVisible()).toBe(true);
  };
  const deliver = async (url: string, customer: string, price: string, id: string) => {
    const t = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id,
      object: 'event',
      type: 'customer.subscription.created',
      created: t - 5,
      data: {
        object: {
          id: `sub_${customer}`,
          object: 'subscription',
          status: 'active',
          customer,
          livemode: true,
          created: t - 5,
          items: { data: [{ price: { id: price, lookup_key: null, product: 'prod_1' } }] },
        },
      },
    });
    const v1 = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
      body,
    });
    return res.status;
  };

  it('creates an endpoint, shows the URL to paste, takes the secret, and lists recent deliveries with reasons', async () => {
    await openPage();
    expect(await page.locator('#hooks-none').isVisible()).toBe(true);
    // A config that is not JSON, then one the mapper refuses: said in words, nothing created.
    await page.getByLabel('Mapper config (JSON)').fill('{ plans: ');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await until(() => page.locator('#hooks-message').textContent()).toContain('not JSON');
    await page.getByLabel('Mapper config (JSON)').fill('{"plans": []}');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await until(() => page.locator('#hooks-message').textContent()).toContain('config.plans');

    await page.getByLabel('Billing system').selectOption('stripe');
    await page.getByLabel('Name (optional)').fill('Stripe live');
    await page.getByLabel('Mapper config (JSON)').fill(
      JSON.stringify({
        plans: [
          { status: 'Pro', prices: ['price_pro'] },
          { status: 'Gold', prices: ['price_gold'] },
        ],
      }),
    );
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await until(() => page.locator('#hook-created').textContent()).toContain('/v1/webhooks/stripe/we_');
    expect(await page.locator('#hook-created').textContent()).toContain(
      '"Gold" is not a status of the catalog',
    );
    const card = page.locator('.hook-card').first();
    await until(() => card.getByRole('heading').textContent()).toBe('Stripe live');
    const url = await card.getByLabel('URL to paste into Stripe').inputValue();
    expect(url).toMatch(new RegExp(`^${server.url}/v1/webhooks/stripe/we_[0-9a-f]{24}$`));
    expect(await card.textContent()).toContain('No signing secret yet');

    await card.getByLabel('Signing secret').fill(SECRET);
    await card.getByRole('button', { name: 'Save secret' }).click();
    await until(() => page.locator('#hooks-message').textContent()).toContain('Saved the signing secret');
    await until(() => page.locator('.hook-card').first().textContent()).not.toContain(
      'No signing secret yet',
    );

    expect(await deliver(url, 'cus_page', 'price_pro', 'evt_page_1')).toBe(200);
    expect(await deliver(url, 'cus_other', 'price_unknown', 'evt_page_2')).toBe(200);
    expect(await deliver(url, 'cus_page', 'price_pro', 'evt_page_1')).toBe(200);
    await openPage();
    const rows = page.locator('.hook-card').first().locator('tbody tr');
    await until(() => rows.count()).toBe(3);
    const texts = await rows.allTextContents();
    expect(texts[0]).toContain('duplicate');
    expect(texts[1]).toMatch(/skipped.*unmapped-price.*cus_other/);
    expect(texts[2]).toMatch(/applied.*cus_page → Pro \(created\)/);
    expect(await page.locator('.hook-card .counts').first().textContent()).toBe(
      '3 deliveries, 1 applied, 1 skipped, 1 duplicate',
    );
    await page.screenshot({ path: join(OUTPUT, 'billing-webhooks-desktop.png'), fullPage: true });

    // Readable at phone width, and nothing axe calls serious in the section.
    await page.setViewportSize({ width: 360, height: 740 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(OUTPUT, 'billing-webhooks-phone.png'), fullPage: true });
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (c: Element, o: object) => Promise<{ violations: { id: string; impact: string }[] }>;
          };
        }
      ).axe;
      const section = document.getElementById('billing-webhooks-section') as Element;
      const result = await axe.run(section, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id);
    });
    expect(violations).toEqual([]);
  });
});
