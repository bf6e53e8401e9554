// The settings page: reads and saves the tenant's catalog and eligibility rules through the API with the
// tenant's key, shows the API's problems on the fields they name (and rule warnings), previews who a rule
// change moves in or out of health, and lists the values accounts carry that the catalog does not know,
// each one click away from a new status. No framework, no build step.

const KEY = 'statuskit-api-key';
const TYPES = ['free', 'paying', 'cancelled'];
const $ = (id) => document.getElementById(id);

const state = {
  rows: [],
  matching: 'insensitive',
  uniquePlans: false,
  version: 0,
  rulesVersion: 0,
  dirty: false,
};

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

/** Calls the API; `version` makes a save conditional on that version (If-Match: a 412 if someone saved since). */
async function api(method, path, body, version) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(version === undefined ? {} : { 'if-match': `"${version}"` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    say(`Could not reach statuskit (${error.message}); nothing was saved. Try again.`, 'error');
    throw error;
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY);
    showKeyForm('That key was not accepted. Check it and try again.');
    throw new Error('unauthorized');
  }
  return { ok: response.ok, status: response.status, data };
}

/** A line for the person editing, in the page's message area or the rules' (`where`). */
function say(text, kind = 'ok', where = 'message') {
  const message = $(where);
  message.textContent = text;
  message.className = kind;
}

/** What a refused request's problem document says, or `fallback`. */
const problemText = (data, fallback) => data.detail ?? data.title ?? fallback;

/** A 412: someone else saved `what` after this page loaded it; nothing of ours was saved. */
const savedByOthers = (what, data, them) =>
  `Someone else saved the ${what} (version ${data.currentVersion}) after you opened ${them}, so yours ${them === 'it' ? 'was' : 'were'} not saved. ` +
  'Reload the page to see their version, then make your change again.';

function showKeyForm(problem) {
  $('key-form').hidden = false;
  $('editor').hidden = true;
  $('rules-section').hidden = true;
  $('unknown').hidden = true;
  if (problem) say(problem, 'error');
}

function setDirty(dirty) {
  state.dirty = dirty;
  $('save').disabled = !dirty;
  $('discard').disabled = !dirty;
}

/** One editable row per status; every input names its JSON path so problems can point at it. */
function renderRows() {
  const rows = state.rows.map((status, i) => {
    const path = (field) => `statuses[${i}].${field}`;
    const edit = (field, read) => (event) => {
      const value = read(event.target);
      if (value === undefined || value === '' || value === false) delete status[field];
      else status[field] = value;
      if (field === 'type') renderRows();
      setDirty(true);
    };
    const text = (field, label, extra = {}) =>
      element('input', {
        type: 'text',
        value: status[field] ?? '',
        'aria-label': `${label} of status ${i + 1}`,
        dataset: { path: path(field) },
        oninput: edit(field, (t) => t.value),
        ...extra,
      });
    const check = (field, label) =>
      element('input', {
        type: 'checkbox',
        checked: status[field] === true,
        'aria-label': `${label} (status ${i + 1})`,
        dataset: { path: path(field) },
        onchange: edit(field, (t) => t.checked),
      });
    const type = element(
      'select',
      {
        'aria-label': `Type of status ${i + 1}`,
        dataset: { path: path('type') },
        onchange: edit('type', (t) => t.value),
      },
      TYPES.map((t) => element('option', { value: t, textContent: t, selected: status.type === t })),
    );
    const remove = element('button', {
      type: 'button',
      textContent: 'Remove',
      'aria-label': `Remove status ${i + 1}`,
      onclick: () => {
        state.rows.splice(i, 1);
        renderRows();
        setDirty(true);
      },
    });
    return element('tr', { dataset: { path: `statuses[${i}]` } }, [
      element('td', {}, [text('value', 'Value')]),
      element('td', {}, [type]),
      element('td', {}, [
        text('plan', 'Plan', { placeholder: status.type === 'paying' ? status.value || 'the value' : '' }),
      ]),
      element('td', {}, [check('trial', 'Trial')]),
      element('td', {}, [check('nonCustomer', 'Not a customer')]),
      element('td', {}, [text('description', 'Description')]),
      element('td', {}, [remove]),
    ]);
  });
  $('rows').replaceChildren(...rows);
}

function render() {
  renderRows();
  $('matching').value = state.matching;
  $('unique-plans').checked = state.uniquePlans;
  $('version').textContent = `version ${state.version}`;
  $('errors').replaceChildren();
  setDirty(false);
}

function catalogOf() {
  const catalog = { statuses: state.rows.map((s) => ({ ...s })), matching: state.matching };
  if (state.uniquePlans) catalog.uniquePlans = true;
  return catalog;
}

async function loadCatalog() {
  const { ok, data } = await api('GET', '/v1/catalog');
  if (!ok) return say(problemText(data, 'Could not load the catalog.'), 'error');
  state.rows = data.catalog.statuses.map((s) => ({ ...s }));
  state.matching = data.catalog.matching ?? 'insensitive';
  state.uniquePlans = data.catalog.uniquePlans === true;
  state.version = data.version;
  $('key-form').hidden = true;
  $('editor').hidden = false;
  render();
}

/** Spellings the catalog would match as one status share a key. */
const unknownKey = (value) => (state.matching === 'insensitive' ? value.trim().toLowerCase() : value);

async function loadUnknown() {
  const { ok, data } = await api('GET', '/v1/reports/unknown');
  if (!ok) return;
  // Spellings the catalog would match as one status are one row (counts added); the status it offers to
  // add is the most frequent spelling, a trimmed one on a tie.
  const groups = new Map();
  for (const v of data.values) {
    if (v.reason !== 'not-in-catalog' || typeof v.value !== 'string') continue;
    const group = groups.get(unknownKey(v.value));
    if (!group) {
      groups.set(unknownKey(v.value), { ...v, best: v.count, spellings: [v.value] });
      continue;
    }
    const trimmed = (x) => x === x.trim();
    if (v.count > group.best || (v.count === group.best && trimmed(v.value) && !trimmed(group.value))) {
      group.value = v.value;
      group.best = v.count;
    }
    group.count += v.count;
    group.spellings.push(v.value);
    group.sampleAccountIds = [...group.sampleAccountIds, ...v.sampleAccountIds].slice(0, 5);
  }
  const values = [...groups.values()];
  const known = new Set(state.rows.map((s) => unknownKey(s.value)));
  $('unknown-rows').replaceChildren(
    ...values.map((v) => {
      const value = v.value.trim();
      const add = element('button', {
        type: 'button',
        textContent: `Add “${value}”`,
        disabled: known.has(unknownKey(value)),
        onclick: () => {
          state.rows.push({ value, type: 'free' });
          renderRows();
          setDirty(true);
          add.disabled = true;
          say(`Added “${value}” as free: choose its type, then save.`);
          document.querySelector(`[data-path="statuses[${state.rows.length - 1}].type"]`)?.focus();
        },
      });
      return element('tr', { dataset: { key: unknownKey(v.value) } }, [
        element('td', { textContent: v.spellings.map((x) => JSON.stringify(x)).join(', ') }),
        element('td', { textContent: v.count.toLocaleString('en-US') }),
        element('td', { textContent: v.sampleAccountIds.join(', ') }),
        element('td', {}, [add]),
      ]);
    }),
  );
  $('unknown-none').hidden = values.length > 0;
  $('unknown').hidden = false;
  showLinkedUnknown();
}

/** The Unknown value a link names (`#unknown=Gold`, from the dashboard): its row marked, its button focused. */
function showLinkedUnknown() {
  const value = new URLSearchParams(location.hash.slice(1)).get('unknown');
  for (const row of document.querySelectorAll('#unknown-rows tr.linked')) row.classList.remove('linked');
  if (value === null || $('unknown').hidden) return;
  const row = document.querySelector(`#unknown-rows tr[data-key="${CSS.escape(unknownKey(value))}"]`);
  if (!row) return say(`“${value.trim()}” is no longer Unknown: no account carries it outside the catalog.`);
  row.classList.add('linked');
  row.scrollIntoView({ block: 'center' });
  const add = row.querySelector('button');
  if (add && !add.disabled) add.focus({ preventScroll: true });
  say(`“${value.trim()}” is Unknown: add it as a status, choose its type, then save.`);
}

/** Marks each field (or row) a problem names, and lists every problem with its path. */
function showProblems(problems) {
  for (const marked of document.querySelectorAll('[aria-invalid="true"]'))
    marked.removeAttribute('aria-invalid');
  for (const row of document.querySelectorAll('tr.invalid')) row.classList.remove('invalid');
  $('errors').replaceChildren(
    ...problems.map((p) => {
      const target = document.querySelector(`[data-path="${CSS.escape(p.at)}"]`);
      if (target?.tagName === 'TR') target.classList.add('invalid');
      else if (target) {
        target.setAttribute('aria-invalid', 'true');
        target.title = p.message;
        target.closest('tr')?.classList.add('invalid');
      }
      return element('li', { textContent: `${p.at}: ${p.message}` });
    }),
  );
}

async function save() {
  $('save').disabled = true;
  const { ok, status, data } = await api('PUT', '/v1/catalog', catalogOf(), state.version).catch((error) => {
    setDirty(true);
    throw error;
  });
  if (!ok) {
    setDirty(true);
    say(
      status === 412 ? savedByOthers('catalog', data, 'it') : problemText(data, 'The catalog was not saved.'),
      'error',
    );
    showProblems(data.errors ?? []);
    return;
  }
  state.version = data.version;
  render();
  const n = data.reclassified;
  say(
    `Saved version ${data.version}: ${n.toLocaleString('en-US')} account${n === 1 ? '' : 's'} re-classified.`,
  );
  await loadUnknown();
}

// Rules: a JSON editor with a dry run (who enters or leaves health) before saving.
const rulesSay = (text, kind = 'ok') => say(text, kind, 'rules-message');

function showRuleProblems(errors = [], warnings = []) {
  $('rules-problems').replaceChildren(
    ...errors.map((p) => element('li', { className: 'error', textContent: `error ${p.at}: ${p.message}` })),
    ...warnings.map((p) =>
      element('li', { className: 'warning', textContent: `warning ${p.at}: ${p.message}` }),
    ),
  );
}

function rulesText() {
  try {
    return JSON.parse($('rules').value);
  } catch (error) {
    rulesSay(`Not JSON: ${error.message}`, 'error');
    showRuleProblems();
    return undefined;
  }
}

function showRulesVersion(version) {
  state.rulesVersion = version;
  $('rules-version').textContent = `version ${version}`;
}

async function loadRules() {
  const { ok, data } = await api('GET', '/v1/rules');
  if (!ok) return;
  $('rules').value = JSON.stringify(data.rules, null, 2);
  showRulesVersion(data.version);
  showRuleProblems([], data.warnings);
  $('rules-section').hidden = false;
}

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

async function previewRules() {
  const rules = rulesText();
  if (rules === undefined) return;
  const { ok, data } = await api('POST', '/v1/rules/preview', rules);
  // A rule that would fail on some accounts is a warning: those accounts would be decided without it.
  const failing = (data.ruleErrors ?? []).map((r) => ({
    at: `[${r.index}]`,
    message: `rule "${r.rule}" fails on ${r.accounts} account${r.accounts === 1 ? '' : 's'} (${r.sampleAccountIds.join(', ')}): ${r.message}`,
  }));
  showRuleProblems(data.errors, [...(data.warnings ?? []), ...failing]);
  if (!ok) {
    $('rules-preview').replaceChildren();
    return rulesSay(problemText(data, 'The rules are not valid.'), 'error');
  }
  rulesSay(
    `${data.total} accounts: ${data.eligibleNow} in health now, ${data.eligibleWithProposed} with these rules; ` +
      `${data.entering} would enter, ${data.leaving} would leave. Nothing is saved yet.`,
  );
  $('rules-preview').replaceChildren(
    ...(data.entering ? sampleList('Would enter', data.samples.entering) : []),
    ...(data.leaving ? sampleList('Would leave', data.samples.leaving) : []),
  );
}

async function saveRules() {
  const rules = rulesText();
  if (rules === undefined) return;
  const { ok, status, data } = await api('PUT', '/v1/rules', rules, state.rulesVersion);
  showRuleProblems(data.errors, data.warnings);
  $('rules-preview').replaceChildren();
  if (!ok)
    return rulesSay(
      status === 412 ? savedByOthers('rules', data, 'them') : problemText(data, 'The rules were not saved.'),
      'error',
    );
  $('rules').value = JSON.stringify(data.rules, null, 2);
  showRulesVersion(data.version);
  rulesSay(`Saved rules version ${data.version}.`);
}

function start() {
  $('key-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('key').value.trim());
    say('');
    try {
      await loadCatalog();
      await loadRules();
      await loadUnknown();
    } catch {
      // a refused key: the form is back with its message
    }
  });
  $('add').addEventListener('click', () => {
    state.rows.push({ value: '', type: 'free' });
    renderRows();
    setDirty(true);
    document.querySelector(`[data-path="statuses[${state.rows.length - 1}].value"]`)?.focus();
  });
  $('matching').addEventListener('change', (event) => {
    state.matching = event.target.value;
    setDirty(true);
  });
  $('unique-plans').addEventListener('change', (event) => {
    state.uniquePlans = event.target.checked;
    setDirty(true);
  });
  $('save').addEventListener('click', () => save().catch(() => {}));
  $('preview-rules').addEventListener('click', () => previewRules().catch(() => {}));
  $('save-rules').addEventListener('click', () => saveRules().catch(() => {}));
  $('discard').addEventListener('click', () => loadCatalog().then(() => say('Changes discarded.')));
  // A link to another value (from the dashboard, in this tab): the list is read again, it may have changed.
  window.addEventListener('hashchange', () => {
    if (!$('unknown').hidden) loadUnknown().catch(() => {});
  });
  window.addEventListener('beforeunload', (event) => {
    if (state.dirty) event.preventDefault();
  });
  if (sessionStorage.getItem(KEY))
    loadCatalog()
      .then(loadRules)
      .then(loadUnknown)
      .catch(() => {});
  else showKeyForm();
}

start();
