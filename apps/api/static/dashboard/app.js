// The dashboard: where the accounts are now, how they moved per day, what the last health runs left out
// (each reason opening its accounts), and one account looked up by id. Reads the API with the tenant's key;
// no framework, no build step. Links inside the page are fragments (#account=..., #run=...&reason=...), so
// the back button and a copied link work.

import {
  $,
  ApiUnavailable,
  api,
  formatCount,
  h,
  keyboardScrollable,
  problemText,
  say,
  storedKey,
  storeKey,
  whenKeyRefused,
} from './api.js';
import { dayChart } from './charts.js';

const TYPES = [
  { key: 'paying', label: 'Paying', color: '#2456d6', texture: 'solid' },
  { key: 'free', label: 'Free', color: '#17823f', texture: 'stripes' },
  { key: 'cancelled', label: 'Cancelled', color: '#b3261e', texture: 'dots' },
  { key: 'unknown', label: 'Unknown', color: '#5f6368', texture: 'cross' },
];
const MOVES = [
  { key: 'conversions', label: 'Conversions', color: '#2456d6', dash: [] },
  { key: 'churn', label: 'Churn', color: '#b3261e', dash: [7, 4] },
  { key: 'reactivations', label: 'Reactivations', color: '#17823f', dash: [2, 3] },
  { key: 'planChanges', label: 'Plan changes', color: '#8a4baf', dash: [10, 3, 2, 3] },
];
const UNKNOWN_REASONS = {
  'not-in-catalog': 'not in the catalog',
  missing: 'missing',
  empty: 'empty',
  'not-a-string': 'not a string',
};
const EXCLUSION_PAGE = 25;
const TOP_UNKNOWN_VALUES = 10;

const RANGE_KEY = 'statuskit-dashboard-days';
const RANGES = [7, 30, 90, 365];
/** The range shown (kept for the tab, so a trip to the settings page and back keeps it), runs, exclusions. */
const state = {
  days: RANGES.find((d) => String(d) === sessionStorage.getItem(RANGE_KEY)) ?? 30,
  runs: [],
  exclusions: undefined,
  /** Bumped by every request whose answer replaces what is shown: only the latest answer is drawn. */
  latest: { trends: 0, exclusions: 0 },
};

/** True when no newer request of the same kind started since this one (`ticket`). */
const stillLatest = (kind, ticket) => state.latest[kind] === ticket;
const percent = (n, of) => (of > 0 ? `${Math.round((100 * n) / of)}%` : '0%');
const plural = (n, one, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;
const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);
/** An ISO instant as people read it: `2026-03-04 10:15 UTC`. */
const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
const hashParams = () => new URLSearchParams(location.hash.slice(1));
const hashLink = (params) => `#${new URLSearchParams(params)}`;

function showKeyForm(problem) {
  $('key-form').hidden = false;
  $('board').hidden = true;
  if (problem) say(problem, 'error');
}

/** A bar whose length is `share` (0..1) of its cell: a width set through the DOM, which the CSP allows. */
function bar(share) {
  const fill = h('span');
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, share)) * 1000) / 10}%`;
  return h('span', { className: 'bar', 'aria-hidden': 'true' }, [fill]);
}

// ---- Now ----

async function loadNow() {
  const [counts, unknown] = await Promise.all([api('/v1/reports/accounts'), api('/v1/reports/unknown')]);
  if (!counts.ok) return say(problemText(counts.data, 'Could not load the account counts.'), 'error');
  const c = counts.data;
  $('now-total').textContent =
    `${plural(c.total, 'account')}: ${plural(c.customers.total, 'customer')}, ` +
    `${plural(c.nonCustomers.total, 'non-customer')}, ${formatCount(c.unknown.total)} Unknown.`;
  const card = (key, label, value, note, extra = {}) =>
    h('li', { className: `card card-${key}`, dataset: { key }, ...extra }, [
      h('span', { className: 'card-label', textContent: label }),
      h('span', { className: 'card-value', textContent: formatCount(value) }),
      h('span', { className: 'card-note', textContent: note }),
    ]);
  const ofCustomers = (n) => `${percent(n, c.customers.total)} of customers`;
  $('type-cards').replaceChildren(
    card('paying', 'Paying', c.customers.byType.paying, ofCustomers(c.customers.byType.paying)),
    card('free', 'Free', c.customers.byType.free, `${formatCount(c.customers.trial)} on trial`),
    card('cancelled', 'Cancelled', c.customers.byType.cancelled, ofCustomers(c.customers.byType.cancelled)),
    card('unknown', 'Unknown', c.unknown.total, 'not in health until fixed'),
    card('non-customer', 'Non-customers', c.nonCustomers.total, 'demo, sandbox, internal: apart'),
  );
  const paying = c.customers.byType.paying;
  $('plan-rows').replaceChildren(
    ...c.customers.byPlan.map((p) =>
      h('tr', { dataset: { plan: p.plan } }, [
        h('th', { scope: 'row', textContent: p.plan }),
        h('td', { className: 'num', textContent: formatCount(p.count) }),
        h('td', { className: 'bar-cell' }, [bar(paying ? p.count / paying : 0)]),
      ]),
    ),
  );
  $('status-rows').replaceChildren(
    ...c.statuses.map((s) => {
      const tags = [s.trial ? 'trial' : '', s.nonCustomer ? 'non-customer' : ''].filter(Boolean);
      return h('tr', { dataset: { status: s.status } }, [
        h('th', { scope: 'row', textContent: s.status }),
        h('td', { textContent: [s.type, ...tags].join(', ') }),
        h('td', { className: 'num', textContent: formatCount(s.count) }),
      ]);
    }),
  );
  const nonCustomerStatuses = c.statuses.filter((s) => s.nonCustomer && s.count > 0);
  $('non-customers').textContent =
    c.nonCustomers.total === 0
      ? 'No account is on a non-customer status.'
      : `${plural(c.nonCustomers.total, 'account')} on non-customer statuses ` +
        `(${nonCustomerStatuses.map((s) => `${s.status} ${formatCount(s.count)}`).join(', ')}): ` +
        'counted apart from the customers above and out of the health calculation by default.';
  if (unknown.ok) renderUnknown(c.unknown, unknown.data);
}

function renderUnknown(summary, report) {
  $('unknown-summary').textContent =
    summary.total === 0
      ? 'Every account has a status the catalog knows.'
      : `${plural(summary.total, 'account')} Unknown: out of the health calculation and the key metrics until ` +
        'its status is fixed, in the catalog (a value it should know) or at the source.';
  $('unknown-reasons').replaceChildren(
    ...Object.entries(UNKNOWN_REASONS).map(([reason, label]) =>
      h('li', { className: 'chip', dataset: { reason } }, [
        h('span', { textContent: label }),
        h('strong', { textContent: formatCount(summary.byReason[reason] ?? 0) }),
      ]),
    ),
  );
  const rows = report.values.slice(0, TOP_UNKNOWN_VALUES).map((v) => {
    const fix =
      v.reason === 'not-in-catalog' && typeof v.value === 'string'
        ? [
            h('a', {
              href: `/settings#${new URLSearchParams({ unknown: v.value })}`,
              textContent: `Add ${JSON.stringify(v.value)} to the catalog`,
            }),
          ]
        : [
            h('span', { textContent: 'Fix at the source, e.g. ' }),
            ...v.sampleAccountIds
              .slice(0, 3)
              .flatMap((id, i) => [
                ...(i ? [', '] : []),
                h('a', { href: hashLink({ account: id }), textContent: id }),
              ]),
          ];
    return h('tr', { dataset: { reason: v.reason } }, [
      h('th', {
        scope: 'row',
        className: 'value',
        textContent: v.value === null ? '(no status)' : JSON.stringify(v.value),
      }),
      h('td', { textContent: UNKNOWN_REASONS[v.reason] ?? v.reason }),
      h('td', { className: 'num', textContent: formatCount(v.count) }),
      h('td', {}, fix),
    ]);
  });
  $('unknown-rows').replaceChildren(
    ...(rows.length
      ? rows
      : [h('tr', {}, [h('td', { colSpan: 4, className: 'hint', textContent: 'No Unknown values.' })])]),
  );
}

// ---- Over time ----

let typesChart;
let movesChart;

function liveDay(day, values) {
  $('day-live').textContent = `${day}: ${values.map((v) => `${v.label} ${formatCount(v.value)}`).join(', ')}`;
}

async function loadTrends(days = state.days) {
  state.days = days;
  sessionStorage.setItem(RANGE_KEY, String(days));
  for (const button of $('ranges').querySelectorAll('button'))
    button.setAttribute('aria-pressed', String(Number(button.dataset.days) === days));
  const to = utcDay(Date.now());
  const from = utcDay(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000);
  const ticket = ++state.latest.trends;
  const { ok, data } = await api('/v1/metrics', { query: { from, to } });
  if (!stillLatest('trends', ticket)) return;
  if (!ok) return say(problemText(data, 'Could not load the metrics.'), 'error');
  const series = (key, read) => [key, data.days.map(read)];
  const values = Object.fromEntries([
    ...TYPES.map((t) => series(t.key, (d) => d.byType[t.key] ?? 0)),
    ...MOVES.map((m) => series(m.key, (d) => d[m.key])),
  ]);
  const dayList = data.days.map((d) => d.day);
  typesChart.update(dayList, values);
  movesChart.update(dayList, values);
  const sum = (key) => values[key].reduce((a, b) => a + b, 0);
  $('trends-range').textContent =
    `${data.from} to ${data.to} (UTC days): ${plural(sum('conversions'), 'conversion')}, ` +
    `${formatCount(sum('churn'))} churned, ${plural(sum('reactivations'), 'reactivation')}, ` +
    `${plural(sum('planChanges'), 'plan change')}.`;
  renderTrendTable(data.days);
}

function renderTrendTable(days) {
  const columns = [...TYPES, { key: 'total', label: 'Total' }, ...MOVES];
  $('trend-head').replaceChildren(
    h('tr', {}, [
      h('th', { scope: 'col', textContent: 'Day' }),
      ...columns.map((c) => h('th', { scope: 'col', className: 'num', textContent: c.label })),
    ]),
  );
  $('trend-rows').replaceChildren(
    ...[...days].reverse().map((d) => {
      const total = TYPES.reduce((a, t) => a + (d.byType[t.key] ?? 0), 0);
      const value = (key) => (key === 'total' ? total : (d.byType[key] ?? d[key]));
      return h('tr', { dataset: { day: d.day } }, [
        h('th', { scope: 'row', textContent: d.day }),
        ...columns.map((c) =>
          h('td', { className: 'num', textContent: formatCount(value(c.key)), dataset: { key: c.key } }),
        ),
      ]);
    }),
  );
}

function toggleTableView() {
  const showTable = $('view-toggle').getAttribute('aria-expanded') !== 'true';
  $('view-toggle').setAttribute('aria-expanded', String(showTable));
  $('view-toggle').textContent = showTable ? 'Show as charts' : 'Show as a table';
  $('trend-table-wrap').hidden = !showTable;
  $('trend-charts').hidden = showTable;
}

// ---- Health runs ----

/** How a run's excluded accounts of one reason were decided: by a built-in verdict or a named rule. */
function decidedBy(run, reason) {
  const decision = run.summary?.decisions?.find((d) => d.reason === reason);
  if (!decision) return '';
  return decision.decidedBy === 'rule' ? `rule “${decision.rule}”` : 'built-in';
}

const runName = (run) => `the ${run.trigger} run of ${run.day}`;

async function loadRuns() {
  const { ok, data } = await api('/v1/health-runs', { query: { limit: 10 } });
  if (!ok) return say(problemText(data, 'Could not load the health runs.'), 'error');
  state.runs = data.runs;
  $('runs-none').hidden = data.runs.length > 0;
  $('runs-table').parentElement.hidden = data.runs.length === 0;
  $('run-rows').replaceChildren(
    ...data.runs.map((run) =>
      h('tr', { dataset: { run: run.id } }, [
        h('th', { scope: 'row', textContent: run.day }),
        h('td', { textContent: run.trigger }),
        h('td', { textContent: run.state === 'failed' ? `failed: ${run.error ?? ''}` : run.state }),
        h('td', { className: 'num', textContent: run.summary ? formatCount(run.summary.eligible) : '' }),
        h('td', { className: 'num', textContent: run.summary ? formatCount(run.summary.excluded) : '' }),
        h('td', {}, [
          h('button', {
            type: 'button',
            textContent: 'Details',
            disabled: !run.summary,
            'aria-label': `Details of ${runName(run)}`,
            onclick: () => showRun(run),
          }),
        ]),
      ]),
    ),
  );
  const latest = data.runs.find((r) => r.summary);
  if (latest) showRun(latest);
  else $('run-detail').hidden = true;
}

function showRun(run) {
  const s = run.summary;
  for (const row of $('run-rows').querySelectorAll('tr'))
    row.classList.toggle('selected', row.dataset.run === run.id);
  $('run-title').textContent =
    `Run of ${run.day} (${run.trigger}, started ${run.startedAt.slice(11, 16)} UTC)`;
  const [eligible, excluded] = $('run-split').children;
  eligible.style.width = percent(s.eligible, s.total);
  excluded.style.width = percent(s.excluded, s.total);
  $('run-counts').textContent =
    `${plural(s.total, 'account')}: ${formatCount(s.eligible)} eligible (${percent(s.eligible, s.total)}), ` +
    `${formatCount(s.excluded)} excluded (${percent(s.excluded, s.total)}).`;
  const reasons = Object.entries(s.excludedByReason).sort((a, b) => b[1] - a[1]);
  $('reason-rows').replaceChildren(
    ...(reasons.length
      ? reasons.map(([reason, count]) =>
          h('tr', { dataset: { reason } }, [
            h('th', { scope: 'row' }, [
              h('a', {
                href: hashLink({ run: run.id, reason }),
                textContent: reason,
                'aria-label': `${reason}: show the ${plural(count, 'excluded account')}`,
              }),
            ]),
            h('td', { textContent: decidedBy(run, reason) }),
            h('td', { className: 'num', textContent: formatCount(count) }),
          ]),
        )
      : [h('tr', {}, [h('td', { colSpan: 3, className: 'hint', textContent: 'No account was excluded.' })])]),
  );
  $('run-detail').hidden = false;
}

async function runNow() {
  $('run-now').disabled = true;
  try {
    const { ok, data } = await api('/v1/health-runs', { method: 'POST' });
    if (!ok) return say(problemText(data, 'The health run did not start.'), 'error');
    say(
      `Health run done: ${formatCount(data.summary?.eligible ?? 0)} eligible, ${formatCount(data.summary?.excluded ?? 0)} excluded.`,
    );
    await loadRuns();
  } finally {
    $('run-now').disabled = false;
  }
}

async function findRun(runId) {
  const known = state.runs.find((r) => r.id === runId);
  if (known) return known;
  const { ok, data } = await api(`/v1/health-runs/${encodeURIComponent(runId)}`);
  return ok ? data : undefined;
}

const reasonText = (r) =>
  r.source === 'rule'
    ? `rule “${r.rule}” (${r.type}${r.overridden ? ', overridden' : ''})`
    : `${r.code}${r.unknownReason ? ` (${UNKNOWN_REASONS[r.unknownReason] ?? r.unknownReason})` : ''}${r.overridden ? ' (overridden)' : ''}`;

/** One page of a run's accounts excluded for `reason`; `cursors` holds the cursor of every page so far. */
async function showExclusions(runId, reason, cursors = [undefined], focus = true) {
  const run = await findRun(runId);
  const panel = $('exclusions');
  if (!run) {
    panel.hidden = true;
    return say(`No health run ${runId}.`, 'error');
  }
  const cursor = cursors.at(-1);
  const ticket = ++state.latest.exclusions;
  const { ok, data } = await api(`/v1/health-runs/${encodeURIComponent(runId)}/exclusions`, {
    query: { reason, cursor, limit: EXCLUSION_PAGE },
  });
  if (!stillLatest('exclusions', ticket)) return;
  if (!ok) return say(problemText(data, 'Could not load the excluded accounts.'), 'error');
  state.exclusions = { runId, reason, cursors, next: data.nextCursor };
  const total = run.summary?.excludedByReason?.[reason] ?? 0;
  const first = (cursors.length - 1) * EXCLUSION_PAGE;
  $('exclusions-title').textContent = `Excluded by “${reason}” in ${runName(run)}`;
  $('exclusions-range').textContent = data.exclusions.length
    ? `Accounts ${formatCount(first + 1)}–${formatCount(first + data.exclusions.length)} of ${formatCount(total)}, in id order.`
    : 'No account was excluded for this reason.';
  $('exclusion-rows').replaceChildren(
    ...data.exclusions.map((x) =>
      h('tr', { dataset: { account: x.accountId } }, [
        h('th', { scope: 'row' }, [
          h('a', { href: hashLink({ account: x.accountId }), textContent: x.accountId }),
        ]),
        h('td', { textContent: x.reason }),
        h('td', { textContent: x.eligibility.reasons.map(reasonText).join('; ') }),
      ]),
    ),
  );
  $('exclusions-previous').disabled = cursors.length < 2;
  $('exclusions-next').disabled = data.nextCursor === null;
  panel.hidden = false;
  // Opened from a reason: the list takes the focus. Paged: the focus stays on the button, unless that button
  // is now disabled (the last or first page).
  if (focus || document.activeElement === document.body || document.activeElement?.disabled) {
    $('exclusions-title').focus({ preventScroll: true });
    panel.scrollIntoView({ block: 'start' });
  }
}

// ---- Account lookup ----

const scrollRegion = (label, children) =>
  keyboardScrollable(h('section', { className: 'scroll', 'aria-label': label }, children));

function definitionList(entries) {
  return h(
    'dl',
    { className: 'facts' },
    entries.map(([term, value]) =>
      h('div', { className: 'fact' }, [h('dt', { textContent: term }), h('dd', { textContent: value })]),
    ),
  );
}

async function lookup(id) {
  $('lookup-id').value = id;
  const result = $('lookup-result');
  const { ok, status, data } = await api(`/v1/accounts/${encodeURIComponent(id)}`);
  if (!ok) {
    result.replaceChildren(
      h('p', {
        className: 'error',
        textContent:
          status === 404
            ? `No account with id “${id}”.`
            : problemText(data, 'Could not look the account up.'),
      }),
    );
    return;
  }
  const c = data.classification;
  const e = data.eligibility;
  const yesNo = (b) => (b ? 'yes' : 'no');
  const heading = h('h3', { textContent: data.name ? `${data.id} · ${data.name}` : data.id, tabIndex: -1 });
  result.replaceChildren(
    heading,
    definitionList([
      ['Status as sent', data.status === null ? '(no status)' : JSON.stringify(data.status)],
      ['Status-type', c.statusType],
      ['Catalog status', c.status ?? '—'],
      ['Plan', c.plan ?? '—'],
      ['Trial', yesNo(c.trial)],
      ['Non-customer', yesNo(c.nonCustomer)],
      ...(c.unknownReason ? [['Unknown because', UNKNOWN_REASONS[c.unknownReason] ?? c.unknownReason]] : []),
      ['In status since', when(data.statusObservedAt)],
      ['Source', data.source],
    ]),
    h('h4', { textContent: 'Eligibility' }),
    h('p', {
      className: e.eligible ? 'eligible' : 'excluded',
      textContent: e.eligible
        ? `In the health calculation (${e.reason}).`
        : `Not in the health calculation: ${e.reason}${e.rule ? ` (rule “${e.rule}”)` : ''}.`,
    }),
    h(
      'ol',
      { className: 'reasons' },
      e.reasons.map((r) => h('li', { textContent: reasonText(r) })),
    ),
    h('h4', { textContent: 'History' }),
    scrollRegion(`History of ${data.id}`, [
      h('table', {}, [
        h('thead', {}, [
          h(
            'tr',
            {},
            ['Observed', 'From', 'To', 'Kind', 'Source'].map((t) =>
              h('th', { scope: 'col', textContent: t }),
            ),
          ),
        ]),
        h(
          'tbody',
          {},
          (data.history ?? []).map((ev) =>
            h('tr', {}, [
              h('td', { textContent: when(ev.observedAt) }),
              h('td', { textContent: ev.from ?? '—' }),
              h('td', { textContent: `${ev.to ?? '(no status)'} (${ev.toType})` }),
              h('td', { textContent: ev.kind }),
              h('td', { textContent: ev.source }),
            ]),
          ),
        ),
      ]),
    ]),
  );
  return heading;
}

// ---- Navigation ----

/** Opens what the fragment names: an account, or a run's excluded accounts of one reason. */
async function route() {
  const params = hashParams();
  const account = params.get('account');
  const run = params.get('run');
  const reason = params.get('reason');
  if (account) {
    const heading = await lookup(account);
    $('lookup').scrollIntoView({ block: 'start' });
    heading?.focus({ preventScroll: true });
  } else if (run && reason) {
    await showExclusions(run, reason);
  }
}

async function loadAll() {
  say('');
  $('key-form').hidden = true;
  $('board').hidden = false;
  await Promise.all([loadNow(), loadTrends(), loadRuns()]);
  await route();
}

const quietly = (promise) =>
  promise.catch((error) => {
    if (!(error instanceof ApiUnavailable)) throw error;
  });

function start() {
  whenKeyRefused(showKeyForm);
  for (const region of document.querySelectorAll('.scroll')) keyboardScrollable(region);
  typesChart = dayChart({
    target: $('types-chart'),
    legend: $('types-legend'),
    tooltip: $('types-tooltip'),
    series: TYPES,
    stacked: true,
    describe: liveDay,
  });
  movesChart = dayChart({
    target: $('moves-chart'),
    legend: $('moves-legend'),
    tooltip: $('moves-tooltip'),
    series: MOVES,
    describe: liveDay,
  });
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    storeKey($('key').value.trim());
    quietly(loadAll());
  });
  for (const button of $('ranges').querySelectorAll('button'))
    button.addEventListener('click', () => quietly(loadTrends(Number(button.dataset.days))));
  $('view-toggle').addEventListener('click', toggleTableView);
  $('run-now').addEventListener('click', () => quietly(runNow()));
  $('exclusions-next').addEventListener('click', () => {
    const x = state.exclusions;
    if (x?.next) quietly(showExclusions(x.runId, x.reason, [...x.cursors, x.next], false));
  });
  $('exclusions-previous').addEventListener('click', () => {
    const x = state.exclusions;
    if (x && x.cursors.length > 1) quietly(showExclusions(x.runId, x.reason, x.cursors.slice(0, -1), false));
  });
  $('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = $('lookup-id').value.trim();
    if (!id) return;
    const link = hashLink({ account: id });
    if (location.hash === link) quietly(route());
    else location.hash = link;
  });
  window.addEventListener('hashchange', () => {
    if (!$('board').hidden) quietly(route());
  });
  if (storedKey()) quietly(loadAll());
  else showKeyForm();
}

start();
