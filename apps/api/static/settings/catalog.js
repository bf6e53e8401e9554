// The catalog editor: one card per status (value, type, plan, flags, other spellings, description), the
// matching options, and Save with every problem of the save shown on its field.

import {
  $,
  clone,
  element,
  focusFirst,
  keepFocus,
  options,
  plural,
  say,
  showProblems,
  stableStringify,
  unseen,
} from '../shared/dom.js';
import { api, isStale, problemText, reportError, staleText, Unreachable, unreachableText } from './api.js';
import { catalogProblem, problemLine } from './problems.js';

const TYPES = [
  ['free', 'free (not paying)'],
  ['paying', 'paying'],
  ['cancelled', 'cancelled (churned)'],
];

export const catalogState = {
  loaded: undefined,
  draft: undefined,
  version: 0,
  etag: undefined,
  problems: [],
  /** Spellings added on this page since the last save, shown as new. */
  fresh: new Set(),
};

const listeners = [];
/**
 * `fn(reason)` is called after the draft changes shape: `edit` (a status or spelling added or removed,
 * matching changed), `load` or `save` (the catalog on the server changed or was read again).
 */
export const onCatalogChange = (fn) => listeners.push(fn);
const changed = (reason = 'edit') => Promise.all(listeners.map((fn) => fn(reason)));

const canonical = (c) => ({
  statuses: c.statuses,
  matching: c.matching ?? 'insensitive',
  uniquePlans: c.uniquePlans === true,
});
export const isCatalogDirty = () =>
  catalogState.draft !== undefined &&
  stableStringify(canonical(catalogState.draft)) !== stableStringify(canonical(catalogState.loaded));

const normalize = (s) => s.trim().toLowerCase();
/** The key the draft's matching compares spellings by. */
export const matchKey = (s) => (catalogState.draft?.matching === 'exact' ? s : normalize(s));

/** Where a raw value lands in `catalog` (`{ index, via: 'value' | alias index }`), or undefined. */
export function findStatus(catalog, raw) {
  const exact = catalog.matching === 'exact';
  const key = exact ? raw : normalize(raw);
  for (const [index, s] of catalog.statuses.entries()) {
    if (typeof s.value === 'string' && (exact ? s.value : normalize(s.value)) === key)
      return { index, via: 'value' };
    const a = (s.aliases ?? []).findIndex((x) => (exact ? x : normalize(x)) === key);
    if (a >= 0) return { index, via: a };
  }
  return undefined;
}

function updateDirty() {
  const dirty = isCatalogDirty();
  $('save').disabled = !dirty;
  $('discard').disabled = !dirty;
  $('catalog-dirty').hidden = !dirty;
}

/** Sets or clears one field of a status (empty text and false are cleared, so the JSON stays minimal). */
function setField(status, field, value) {
  if (value === undefined || (value === '' && field !== 'value') || value === false) delete status[field];
  else status[field] = value;
}

const fieldId = (i, field) => `s${i}-${field}`;

function statusCard(status, i) {
  const n = i + 1;
  const path = (field) => `statuses[${i}].${field}`;
  const label = (field, text) =>
    element('label', { htmlFor: fieldId(i, field) }, [text, unseen(` of status ${n}`)]);
  const edit = (field, read) => (event) => {
    setField(status, field, read(event.target));
    if (field === 'value') $(`s${i}-title-value`).textContent = status.value ? ` · ${status.value}` : '';
    updateDirty();
  };
  const text = (field, extra = {}) =>
    element('input', {
      type: 'text',
      id: fieldId(i, field),
      value: status[field] ?? '',
      autocomplete: 'off',
      dataset: { path: path(field), focus: fieldId(i, field) },
      oninput: edit(field, (t) => t.value),
      ...extra,
    });
  const check = (field, text) =>
    element('label', { className: 'check' }, [
      element('input', {
        type: 'checkbox',
        id: fieldId(i, field),
        checked: status[field] === true,
        dataset: { path: path(field), focus: fieldId(i, field) },
        onchange: edit(field, (t) => t.checked),
      }),
      ` ${text}`,
      unseen(` (status ${n})`),
    ]);
  const type = element(
    'select',
    {
      id: fieldId(i, 'type'),
      dataset: { path: path('type'), focus: fieldId(i, 'type') },
      onchange: (event) => {
        setField(status, 'type', event.target.value || undefined);
        keepFocus(renderCatalog);
        updateDirty();
      },
    },
    options([...(status.type ? [] : [['', 'Choose a type']]), ...TYPES], status.type ?? ''),
  );
  const remove = element(
    'button',
    {
      type: 'button',
      className: 'quiet',
      dataset: { focus: `s${i}-remove` },
      onclick: () => removeStatus(i),
    },
    ['Remove', unseen(` status ${n}`)],
  );
  const planHint =
    status.type === 'paying'
      ? `Empty: the plan is the value${status.value ? ` (${status.value})` : ''}.`
      : status.type === 'cancelled'
        ? 'A cancelled status has no plan.'
        : 'Optional for free statuses.';
  return element(
    'li',
    { className: 'card status-card', dataset: { path: `statuses[${i}]` }, 'aria-labelledby': `s${i}-title` },
    [
      element('div', { className: 'card-head' }, [
        element('h3', { id: `s${i}-title` }, [
          `Status ${n}`,
          element('span', {
            id: `s${i}-title-value`,
            className: 'card-value',
            textContent: status.value ? ` · ${status.value}` : '',
          }),
        ]),
        remove,
      ]),
      element('div', { className: 'status-fields' }, [
        element('div', { className: 'field f-value' }, [
          label('value', 'Value'),
          text('value', { required: true, spellcheck: false }),
        ]),
        element('div', { className: 'field f-type' }, [label('type', 'Type'), type]),
        element('div', { className: 'field f-plan' }, [
          label('plan', 'Plan'),
          text('plan', {
            placeholder: status.type === 'paying' ? status.value || 'the value' : '',
            'aria-describedby': `s${i}-plan-hint`,
          }),
          element('p', { className: 'field-hint', id: `s${i}-plan-hint`, textContent: planHint }),
        ]),
        element('div', { className: 'field f-flags', dataset: { path: path('trial') } }, [
          check('trial', 'Trial'),
          check('nonCustomer', 'Not a customer'),
        ]),
        aliasesField(status, i),
        element('div', { className: 'field f-description' }, [
          label('description', 'Description'),
          // A text area that grows with its text, so a long description is read whole; Enter still saves.
          element('textarea', {
            id: fieldId(i, 'description'),
            rows: 1,
            value: status.description ?? '',
            dataset: { path: path('description'), focus: fieldId(i, 'description') },
            oninput: edit('description', (t) => t.value.replace(/\n/g, ' ')),
          }),
        ]),
      ]),
    ],
  );
}

function aliasesField(status, i) {
  const n = i + 1;
  const aliases = status.aliases ?? [];
  const input = element('input', {
    type: 'text',
    id: `s${i}-alias-new`,
    autocomplete: 'off',
    spellcheck: false,
    placeholder: 'Add a spelling',
    dataset: { focus: `s${i}-alias-new` },
    'aria-describedby': `s${i}-aliases-hint`,
  });
  const add = () => {
    const spelling = input.value.trim();
    if (!spelling) return;
    addAlias(i, spelling);
    focusFirst(`s${i}-alias-new`);
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      event.stopPropagation();
      add();
    }
  });
  return element('div', { className: 'field f-aliases', dataset: { path: `statuses[${i}].aliases` } }, [
    element('label', { htmlFor: `s${i}-alias-new` }, ['Other spellings', unseen(` of status ${n}`)]),
    element(
      'ul',
      { className: 'chips', 'aria-label': `Other spellings of status ${n}` },
      aliases.map((alias, a) =>
        element(
          'li',
          {
            className: `chip${catalogState.fresh.has(`${i}:${alias}`) ? ' fresh' : ''}`,
            dataset: { path: `statuses[${i}].aliases[${a}]` },
          },
          [
            element('span', { className: 'chip-text', textContent: alias }),
            element(
              'button',
              {
                type: 'button',
                className: 'chip-remove',
                title: `Remove “${alias}”`,
                dataset: { focus: `s${i}-alias-${a}-remove` },
                onclick: () => removeAlias(i, a),
              },
              ['×', unseen(`Remove spelling “${alias}” of status ${n}`)],
            ),
          ],
        ),
      ),
    ),
    element('div', { className: 'alias-add' }, [
      input,
      element('button', { type: 'button', onclick: add }, ['Add', unseen(` spelling to status ${n}`)]),
    ]),
    element('p', {
      className: 'field-hint',
      id: `s${i}-aliases-hint`,
      textContent: 'Accounts with one of these values count as this status. Enter adds it.',
    }),
  ]);
}

export function renderCatalog() {
  const { draft } = catalogState;
  $('rows').replaceChildren(...draft.statuses.map((s, i) => statusCard(s, i)));
  $('matching').value = draft.matching ?? 'insensitive';
  $('unique-plans').checked = draft.uniquePlans === true;
  $('version').textContent = `version ${catalogState.version}`;
  applyProblems(false);
  updateDirty();
}

function applyProblems(moveFocus) {
  const sent = catalogState.problemsFor ?? catalogState.draft;
  const problems = catalogState.problems.map((issue) => {
    const p = catalogProblem(issue, sent);
    return { path: issue.path, text: p.text, line: problemLine(p) };
  });
  const targets = showProblems({
    container: $('catalog-form'),
    list: $('errors'),
    problems,
    heading: `${plural(problems.length, 'problem')}; nothing was saved:`,
  });
  if (moveFocus) focusFirst(...targets, 'errors');
}

function structural(focus) {
  catalogState.problems = [];
  keepFocus(renderCatalog);
  if (focus) focusFirst(...focus);
  changed('edit');
}

export function addStatus(def) {
  catalogState.draft.statuses.push(def);
  structural();
  return catalogState.draft.statuses.length - 1;
}

export function removeStatus(i) {
  const removed = catalogState.draft.statuses.splice(i, 1)[0];
  structural([`s${i}-remove`, `s${i - 1}-remove`, 'add']);
  say(
    'catalog-message',
    `Removed status ${i + 1}${removed?.value ? ` (${removed.value})` : ''}; save to apply.`,
    '',
  );
}

export function addAlias(i, spelling) {
  const status = catalogState.draft.statuses[i];
  status.aliases = [...(status.aliases ?? []), spelling];
  catalogState.fresh.add(`${i}:${spelling}`);
  structural();
}

/** Removes a spelling (by position, or the one equal to `spelling`) from status `i`. */
export function removeAlias(i, a, { focus = true } = {}) {
  const status = catalogState.draft.statuses[i];
  const aliases = [...(status.aliases ?? [])];
  aliases.splice(a, 1);
  if (aliases.length) status.aliases = aliases;
  else delete status.aliases;
  structural(
    focus ? [`s${i}-alias-${a}-remove`, `s${i}-alias-${a - 1}-remove`, `s${i}-alias-new`] : undefined,
  );
}

export async function loadCatalog() {
  const { ok, data, etag } = await api('GET', '/v1/catalog');
  if (!ok) {
    say('message', problemText(data, 'Could not load the catalog.'), 'error');
    return false;
  }
  catalogState.loaded = clone(data.catalog);
  catalogState.draft = clone(data.catalog);
  catalogState.version = data.version;
  catalogState.etag = etag;
  catalogState.problems = [];
  catalogState.fresh.clear();
  $('catalog-section').hidden = false;
  renderCatalog();
  await changed('load');
  return true;
}

/**
 * Saves the draft. `report(text, kind, actions)` says how it went where the person clicked (the Save
 * button's area, or an Unknown value's card); `onSaved(answer)` runs before the page shows the new state.
 * Returns true when saved.
 */
export async function saveCatalog({ report = (...args) => say('catalog-message', ...args), onSaved } = {}) {
  if (!isCatalogDirty()) {
    report('Nothing changed since the last save.', '');
    return false;
  }
  const sent = clone(catalogState.draft);
  $('save').disabled = true;
  report('Saving…', '');
  let result;
  try {
    result = await api('PUT', '/v1/catalog', sent, { ifMatch: catalogState.etag });
  } catch (error) {
    updateDirty();
    if (error instanceof Unreachable) report(unreachableText(error), 'error');
    throw error;
  }
  const { ok, data, etag } = result;
  if (isStale(result)) {
    updateDirty();
    report(staleText('the catalog'), 'error', [
      element('button', {
        type: 'button',
        textContent: 'Reload the catalog',
        onclick: reloadAfterConflict,
      }),
    ]);
    return false;
  }
  if (!ok) {
    updateDirty();
    catalogState.problems = data.errors ?? [];
    catalogState.problemsFor = sent;
    report(
      catalogState.problems.length
        ? `Not saved: ${plural(catalogState.problems.length, 'problem')}, shown on the fields.`
        : `Not saved: ${problemText(data, 'the catalog was refused.')}`,
      'error',
    );
    applyProblems(true);
    return false;
  }
  catalogState.loaded = clone(data.catalog);
  catalogState.draft = clone(data.catalog);
  catalogState.version = data.version;
  catalogState.etag = etag ?? (await api('GET', '/v1/catalog')).etag;
  catalogState.problems = [];
  catalogState.fresh.clear();
  keepFocus(renderCatalog);
  const n = data.reclassified;
  report(`Saved version ${data.version}: ${plural(n, 'account')} re-classified.`);
  onSaved?.(data);
  await changed('save');
  return true;
}

async function reloadAfterConflict() {
  if (await loadCatalog()) {
    say('catalog-message', `Reloaded version ${catalogState.version}, as saved by someone else.`);
    focusFirst('catalog-message');
  }
}

export function discardCatalog() {
  catalogState.draft = clone(catalogState.loaded);
  catalogState.problems = [];
  catalogState.fresh.clear();
  renderCatalog();
  changed('edit');
  say('catalog-message', 'Changes discarded.', '');
  focusFirst('catalog-message');
}

/** Wires the static parts: Add, matching, Save (button and Enter in any field), Discard. */
export function startCatalog() {
  const guard = (promise) => promise.catch(reportError);
  $('add').addEventListener('click', () => {
    const i = addStatus({ value: '' });
    focusFirst(`s${i}-value`);
  });
  $('matching').addEventListener('change', (event) => {
    catalogState.draft.matching = event.target.value;
    updateDirty();
    changed('edit');
  });
  $('unique-plans').addEventListener('change', (event) => {
    if (event.target.checked) catalogState.draft.uniquePlans = true;
    else if (catalogState.loaded.uniquePlans === false) catalogState.draft.uniquePlans = false;
    else delete catalogState.draft.uniquePlans;
    updateDirty();
  });
  const form = $('catalog-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    guard(saveAndFocus());
  });
  // Enter in any field saves the catalog (text fields, the description, selects and checkboxes alike).
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.defaultPrevented || event.isComposing) return;
    if (!event.target.matches('input, select, textarea')) return;
    event.preventDefault();
    guard(saveAndFocus());
  });
  $('discard').addEventListener('click', discardCatalog);
}

async function saveAndFocus() {
  if (await saveCatalog()) focusFirst('catalog-message');
  else if (!catalogState.problems.length) focusFirst('catalog-message');
}
