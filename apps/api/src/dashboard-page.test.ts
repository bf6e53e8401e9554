import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Store } from '@statuskit/store';
import { openTestStore } from '@statuskit/store/testing';
import { scaled } from '@statuskit/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';

// Debian's Chromium, as in settings-page.test.ts: CI installs it and fails rather than skips without it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.STATUSKIT_REQUIRE_BROWSER)
  throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);

/** Screenshots for people to look at (ignored by git: `.test-*`). */
const OUTPUT = fileURLToPath(new URL('../.test-output/dashboard/', import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DAY_MS = 86_400_000;
const TYPES = ['paying', 'free', 'cancelled', 'unknown'] as const;
const MOVES = ['conversions', 'churn', 'reactivations', 'planChanges'] as const;

interface Day {
  day: string;
  byType: Record<string, number>;
  conversions: number;
  churn: number;
  reactivations: number;
  planChanges: number;
}
type Update = { accountId: string; status: string | null; observedAt: string };

/**
 * A few hundred accounts with a history over the last 90 days, the same on every run: each account starts
 * on some day (on a trial, a plan, a non-customer status, cancelled, or an Unknown value) and then may
 * convert, change plan, churn, come back or get fixed. Returned in rounds: an account's n-th update is in
 * round n, so each batch keeps every account's updates in time order.
 */
function history(now: number, accounts = 320): Update[][] {
  let seed = 20_261_125;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const pick = (weights: [string | null, number][]) => {
    let r = random() * weights.reduce((a, [, w]) => a + w, 0);
    for (const [value, w] of weights) {
      r -= w;
      if (r < 0) return value;
    }
    return weights.at(-1)?.[0] ?? null;
  };
  const start: [string | null, number][] = [
    ['Trial', 35],
    ['Pro', 20],
    ['Personal', 10],
    ['Enterprise', 5],
    ['Internal-use', 5],
    ['Cancelled', 5],
    ['Gold', 6],
    [' gold ', 2],
    ['Platinum', 4],
    ['', 3],
    [null, 5],
  ];
  const next: Record<string, [string | null, number][]> = {
    Trial: [
      ['Pro', 45],
      ['Personal', 15],
      ['Cancelled', 15],
      ['stay', 25],
    ],
    Pro: [
      ['Enterprise', 20],
      ['Cancelled', 20],
      ['stay', 60],
    ],
    Personal: [
      ['Pro', 25],
      ['Cancelled', 15],
      ['stay', 60],
    ],
    Enterprise: [
      ['Cancelled', 15],
      ['stay', 85],
    ],
    Cancelled: [
      ['Pro', 30],
      ['Trial', 10],
      ['stay', 60],
    ],
    Gold: [
      ['Pro', 30],
      ['stay', 70],
    ],
  };
  const rounds: Update[][] = [[], [], [], []];
  for (let i = 0; i < accounts; i++) {
    const accountId = `acct-${String(i).padStart(3, '0')}`;
    let daysAgo = 89 - Math.floor(random() * 88);
    let status = pick(start);
    const at = () => new Date(now - daysAgo * DAY_MS - Math.floor(random() * 6 * 3_600_000)).toISOString();
    rounds[0]?.push({ accountId, status, observedAt: at() });
    for (let round = 1; round < rounds.length && daysAgo > 2; round++) {
      const to = pick(next[status ?? ''] ?? [['stay', 1]]);
      if (to === 'stay') break;
      daysAgo -= 1 + Math.floor(random() * Math.min(25, daysAgo - 2));
      status = to;
      rounds[round]?.push({ accountId, status, observedAt: at() });
    }
  }
  return rounds;
}

describe.skipIf(!haveBrowser)('dashboard in Chromium', () => {
  let store: Store;
  let server: RunningServer;
  let browser: Browser;
  let key: string;
  let page: Page;
  const problems: string[] = [];

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });
    expect(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status}`).toBe(true);
    return (await res.json()) as T;
  };
  const until = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: scaled(10_000) });
  const count = (n: number) => n.toLocaleString('en-US');
  /** The UTC day now (a test may straddle midnight: it compares with the day before and after an action). */
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    store = await openTestStore('pglite');
    server = await startServer({ store, port: 0, scheduler: false });
    await store.createTenant({ id: 'acme', name: 'Acme' });
    key = (await store.createApiKey('acme', 'dashboard test')).key;
    for (const updates of history(Date.now()))
      await api('/v1/statuses:batch', { method: 'POST', body: JSON.stringify({ updates }) });
    await api('/v1/health-runs', { method: 'POST' });
    await api('/v1/rules', {
      method: 'PUT',
      body: JSON.stringify([
        {
          name: 'long-trial',
          conditions: {
            all: [
              { fact: 'trial', operator: 'equal', value: true },
              { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
            ],
          },
          event: { type: 'exclude', params: { reason: 'trial longer than 30 days' } },
        },
      ]),
    });
    await api('/v1/health-runs', { method: 'POST' });
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(scaled(10_000));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // Any error but the answers the tests ask for (a refused key, a missing account): a CSP refusal among them.
    page.on('console', (message) => {
      if (
        message.type() === 'error' &&
        !/^Failed to load resource: .* status of (401|404) /.test(message.text())
      )
        problems.push(`console: ${message.text()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  /** The day and the numbers a chart's tooltip shows now. */
  const tooltip = (chart: 'types' | 'moves') =>
    page.locator(`#${chart}-tooltip`).evaluate((el) => ({
      hidden: (el as HTMLElement).hidden,
      day: (el as HTMLElement).dataset.day,
      values: Object.fromEntries(
        [...el.querySelectorAll('dd')].map((dd) => [(dd as HTMLElement).dataset.key, dd.textContent]),
      ),
    }));
  const expectedTooltip = (chart: 'types' | 'moves', d: Day) =>
    chart === 'types'
      ? {
          ...Object.fromEntries(TYPES.map((t) => [t, count(d.byType[t] ?? 0)])),
          total: count(TYPES.reduce((a, t) => a + (d.byType[t] ?? 0), 0)),
        }
      : Object.fromEntries(MOVES.map((m) => [m, count(d[m])]));
  /** axe-core's serious and critical findings on the page as it is now. */
  const axeFindings = async () => {
    await page.evaluate(AXE);
    return page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run: (c: Document) => Promise<AxeResult> } }).axe;
      type AxeResult = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
      const result = await axe.run(document);
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
  };
  const noSidewaysScroll = () => page.evaluate(() => document.documentElement.scrollWidth);

  it('asks for the key, then shows where the accounts are now', async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.getByLabel('API key').fill('sk_0000000000000000_nottherightkeynottherightkeynottherightke');
    await page.getByRole('button', { name: 'Open' }).click();
    await until(() => page.locator('#message').textContent()).toContain('not accepted');

    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open' }).click();
    const counts = await api<{
      total: number;
      customers: { byType: Record<string, number>; byPlan: { plan: string; count: number }[] };
      nonCustomers: { total: number };
      unknown: { total: number; byReason: Record<string, number> };
    }>('/v1/reports/accounts');
    expect(counts.total).toBe(320);
    const card = (key: string) => page.locator(`#type-cards [data-key="${key}"] .card-value`).textContent();
    await until(() => card('paying')).toBe(count(counts.customers.byType.paying ?? -1));
    expect(await card('free')).toBe(count(counts.customers.byType.free ?? -1));
    expect(await card('cancelled')).toBe(count(counts.customers.byType.cancelled ?? -1));
    expect(await card('unknown')).toBe(count(counts.unknown.total));
    expect(await card('non-customer')).toBe(count(counts.nonCustomers.total));
    expect(counts.nonCustomers.total).toBeGreaterThan(0);
    const plans = await page
      .locator('#plan-rows tr')
      .evaluateAll((rows) =>
        rows.map((r) => [r.querySelector('th')?.textContent, r.querySelector('td')?.textContent]),
      );
    expect(plans).toEqual(counts.customers.byPlan.map((p) => [p.plan, count(p.count)]));
    const reasons = await page
      .locator('#unknown-reasons li')
      .evaluateAll((items) =>
        items.map((li) => [(li as HTMLElement).dataset.reason, li.querySelector('strong')?.textContent]),
      );
    expect(Object.fromEntries(reasons)).toEqual(
      Object.fromEntries(Object.entries(counts.unknown.byReason).map(([r, n]) => [r, count(n)])),
    );
  });

  let days: Day[] = [];

  it('draws 90 days from /v1/metrics; the tooltip of every day and the table show the same numbers', async () => {
    const before = today();
    // The first load's 30-day request may still be answering when the button is pressed: wait for the
    // request the button makes (a range other than the 30 days shown before).
    const [requested] = await Promise.all([
      page.waitForResponse((r) => {
        const u = new URL(r.url());
        const span =
          (Date.parse(u.searchParams.get('to') ?? '') - Date.parse(u.searchParams.get('from') ?? '')) /
          DAY_MS;
        return u.pathname === '/v1/metrics' && span !== 29;
      }),
      page.getByRole('button', { name: '90 days' }).click(),
    ]);
    const url = new URL(requested.url());
    const from = url.searchParams.get('from') as string;
    const to = url.searchParams.get('to') as string;
    expect([before, today()]).toContain(to);
    expect((Date.parse(to) - Date.parse(from)) / DAY_MS).toBe(89);
    days = (await api<{ days: Day[] }>(`/v1/metrics?from=${from}&to=${to}`)).days;
    expect(days).toHaveLength(90);
    expect(
      days.reduce((a, d) => a + d.conversions + d.churn + d.reactivations + d.planChanges, 0),
    ).toBeGreaterThan(50);
    await until(() => page.getByRole('button', { name: '90 days' }).getAttribute('aria-pressed')).toBe(
      'true',
    );

    // The charts drew: the stacked areas and the lines are on their canvases in their colours.
    const painted = (chart: string, rgb: [number, number, number]) =>
      page.locator(`#${chart}-chart canvas`).evaluate((canvas, [r, g, b]) => {
        const c = canvas as HTMLCanvasElement;
        const data =
          c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 0; i < data.length; i += 4)
          if (
            Math.abs((data[i] ?? 0) - r) +
              Math.abs((data[i + 1] ?? 0) - g) +
              Math.abs((data[i + 2] ?? 0) - b) <
            30
          )
            n++;
        return n;
      }, rgb);
    await until(() => painted('types', [36, 86, 214])).toBeGreaterThan(2000);
    expect(await painted('moves', [179, 38, 30])).toBeGreaterThan(50);

    // Every day, read from each chart with the arrow keys: the numbers it plots are the API's. The first
    // steps are real key presses; the sweep over the rest sends the same key events from inside the page.
    for (const chart of ['types', 'moves'] as const) {
      await page.locator(`#${chart}-chart`).focus();
      await page.keyboard.press('End');
      expect(await tooltip(chart)).toMatchObject({ hidden: false, day: days.at(-1)?.day });
      await page.keyboard.press('Home');
      expect(await tooltip(chart)).toEqual({
        hidden: false,
        day: days[0]?.day,
        values: expectedTooltip(chart, days[0] as Day),
      });
      await page.keyboard.press('ArrowRight');
      expect(await tooltip(chart)).toMatchObject({ hidden: false, day: days[1]?.day });
      const read = await page.locator(`#${chart}-chart`).evaluate((target, n) => {
        const tip = target.parentElement?.querySelector('.tooltip') as HTMLElement;
        const seen = [];
        for (let i = 0; i < n; i++) {
          const key = i === 0 ? 'Home' : 'ArrowRight';
          target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
          seen.push({
            hidden: tip.hidden,
            day: tip.dataset.day,
            values: Object.fromEntries(
              [...tip.querySelectorAll('dd')].map((dd) => [(dd as HTMLElement).dataset.key, dd.textContent]),
            ),
          });
        }
        return seen;
      }, days.length);
      expect(read).toEqual(
        days.map((d) => ({ hidden: false, day: d.day, values: expectedTooltip(chart, d) })),
      );
    }
    expect(await page.locator('#day-live').textContent()).toContain(days.at(-1)?.day);

    // The pointer reads the same day it stands on.
    const over = await page.locator('#types-chart .u-over').boundingBox();
    if (!over) throw new Error('no plot area');
    for (const i of [0, 37, 89]) {
      const d = days[i] as Day;
      await page.mouse.move(
        over.x + Math.min(over.width - 1, (over.width * i) / 89),
        over.y + over.height / 2,
      );
      await until(() => tooltip('types')).toEqual({
        hidden: false,
        day: d.day,
        values: expectedTooltip('types', d),
      });
    }
    await page.screenshot({ path: `${OUTPUT}desktop-tooltip.png` });
    await page.mouse.move(0, 0);

    await page.getByRole('button', { name: 'Show as a table' }).click();
    const table = await page.locator('#trend-rows tr').evaluateAll((rows) =>
      rows.map((r) => ({
        day: r.querySelector('th')?.textContent,
        values: Object.fromEntries(
          [...r.querySelectorAll('td')].map((td) => [(td as HTMLElement).dataset.key, td.textContent]),
        ),
      })),
    );
    expect(table).toEqual(
      [...days].reverse().map((d) => ({
        day: d.day,
        values: { ...expectedTooltip('types', d), ...expectedTooltip('moves', d) },
      })),
    );
    expect(await page.locator('#trend-charts').isVisible()).toBe(false);
    expect(await axeFindings()).toEqual([]);
    await page.getByRole('button', { name: 'Show as charts' }).click();
    expect(await axeFindings()).toEqual([]);
  });

  it('shows 7, 30 and 365 days too, each ending today', async () => {
    for (const n of [7, 30, 365, 90]) {
      const before = today();
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/metrics'),
        page.getByRole('button', { name: `${n} days` }).click(),
      ]);
      const query = new URL(response.url()).searchParams;
      const to = query.get('to') as string;
      expect([before, today()]).toContain(to);
      expect((Date.parse(to) - Date.parse(query.get('from') as string)) / DAY_MS).toBe(n - 1);
      await until(() => page.locator('#trend-rows tr').count()).toBe(n);
      expect(await page.locator('#trend-rows tr th').first().textContent()).toBe(to);
    }
  });

  it('leads from an Unknown value to its fix on the settings page', async () => {
    const link = page.getByRole('link', { name: 'Add "Gold" to the catalog' });
    await link.click();
    await page.waitForURL(`${server.url}/settings#unknown=Gold`);
    const card = page.locator('.unknown-card.highlight');
    await until(() => card.count()).toBe(1);
    expect(await card.locator('h3').textContent()).toBe('“Gold”');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('highlight'))).toBe(true);
    expect(await page.locator('#unknown-message').textContent()).toContain('“Gold” is Unknown');
    await page.goBack();
    await until(() => page.locator('#type-cards [data-key="paying"]').isVisible()).toBe(true);
    // The range chosen before stays chosen for the tab.
    await until(() => page.getByRole('button', { name: '90 days' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it("opens the accounts an exclusion reason names, page by page, and each account's lookup", async () => {
    const { runs } = await api<{
      runs: { id: string; day: string; summary: { excludedByReason: Record<string, number> } }[];
    }>('/v1/health-runs?limit=1');
    const run = runs[0];
    if (!run) throw new Error('no run');
    expect(run.summary.excludedByReason['trial longer than 30 days']).toBeGreaterThan(0);
    const rows = page.locator('#reason-rows tr');
    await until(() => rows.count()).toBe(Object.keys(run.summary.excludedByReason).length);
    const [reason, total] = Object.entries(run.summary.excludedByReason).sort((a, b) => b[1] - a[1])[0] as [
      string,
      number,
    ];
    expect(total).toBeGreaterThan(25);

    await page
      .getByRole('link', { name: new RegExp(`^${reason}: show the ${total} excluded accounts$`) })
      .click();
    const title = page.locator('#exclusions-title');
    await until(() => title.textContent()).toBe(`Excluded by “${reason}” in the manual run of ${run.day}`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('exclusions-title');
    expect(page.url()).toBe(
      `${server.url}/dashboard#run=${run.id}&reason=${encodeURIComponent(reason).replace(/%20/g, '+')}`,
    );
    const shown = () =>
      page.locator('#exclusion-rows tr').evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.account));
    const pageOf = (cursor?: string) =>
      api<{ exclusions: { accountId: string }[]; nextCursor: string | null }>(
        `/v1/health-runs/${run.id}/exclusions?${new URLSearchParams({ reason, limit: '25', ...(cursor ? { cursor } : {}) })}`,
      );
    const first = await pageOf();
    expect(await shown()).toEqual(first.exclusions.map((x) => x.accountId));
    expect(await page.locator('#exclusions-range').textContent()).toBe(
      `Accounts 1–25 of ${total}, in id order.`,
    );
    await page.getByRole('button', { name: 'Next page' }).click();
    const second = await pageOf(first.nextCursor ?? undefined);
    await until(shown).toEqual(second.exclusions.map((x) => x.accountId));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await until(shown).toEqual(first.exclusions.map((x) => x.accountId));

    const id = first.exclusions[0]?.accountId as string;
    await page.locator('#exclusion-rows').getByRole('link', { name: id, exact: true }).click();
    const account = await api<{
      status: string | null;
      classification: { statusType: string };
      eligibility: { reason: string };
      history: unknown[];
    }>(`/v1/accounts/${id}`);
    await until(() => page.locator('#lookup-result h3').textContent()).toBe(id);
    const facts = await page
      .locator('#lookup-result .fact')
      .evaluateAll((f) =>
        Object.fromEntries(
          f.map((x) => [x.querySelector('dt')?.textContent, x.querySelector('dd')?.textContent]),
        ),
      );
    expect(facts['Status as sent']).toBe(
      account.status === null ? '(no status)' : JSON.stringify(account.status),
    );
    expect(facts['Status-type']).toBe(account.classification.statusType);
    expect(await page.locator('#lookup-result p.excluded').textContent()).toContain(
      account.eligibility.reason,
    );
    expect(await page.locator('#lookup-result tbody tr').count()).toBe(account.history.length);
    expect(await axeFindings()).toEqual([]);
    await page.screenshot({ path: `${OUTPUT}desktop.png`, fullPage: true });
  });

  it('looks an account up by id, and says so when there is none', async () => {
    await page.getByLabel('Account id').fill('acct-007');
    await page.getByRole('button', { name: 'Look up' }).click();
    await until(() => page.locator('#lookup-result h3').textContent()).toBe('acct-007');
    await page.getByLabel('Account id').fill('no-such-account');
    await page.getByRole('button', { name: 'Look up' }).click();
    await until(() => page.locator('#lookup-result').textContent()).toBe(
      'No account with id “no-such-account”.',
    );
  });

  it('fits a 360 px wide phone without sideways scroll', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${server.url}/dashboard#account=acct-007`);
    await until(() => page.locator('#lookup-result h3').textContent()).toBe('acct-007');
    await until(() =>
      page.locator('#types-chart canvas').evaluate((c) => c.getBoundingClientRect().right),
    ).toBeLessThanOrEqual(360);
    expect(await noSidewaysScroll()).toBeLessThanOrEqual(360);
    await page.locator('#reason-rows a').first().click();
    await until(() => page.locator('#exclusion-rows tr').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Show as a table' }).click();
    expect(await noSidewaysScroll()).toBeLessThanOrEqual(360);
    expect(await axeFindings()).toEqual([]);
    await page.getByRole('button', { name: 'Show as charts' }).click();
    expect(await noSidewaysScroll()).toBeLessThanOrEqual(360);
    expect(await axeFindings()).toEqual([]);
    await page.screenshot({ path: `${OUTPUT}phone.png`, fullPage: true });
  });

  it('runs under its Content-Security-Policy, with the chart library from its own files', async () => {
    const res = await fetch(`${server.url}/dashboard`);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const library = await fetch(`${server.url}/dashboard/vendor/uplot.js`);
    expect(await library.text()).toMatch(/^\/\*! https:\/\/github\.com\/leeoniya\/uPlot \(v1\.6\.32\)/);
    expect(problems).toEqual([]);
  });
});
