// Eligibility rules: a builder (rules as rows a person reads) and a JSON tab for what the builder cannot
// show, over the same json-rules-engine JSON; Preview before Save, and Save confirms with the preview.

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
import { catalogState } from './catalog.js';
import { problemLine, ruleProblem } from './problems.js';
import {
  adjustCondition,
  canonicalRules,
  checkBuilder,
  describeRule,
  emptyInput,
  FACT_NAMES,
  FACTS,
  KIND_LABELS,
  newCondition,
  newGroup,
  newRule,
  operatorLabel,
  operatorsFor,
  readRules,
  STATUS_TYPES,
  valueKinds,
  writeRules,
} from './rule-model.js';

const state = {
  loaded: [],
  version: 0,
  etag: undefined,
  items: [],
  tab: 'builder',
  /** The last preview: the rules it was for (stable JSON) and the API's answer. */
  preview: undefined,
  problems: { errors: [], warnings: [], sent: [] },
};
const MAX_DEPTH = 2;

const rulesSay = (text, kind = 'ok', actions = []) => say('rules-message', text, kind, actions);

/** The rules being edited, or `{ error }` when the JSON tab holds text that is not a JSON list. */
function current() {
  if (state.tab === 'builder') return { rules: writeRules(state.items) };
  try {
    const rules = JSON.parse($('rules').value);
    if (!Array.isArray(rules)) return { error: 'the rules must be a JSON list: [ ... ]' };
    return { rules };
  } catch (error) {
    return { error: `not JSON: ${error.message}` };
  }
}

export const isRulesDirty = () => {
  const c = current();
  return c.error !== undefined || stableStringify(c.rules) !== stableStringify(state.loaded);
};

function updateDirty() {
  const dirty = isRulesDirty();
  $('save-rules').disabled = !dirty;
  $('discard-rules').disabled = !dirty;
  $('rules-dirty').hidden = !dirty;
  const c = current();
  const fresh = state.preview && !c.error && state.preview.key === stableStringify(c.rules);
  $('rules-preview').classList.toggle('stale', Boolean(state.preview) && !fresh);
  if (!fresh) $('rules-confirm').hidden = true;
}

// ---- the builder

const touch = (item, sentence) => {
  item.touched = true;
  if (sentence) sentence.textContent = describeRule(item.model);
  updateDirty();
};

function labelled(id, text, context) {
  return element('label', { htmlFor: id }, [text, unseen(` (${context})`)]);
}

function valueField(c, path, id, context, onValue) {
  const kind = c.valueKind;
  const dataset = { path: `${path}.value`, focus: `${id}-value` };
  if (!kind) return null;
  const field = (control, text = 'Value') =>
    element('div', { className: 'field f-cvalue' }, [labelled(`${id}-value`, text, context), control]);
  if (kind === 'choice' || kind === 'choices') {
    const known =
      c.fact === 'statusType'
        ? STATUS_TYPES
        : catalogState.draft.statuses.map((s) => s.value).filter((v) => typeof v === 'string' && v.trim());
    const chosen = kind === 'choice' ? (c.input ? [c.input] : []) : c.input;
    const values = [...known, ...chosen.filter((v) => !known.includes(v))];
    const note = (v) => (known.includes(v) ? v : `${v} (not in the catalog)`);
    if (kind === 'choice')
      return field(
        element('select', { id: `${id}-value`, dataset, onchange: (e) => onValue(e.target.value, true) }, [
          ...options([['', 'Choose a value'], ...values.map((v) => [v, note(v)])], c.input),
        ]),
      );
    return element(
      'fieldset',
      { className: 'field f-cvalue choices', id: `${id}-value`, dataset: { path: `${path}.value` } },
      [
        element('legend', {}, ['Values', unseen(` (${context})`)]),
        ...values.map((v, k) =>
          element('label', { className: 'check' }, [
            element('input', {
              type: 'checkbox',
              checked: c.input.includes(v),
              dataset: { focus: `${id}-value-${k}` },
              onchange: (e) =>
                onValue(e.target.checked ? [...c.input, v] : c.input.filter((x) => x !== v), false),
            }),
            ` ${note(v)}`,
          ]),
        ),
      ],
    );
  }
  if (kind === 'boolean')
    return field(
      element('select', { id: `${id}-value`, dataset, onchange: (e) => onValue(e.target.value, false) }, [
        ...options(
          [
            ['', 'Choose'],
            ['true', 'true'],
            ['false', 'false'],
          ],
          c.input,
        ),
      ]),
    );
  const input = element('input', {
    id: `${id}-value`,
    dataset,
    value: c.input,
    autocomplete: 'off',
    ...(kind === 'number'
      ? { type: 'number', step: 'any', inputMode: 'decimal' }
      : { type: kind === 'date' ? 'date' : 'text' }),
    ...(kind === 'textList' || kind === 'numberList'
      ? { placeholder: 'a, b, c', 'aria-describedby': `${id}-value-hint` }
      : {}),
    ...(c.fact === 'plan' && kind === 'text' ? { list: 'plans' } : {}),
    oninput: (e) => onValue(e.target.value, false),
  });
  return element('div', { className: 'field f-cvalue' }, [
    labelled(`${id}-value`, kind === 'textList' || kind === 'numberList' ? 'Values' : 'Value', context),
    input,
    kind === 'textList' || kind === 'numberList'
      ? element('p', { className: 'field-hint', id: `${id}-value-hint`, textContent: 'Separated by commas.' })
      : null,
  ]);
}

/** The id prefix of a condition's fields, from its path. */
const conditionId = (path) => `c${path.replace(/[^\w]+/g, '-')}`;

function conditionRow(item, c, path, number, parent, index, sentence) {
  const id = conditionId(path);
  const context = `rule ${number.split('.')[0]}, condition ${number.split('.').slice(1).join('.')}`;
  const restructure = () => {
    touch(item);
    keepFocus(renderBuilder);
  };
  /** A select of the condition's fact or operator; a change keeps the rest of the condition consistent. */
  const picker = (key, placeholder, choices) =>
    element(
      'select',
      {
        id: `${id}-${key}`,
        dataset: { path: `${path}.${key}`, focus: `${id}-${key}` },
        onchange: (e) => {
          c[key] = e.target.value;
          adjustCondition(c);
          restructure();
        },
      },
      options([['', placeholder], ...choices], c[key]),
    );
  const fact = picker(
    'fact',
    'Choose a fact',
    FACT_NAMES.map((f) => [f, FACTS[f].label]),
  );
  const operator = picker(
    'operator',
    'Choose a comparison',
    operatorsFor(c.fact).map((op) => [op, operatorLabel(c.fact, op)]),
  );
  const kinds = valueKinds(c.fact, c.operator);
  const kindSelect =
    kinds.length > 1
      ? element('div', { className: 'field f-kind' }, [
          labelled(`${id}-kind`, 'Value type', context),
          element(
            'select',
            {
              id: `${id}-kind`,
              dataset: { focus: `${id}-kind` },
              onchange: (e) => {
                c.valueKind = e.target.value;
                c.input = emptyInput(c.valueKind);
                restructure();
              },
            },
            options(
              kinds.map((k) => [k, KIND_LABELS[k]]),
              c.valueKind,
            ),
          ),
        ])
      : null;
  const onValue = (value, rerender) => {
    c.input = value;
    touch(item, sentence);
    if (rerender) keepFocus(renderBuilder);
  };
  return element('li', { className: 'condition', dataset: { path } }, [
    element('span', {
      className: 'cond-number',
      'aria-hidden': 'true',
      textContent: number.split('.').slice(1).join('.'),
    }),
    element('div', { className: 'field f-fact' }, [labelled(`${id}-fact`, 'Fact', context), fact]),
    c.fact === 'attributes'
      ? element('div', { className: 'field f-path' }, [
          labelled(`${id}-path`, 'Attribute', context),
          element('input', {
            type: 'text',
            id: `${id}-path`,
            value: c.path,
            placeholder: 'region',
            autocomplete: 'off',
            spellcheck: false,
            dataset: { path: `${path}.path`, focus: `${id}-path` },
            oninput: (e) => {
              c.path = e.target.value;
              touch(item, sentence);
            },
          }),
        ])
      : null,
    element('div', { className: 'field f-operator' }, [
      labelled(`${id}-operator`, 'Comparison', context),
      operator,
    ]),
    kindSelect,
    valueField(c, path, id, context, onValue),
    element(
      'button',
      {
        type: 'button',
        className: 'quiet remove-condition',
        dataset: { focus: `${id}-remove` },
        onclick: () => {
          parent.children.splice(index, 1);
          touch(item);
          renderBuilder();
          // The condition now in its place, else the one before, else the group's "Add a condition".
          const siblings = path.replace(/\[\d+\]$/, '');
          focusFirst(`${id}-remove`, `${conditionId(`${siblings}[${index - 1}]`)}-remove`, `add-${siblings}`);
        },
      },
      [
        'Remove',
        unseen(` condition ${number.split('.').slice(1).join('.')} of rule ${number.split('.')[0]}`),
      ],
    ),
  ]);
}

function groupEditor(item, group, path, number, depth, sentence, onRemove) {
  const children = group.children.map((child, k) => {
    const childPath = `${path}.${group.mode}[${k}]`;
    const childNumber = `${number}.${k + 1}`;
    if (child.kind === 'group')
      return element('li', { className: 'nested' }, [
        groupEditor(item, child, childPath, childNumber, depth + 1, sentence, () => {
          group.children.splice(k, 1);
          touch(item);
          renderBuilder();
          focusFirst(`add-${path}.${group.mode}`);
        }),
      ]);
    return conditionRow(item, child, childPath, childNumber, group, k, sentence);
  });
  const where =
    depth === 0
      ? `rule ${number}`
      : `group ${number.split('.').slice(1).join('.')} of rule ${number.split('.')[0]}`;
  const modeId = `g${path.replace(/[^\w]+/g, '-')}-mode`;
  const add = (node) => () => {
    group.children.push(node());
    touch(item);
    renderBuilder();
    const last = document.querySelector(
      `[data-path="${CSS.escape(`${path}.${group.mode}[${group.children.length - 1}]`)}"]`,
    );
    focusFirst(last?.querySelector('select'));
  };
  return element('div', { className: `group depth-${depth}`, dataset: { path } }, [
    element('div', { className: 'group-head' }, [
      element('label', { htmlFor: modeId }, [depth === 0 ? 'When' : 'Group: when', unseen(` (${where})`)]),
      element(
        'select',
        {
          id: modeId,
          dataset: { focus: modeId },
          onchange: (e) => {
            group.mode = e.target.value;
            touch(item);
            keepFocus(renderBuilder);
          },
        },
        options(
          [
            ['all', 'all of these are true'],
            ['any', 'any of these is true'],
          ],
          group.mode,
        ),
      ),
      onRemove
        ? element('button', { type: 'button', className: 'quiet', onclick: onRemove }, [
            'Remove group',
            unseen(` ${where}`),
          ])
        : null,
    ]),
    group.children.length === 0
      ? element('p', { className: 'hint', textContent: 'No conditions: this is always true.' })
      : null,
    element('ol', { className: 'conditions' }, children),
    element('div', { className: 'group-actions' }, [
      element(
        'button',
        { type: 'button', dataset: { focus: `add-${path}.${group.mode}` }, onclick: add(newCondition) },
        ['Add a condition', unseen(` to ${where}`)],
      ),
      depth < MAX_DEPTH
        ? element(
            'button',
            { type: 'button', onclick: add(() => newGroup(group.mode === 'all' ? 'any' : 'all')) },
            ['Add a group', unseen(` to ${where}`)],
          )
        : null,
    ]),
  ]);
}

function ruleCard(item, i) {
  const n = i + 1;
  const path = `[${i}]`;
  const remove = element(
    'button',
    {
      type: 'button',
      className: 'quiet',
      dataset: { focus: `r${i}-remove` },
      onclick: () => {
        state.items.splice(i, 1);
        updateDirty();
        renderBuilder();
        focusFirst(`r${i}-remove`, `r${i - 1}-remove`, 'add-rule');
      },
    },
    ['Remove', unseen(` rule ${n}`)],
  );
  if (item.kind === 'json') {
    const name = typeof item.raw?.name === 'string' && item.raw.name ? ` · ${item.raw.name}` : '';
    return element('li', { className: 'card rule-card json-only', dataset: { path } }, [
      element('div', { className: 'card-head' }, [
        element('h3', {}, [`Rule ${n}`, element('span', { className: 'card-value', textContent: name })]),
        remove,
      ]),
      element('p', {
        className: 'notice',
        textContent: `The builder cannot show this rule: it uses ${item.why.join('; ')}. It is kept exactly as it is; change it in the JSON tab.`,
      }),
      element('pre', { className: 'json', textContent: JSON.stringify(item.raw, null, 2) }),
      element('button', { type: 'button', onclick: () => selectTab('json') }, [
        'Edit in JSON',
        unseen(` (rule ${n})`),
      ]),
    ]);
  }
  const m = item.model;
  const sentence = element('p', {
    className: 'sentence',
    id: `r${i}-sentence`,
    textContent: describeRule(m),
  });
  const text = (field, label, read, write, extra = {}) =>
    element('div', { className: `field f-${field}` }, [
      labelled(`r${i}-${field}`, label, `rule ${n}`),
      element('input', {
        id: `r${i}-${field}`,
        type: 'text',
        value: read(),
        autocomplete: 'off',
        dataset: { path: extra.path ?? `${path}.${field}`, focus: `r${i}-${field}` },
        oninput: (e) => {
          write(e.target.value);
          touch(item, sentence);
          if (field === 'name') $(`r${i}-title-name`).textContent = m.name ? ` · ${m.name}` : '';
        },
        ...(extra.input ?? {}),
      }),
      extra.hint
        ? element('p', { className: 'field-hint', id: `r${i}-${field}-hint`, textContent: extra.hint })
        : null,
    ]);
  return element('li', { className: 'card rule-card', dataset: { path }, 'aria-labelledby': `r${i}-title` }, [
    element('div', { className: 'card-head' }, [
      element('h3', { id: `r${i}-title` }, [
        `Rule ${n}`,
        element('span', {
          id: `r${i}-title-name`,
          className: 'card-value',
          textContent: m.name ? ` · ${m.name}` : '',
        }),
      ]),
      remove,
    ]),
    sentence,
    element('div', { className: 'rule-fields' }, [
      text(
        'name',
        'Name',
        () => m.name,
        (v) => (m.name = v),
      ),
      element('div', { className: 'field f-effect' }, [
        labelled(`r${i}-effect`, 'Effect', `rule ${n}`),
        element(
          'select',
          {
            id: `r${i}-effect`,
            dataset: { path: `${path}.event.type`, focus: `r${i}-effect` },
            onchange: (e) => {
              m.effect = e.target.value;
              touch(item, sentence);
            },
          },
          [
            ...options(
              [
                ...(m.effect ? [] : [['', 'Choose']]),
                ['exclude', 'Exclude from health'],
                ['include', 'Include in health'],
              ],
              m.effect,
            ),
          ],
        ),
      ]),
      text(
        'reason',
        'Reason',
        () => m.reason,
        (v) => (m.reason = v),
        { path: `${path}.event.params.reason` },
      ),
      text(
        'priority',
        'Priority',
        () => m.priority,
        (v) => (m.priority = v),
        {
          input: {
            type: 'number',
            min: '1',
            step: '1',
            inputMode: 'numeric',
            'aria-describedby': `r${i}-priority-hint`,
          },
          hint: 'Higher wins; empty means 1.',
        },
      ),
    ]),
    groupEditor(item, m.root, `${path}.conditions`, String(n), 0, sentence),
  ]);
}

function renderBuilder() {
  $('rule-list').replaceChildren(...state.items.map(ruleCard));
  $('rules-none').hidden = state.items.length > 0;
  applyProblems(false);
  updateDirty();
}

function plansList() {
  const plans = new Set(
    catalogState.draft?.statuses
      .map((s) => (typeof s.plan === 'string' && s.plan ? s.plan : s.type === 'paying' ? s.value : undefined))
      .filter(Boolean) ?? [],
  );
  $('plans').replaceChildren(...[...plans].map((p) => element('option', { value: p })));
}

// ---- tabs

function selectTab(tab, { focus = true } = {}) {
  if (tab === state.tab) return true;
  if (tab === 'json') {
    $('rules').value = JSON.stringify(canonicalRules(state.items), null, 2);
  } else {
    const c = current();
    if (c.error) {
      rulesSay(
        `The JSON tab holds ${c.error}. Fix it there first; the builder shows the rules once the JSON is valid.`,
        'error',
      );
      focusFirst('rules');
      return false;
    }
    state.items = readRules(c.rules);
  }
  state.tab = tab;
  for (const name of ['builder', 'json']) {
    const selected = name === tab;
    $(`tab-${name}`).setAttribute('aria-selected', String(selected));
    $(`tab-${name}`).tabIndex = selected ? 0 : -1;
    $(`panel-${name}`).hidden = !selected;
  }
  if (tab === 'builder') renderBuilder();
  applyProblems(false);
  if (focus) $(`tab-${tab}`).focus();
  return true;
}

// ---- problems, preview, save

function applyProblems(moveFocus) {
  const { errors, warnings, sent, failing = [] } = state.problems;
  const line = (issue, kind) => {
    const p = ruleProblem(issue, sent);
    return {
      path: issue.path,
      text: p.text,
      line: `${kind === 'warning' ? 'Warning: ' : ''}${problemLine(p)}`,
      kind,
    };
  };
  const container = state.tab === 'builder' ? $('panel-builder') : $('panel-json');
  const targets = showProblems({
    container,
    list: $('rules-problems'),
    problems: errors.map((e) => line(e, 'error')),
    heading: `${plural(errors.length, 'problem')}; nothing was saved:`,
  });
  const notes = [
    ...warnings.map((w) => line(w, 'warning').line),
    ...failing.map(
      (r) =>
        `Warning: Rule ${r.index + 1} (${r.rule}) fails on ${plural(r.accounts, 'account')} (${r.sampleAccountIds.join(', ')}); those are decided without it: ${r.message}`,
    ),
  ];
  if (notes.length)
    $('rules-problems').append(
      element('p', {
        className: 'problems-heading warning',
        textContent: 'Worth a look (allowed, but maybe not what you meant):',
      }),
      element(
        'ul',
        {},
        notes.map((text) => element('li', { className: 'warning', textContent: text })),
      ),
    );
  if (moveFocus) focusFirst(...targets, state.tab === 'json' ? 'rules' : 'rules-problems');
}

/** `failing`: rules the preview saw fail on some accounts (those accounts are decided without them). */
function setProblems(errors = [], warnings = [], sent = [], failing = []) {
  state.problems = { errors, warnings, sent, failing };
  applyProblems(errors.length > 0);
}

const summaryOf = (d) =>
  `${plural(d.total, 'account')}: ${d.eligibleNow.toLocaleString('en-US')} in health now, ${d.eligibleWithProposed.toLocaleString('en-US')} with these rules; ${d.entering.toLocaleString('en-US')} would enter, ${d.leaving.toLocaleString('en-US')} would leave`;

function sampleList(title, samples) {
  return [
    element('h3', { textContent: title }),
    element(
      'ul',
      {},
      samples.map((s) =>
        element('li', {
          textContent: `${s.accountId} (${s.status ?? 'no status'}): ${s.eligibility.reasons
            .map((r) => (r.source === 'rule' ? `${r.type} by ${r.rule}` : r.code))
            .join(', ')}`,
        }),
      ),
    ),
  ];
}

/** Runs the preview of the current rules; resolves with the API's answer when the rules are valid. */
async function preview() {
  const c = current();
  if (c.error) {
    rulesSay(`The JSON tab holds ${c.error}. Nothing was previewed.`, 'error');
    focusFirst('rules');
    return undefined;
  }
  const unclear = state.tab === 'builder' ? checkBuilder(state.items) : [];
  if (unclear.length) {
    setProblems(unclear, [], c.rules);
    rulesSay(`Not previewed: ${plural(unclear.length, 'problem')}, shown on the fields.`, 'error');
    return undefined;
  }
  rulesSay('Previewing…', '');
  let result;
  try {
    result = await api('POST', '/v1/rules/preview', c.rules);
  } catch (error) {
    if (error instanceof Unreachable) rulesSay(unreachableText(error, 'nothing was previewed'), 'error');
    throw error;
  }
  const { ok, data } = result;
  if (!ok) {
    state.preview = undefined;
    $('rules-preview').replaceChildren();
    setProblems(data.errors, data.warnings, c.rules);
    rulesSay(
      data.errors?.length
        ? `These rules cannot be used yet: ${plural(data.errors.length, 'problem')}, shown on the fields. Nothing was previewed or saved.`
        : problemText(data, 'The rules were refused.'),
      'error',
    );
    return undefined;
  }
  setProblems([], data.warnings, c.rules, data.ruleErrors);
  state.preview = { key: stableStringify(c.rules), data };
  $('rules-preview').replaceChildren(
    element('p', {
      className: 'preview-summary',
      textContent: `Preview: ${summaryOf(data)}. Nothing is saved yet.`,
    }),
    ...(data.entering ? sampleList('Would enter', data.samples.entering) : []),
    ...(data.leaving ? sampleList('Would leave', data.samples.leaving) : []),
  );
  updateDirty();
  rulesSay(`Preview: ${summaryOf(data)}. Nothing is saved yet.`);
  return { rules: c.rules, data };
}

/** Save: preview first if the current rules were not previewed, then ask with the preview's summary. */
async function askToSave() {
  const c = current();
  if (c.error) {
    rulesSay(`The JSON tab holds ${c.error}. Nothing was saved.`, 'error');
    focusFirst('rules');
    return;
  }
  if (!isRulesDirty()) {
    rulesSay('Nothing changed since the last save.', '');
    return;
  }
  const fresh = state.preview?.key === stableStringify(c.rules) ? state.preview : await preview();
  if (!fresh) return;
  const failing = fresh.data.ruleErrors?.length ?? 0;
  $('confirm-summary').textContent = `Save these rules? ${summaryOf(fresh.data)}.${
    failing ? ` ${plural(failing, 'rule fails', 'rules fail')} on some accounts (see the warnings).` : ''
  }`;
  $('rules-confirm').hidden = false;
  focusFirst('confirm-save');
}

async function confirmSave() {
  const c = current();
  $('rules-confirm').hidden = true;
  if (c.error || state.preview?.key !== stableStringify(c.rules)) return askToSave();
  const summary = summaryOf(state.preview.data);
  rulesSay('Saving…', '');
  let result;
  try {
    result = await api('PUT', '/v1/rules', c.rules, { ifMatch: state.etag });
  } catch (error) {
    if (error instanceof Unreachable) rulesSay(unreachableText(error), 'error');
    throw error;
  }
  const { ok, data, etag } = result;
  if (isStale(result)) {
    rulesSay(staleText('the rules', 'them'), 'error', [
      element('button', {
        type: 'button',
        textContent: 'Reload the rules',
        onclick: () => reload().catch(reportError),
      }),
    ]);
    focusFirst('rules-message');
    return;
  }
  if (!ok) {
    setProblems(data.errors, data.warnings, c.rules);
    rulesSay(`Not saved: ${plural(data.errors?.length ?? 0, 'problem')}, shown on the fields.`, 'error');
    return;
  }
  show(data, etag ?? (await api('GET', '/v1/rules')).etag);
  setProblems([], data.warnings, data.rules);
  rulesSay(`Saved rules version ${data.version}. ${summary}.`);
  focusFirst('rules-message');
}

function show(data, etag) {
  state.loaded = clone(data.rules);
  state.version = data.version;
  state.etag = etag;
  state.items = readRules(clone(data.rules));
  state.preview = undefined;
  $('rules-preview').replaceChildren();
  $('rules').value = JSON.stringify(canonicalRules(state.items), null, 2);
  $('rules-version').textContent = `version ${data.version}`;
  plansList();
  if (state.tab === 'builder') renderBuilder();
  updateDirty();
}

export async function loadRules() {
  const { ok, data, etag } = await api('GET', '/v1/rules');
  if (!ok) return;
  $('rules-section').hidden = false;
  show(data, etag);
  setProblems([], data.warnings, data.rules);
}

async function reload() {
  await loadRules();
  rulesSay(`Reloaded rules version ${state.version}.`);
  focusFirst('rules-message');
}

export function startRules() {
  const guard = (promise) => promise.catch(reportError);
  $('tab-builder').addEventListener('click', () => selectTab('builder'));
  $('tab-json').addEventListener('click', () => selectTab('json'));
  $('rules-tabs').addEventListener('keydown', (event) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) return;
    event.preventDefault();
    const next =
      event.key === 'Home'
        ? 'builder'
        : event.key === 'End'
          ? 'json'
          : state.tab === 'builder'
            ? 'json'
            : 'builder';
    selectTab(next);
  });
  $('add-rule').addEventListener('click', () => {
    state.items.push(newRule());
    updateDirty();
    renderBuilder();
    focusFirst(`r${state.items.length - 1}-name`);
  });
  $('rules').addEventListener('input', updateDirty);
  $('rules').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      guard(askToSave());
    }
  });
  const form = $('rules-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    guard(askToSave());
  });
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.defaultPrevented || event.isComposing) return;
    if (!event.target.matches('input, select') || event.target.closest('#rules-confirm')) return;
    event.preventDefault();
    guard(askToSave());
  });
  $('preview-rules').addEventListener('click', () => guard(preview()));
  $('confirm-save').addEventListener('click', () => guard(confirmSave()));
  $('confirm-cancel').addEventListener('click', () => {
    $('rules-confirm').hidden = true;
    rulesSay('Not saved; keep editing.', '');
    focusFirst('save-rules', 'preview-rules');
  });
  $('discard-rules').addEventListener('click', () => {
    show({ rules: state.loaded, version: state.version }, state.etag);
    setProblems();
    rulesSay('Changes discarded.', '');
    focusFirst('rules-message');
  });
}
