// Unknown values: what accounts carry that the catalog does not know, each one click from its fix (another
// spelling of the likely status, or a new status of a type chosen there), and what missing and empty mean.

import { $, element, focusFirst, keepFocus, options, plural, say, unseen } from '../shared/dom.js';
import { api, reportError } from './api.js';
import {
  addAlias,
  addStatus,
  catalogState,
  findStatus,
  isCatalogDirty,
  matchKey,
  onCatalogChange,
  removeAlias,
  removeStatus,
  saveCatalog,
} from './catalog.js';
import { statusName } from './problems.js';
import { likelyStatus } from './spelling.js';

const state = { report: undefined, notes: [] };

const REASONS = {
  missing: (n) =>
    `${plural(n, 'account has', 'accounts have')} no status at all (missing): the source sent none, or cleared it. Set it where statuses come from (Salesforce, billing, the API); the catalog cannot fix it.`,
  empty: (n) =>
    `${plural(n, 'account has', 'accounts have')} an empty status ("" or only spaces): the field is there but blank. Fill it at the source.`,
  'not-a-string': (n) =>
    `${plural(n, 'account has', 'accounts have')} a status that is not text (a number or a list, say): fix the source or its mapping.`,
};

export async function loadUnknown() {
  const { ok, data } = await api('GET', '/v1/reports/unknown');
  if (!ok) return;
  state.report = data;
  $('unknown-section').hidden = false;
  keepFocus(renderUnknown);
}

/** Spellings the catalog would match as one status are one group, shown as its most frequent spelling. */
function groups() {
  const byKey = new Map();
  for (const v of state.report.values) {
    if (v.reason !== 'not-in-catalog' || typeof v.value !== 'string') continue;
    const key = matchKey(v.value);
    const group = byKey.get(key);
    if (!group) {
      byKey.set(key, {
        key,
        value: v.value,
        best: v.count,
        count: v.count,
        spellings: [v.value],
        samples: [...v.sampleAccountIds],
      });
      continue;
    }
    const trimmed = (x) => x === x.trim();
    if (v.count > group.best || (v.count === group.best && trimmed(v.value) && !trimmed(group.value))) {
      group.value = v.value;
      group.best = v.count;
    }
    group.count += v.count;
    group.spellings.push(v.value);
    group.samples = [...group.samples, ...v.sampleAccountIds].slice(0, 5);
  }
  return [...byKey.values()];
}

function summary() {
  const { report } = state;
  const lines = Object.entries(REASONS)
    .filter(([reason]) => report.byReason[reason] > 0)
    .map(([reason, text]) => {
      const samples = report.values
        .filter((v) => v.reason === reason)
        .flatMap((v) => v.sampleAccountIds)
        .slice(0, 5);
      return element('li', { dataset: { reason } }, [
        text(report.byReason[reason]),
        samples.length
          ? element('span', { className: 'hint', textContent: ` Examples: ${samples.join(', ')}.` })
          : null,
      ]);
    });
  const notInCatalog = report.byReason['not-in-catalog'];
  if (notInCatalog > 0)
    lines.push(
      element('li', {
        textContent: `${plural(notInCatalog, 'account carries', 'accounts carry')} a value the catalog does not list: each value is below, one click from its fix.`,
      }),
    );
  return [
    element('p', {
      textContent:
        report.total === 0
          ? 'No account is Unknown: every status is in the catalog.'
          : `${plural(report.total, 'account is', 'accounts are')} Unknown and stay out of the health calculation:`,
    }),
    lines.length ? element('ul', { className: 'reasons' }, lines) : null,
  ];
}

const quoted = (s) => `“${s}”`;

function fixes(group, card) {
  const value = group.value.trim();
  if (catalogState.draft.matching === 'exact' && value !== group.value)
    return [
      element('p', {
        className: 'hint',
        textContent:
          'It has spaces around it and the catalog matches exactly, so no spelling can match it: fix it at the source, or set Matching to ignore case and spaces.',
      }),
    ];
  const statuses = catalogState.draft.statuses;
  const candidates = statuses
    .map((s, i) => [s, i])
    .filter(([s]) => typeof s.value === 'string' && s.value.trim());
  const likely = likelyStatus(value, statuses);
  const id = `u-${card}`;
  const select = element(
    'select',
    { id: `${id}-same`, dataset: { focus: `${id}-same` } },
    options(
      candidates.map(([s, i]) => [String(i), s.value]),
      String(likely?.index),
    ),
  );
  const same = element('button', {
    type: 'button',
    id: `${id}-alias`,
    className: likely?.close ? 'primary' : '',
    dataset: { focus: `${id}-alias` },
    onclick: () => {
      const i = Number(select.value);
      addAlias(i, value);
      focusFirst(`${id}-save`);
    },
  });
  const label = () => {
    const target = statuses[Number(select.value)]?.value ?? '';
    same.replaceChildren(`Same as ${quoted(target)}`, unseen(` for ${quoted(value)}`));
  };
  select.addEventListener('change', label);
  label();
  return [
    likely?.close
      ? element('p', {
          className: 'suggestion',
          textContent: `Looks like another spelling of ${statuses[likely.index].value}.`,
        })
      : null,
    element('div', { className: 'fix' }, [
      element('label', { htmlFor: `${id}-same` }, ['Another spelling of', unseen(` (for ${quoted(value)})`)]),
      element('div', { className: 'fix-row' }, [select, same]),
    ]),
    element('div', { className: 'fix', role: 'group', 'aria-labelledby': `${id}-new-label` }, [
      element('span', { id: `${id}-new-label`, className: 'fix-label' }, [
        'Or a new status of type',
        unseen(` (for ${quoted(value)})`),
      ]),
      element(
        'div',
        { className: 'fix-row' },
        ['free', 'paying', 'cancelled'].map((type) =>
          element(
            'button',
            {
              type: 'button',
              dataset: { focus: `${id}-new-${type}` },
              onclick: () => {
                addStatus({ value, type });
                focusFirst(`${id}-save`);
              },
            },
            [`New ${type} status`, unseen(` ${quoted(value)}`)],
          ),
        ),
      ),
    ]),
  ];
}

/** What the unsaved draft does with this value, with Save and Undo right there. */
function pending(group, found, card) {
  const value = group.value.trim();
  const id = `u-${card}`;
  const statuses = catalogState.draft.statuses;
  const status = statuses[found.index];
  const loaded = catalogState.loaded.statuses.some((s) => s.value === status.value);
  const text =
    found.via === 'value' && !loaded
      ? `${quoted(status.value)} will be a new ${status.type ?? '(type not chosen yet)'} status (${statusName(statuses, found.index)}) once the catalog is saved.`
      : found.via === 'value'
        ? `${quoted(value)} matches ${statusName(statuses, found.index)} in your unsaved changes.`
        : `${quoted(value)} will count as ${status.value} once the catalog is saved (${plural(group.count, 'account')}).`;
  const message = element('div', {
    id: `${id}-message`,
    className: 'message',
    role: 'status',
    tabindex: '-1',
  });
  const undo = () => {
    if (found.via === 'value') removeStatus(found.index);
    else removeAlias(found.index, found.via, { focus: false });
    say('catalog-message', '', '');
    focusFirst(`${id}-alias`, `${id}-same`);
  };
  return [
    element('p', { className: 'pending', textContent: text }),
    element('div', { className: 'fix-row' }, [
      element(
        'button',
        {
          type: 'button',
          className: 'primary',
          id: `${id}-save`,
          dataset: { focus: `${id}-save` },
          onclick: () => saveFromCard(group, found, message),
        },
        ['Save catalog', unseen(` (${quoted(value)})`)],
      ),
      found.via !== 'value' || !loaded
        ? element('button', { type: 'button', dataset: { focus: `${id}-undo` }, onclick: undo }, [
            'Undo',
            unseen(` (${quoted(value)})`),
          ])
        : null,
      found.via === 'value' && !loaded
        ? element(
            'button',
            {
              type: 'button',
              className: 'quiet',
              onclick: () => focusFirst(`s${found.index}-type`, `s${found.index}-value`),
            },
            [`Edit status ${found.index + 1}`],
          )
        : null,
    ]),
    isCatalogDirty() && catalogState.problems.length === 0
      ? element('p', {
          className: 'hint',
          textContent: 'Saving saves every unsaved change to the catalog above.',
        })
      : null,
    message,
  ];
}

async function saveFromCard(group, found, message) {
  const value = group.value.trim();
  const target = catalogState.draft.statuses[found.index]?.value;
  const position = groups().findIndex((g) => g.key === group.key);
  const saved = await saveCatalog({
    report: (text, kind, actions) => say(message, text, kind, actions),
    onSaved: (data) => {
      state.notes = [
        {
          position,
          text:
            found.via === 'value'
              ? `Saved version ${data.version}: ${quoted(value)} is a status now; ${plural(data.reclassified, 'account')} re-classified.`
              : `Saved version ${data.version}: ${quoted(value)} now counts as ${target}; ${plural(data.reclassified, 'account')} re-classified.`,
        },
      ];
    },
  }).catch((error) => {
    reportError(error);
    return false;
  });
  if (saved) focusFirst('unknown-note-0');
  else if (catalogState.problems.length)
    say(message, 'Not saved: the problems are shown on the statuses above.', 'error');
}

function card(group, n) {
  const found = findStatus(catalogState.draft, group.value.trim());
  const spellings = group.spellings.length > 1 || group.spellings[0] !== group.value.trim();
  return element(
    'li',
    {
      className: 'card unknown-card',
      id: `unknown-${n}`,
      tabindex: '-1',
      dataset: { value: group.value, key: group.key },
    },
    [
      element('div', { className: 'card-head' }, [
        element('h3', { textContent: quoted(group.value.trim()) }),
        element('span', { className: 'count', textContent: plural(group.count, 'account') }),
      ]),
      spellings
        ? element('p', {
            className: 'hint',
            textContent: `Seen as ${group.spellings.map((s) => JSON.stringify(s)).join(', ')}.`,
          })
        : null,
      element('p', { className: 'hint', textContent: `Examples: ${group.samples.join(', ')}.` }),
      ...(found ? pending(group, found, n) : fixes(group, n)),
    ],
  );
}

export function renderUnknown() {
  if (!state.report || !catalogState.draft) return;
  $('unknown-summary').replaceChildren(...summary());
  const all = groups();
  const cards = all.map(card);
  state.notes.forEach((note, k) => {
    const node = element(
      'li',
      { className: 'card note', id: `unknown-note-${k}`, tabindex: '-1', role: 'status' },
      [note.text],
    );
    cards.splice(Math.min(note.position, cards.length), 0, node);
  });
  $('unknown-rows').replaceChildren(...cards);
  $('unknown-none').hidden = all.length > 0;
}

/**
 * `#unknown=<value>` (the dashboard links Unknown values so, URL-encoded as a query): scrolls to that value's
 * card, marks it and focuses it; says so when no account carries it outside the catalog any more.
 */
export function showUnknownFromFragment() {
  const wanted = new URLSearchParams(location.hash.slice(1)).get('unknown');
  if (wanted === null || !state.report) return false;
  for (const old of document.querySelectorAll('.unknown-card.highlight')) old.classList.remove('highlight');
  const cards = [...document.querySelectorAll('.unknown-card')];
  const found =
    cards.find((c) => c.dataset.value === wanted) ??
    cards.find((c) => c.dataset.key === matchKey(wanted)) ??
    cards.find((c) => c.dataset.key === matchKey(wanted.trim()));
  if (!found) {
    say(
      'unknown-message',
      `${quoted(wanted.trim())} is not Unknown any more: no account carries it outside the catalog.`,
      '',
    );
    focusFirst('unknown-title');
    return true;
  }
  say('unknown-message', `${quoted(wanted.trim())} is Unknown: its fix is in the marked card below.`, '');
  found.classList.add('highlight');
  found.scrollIntoView({ block: 'center' });
  found.focus({ preventScroll: true });
  return true;
}

export function startUnknown() {
  onCatalogChange(async (reason) => {
    if (reason === 'edit') {
      state.notes = [];
      keepFocus(renderUnknown);
    } else await loadUnknown();
  });
  // Another link (from the dashboard, in this tab): the list is read again first, it may have changed.
  window.addEventListener('hashchange', () => {
    if (!state.report) return;
    loadUnknown().then(showUnknownFromFragment).catch(reportError);
  });
}

export const forgetUnknown = () => {
  state.report = undefined;
  state.notes = [];
};
