// Eligibility rules as the builder shows them, and back to the same json-rules-engine JSON. Pure; no DOM.
//
// A rule the builder can show becomes a model of plain fields (name, effect, reason, priority, a tree of
// all/any groups and conditions). A rule it cannot show (a `not`, a decorated operator, a fact reference,
// extra properties, ...) stays as it is, with the reasons why, so nothing is ever dropped. A rule nobody
// touched is written back as it was read, key order included.

const NUMERIC = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'];
const EQUALITY = ['equal', 'notEqual'];
const LISTS = ['in', 'notIn'];

/** The facts rules can use, with the operators the builder offers for each and the kind of value. */
export const FACTS = {
  status: { label: 'status', operators: [...EQUALITY, ...LISTS], values: 'statuses' },
  statusType: { label: 'status type', operators: [...EQUALITY, ...LISTS], values: 'types' },
  plan: { label: 'plan', operators: [...EQUALITY, ...LISTS], values: 'text' },
  trial: { label: 'trial', operators: EQUALITY, values: 'boolean' },
  nonCustomer: { label: 'not a customer', operators: EQUALITY, values: 'boolean' },
  daysInStatus: { label: 'days in status', operators: [...EQUALITY, ...NUMERIC], values: 'number' },
  statusObservedAt: {
    label: 'status observed on',
    operators: ['lessThan', 'greaterThanInclusive'],
    values: 'date',
  },
  attributes: {
    label: 'attribute',
    operators: [...EQUALITY, ...LISTS, 'contains', 'doesNotContain', ...NUMERIC],
    values: 'any',
  },
};
export const FACT_NAMES = Object.keys(FACTS);

const OPERATOR_LABELS = {
  equal: 'is',
  notEqual: 'is not',
  in: 'is one of',
  notIn: 'is not one of',
  contains: 'contains',
  doesNotContain: 'does not contain',
  lessThan: 'is less than',
  lessThanInclusive: 'is at most',
  greaterThan: 'is greater than',
  greaterThanInclusive: 'is at least',
};
const DATE_LABELS = { lessThan: 'is before', greaterThanInclusive: 'is on or after' };

/** How an operator reads after a fact: `is at least`, or `is before` for a date. */
export const operatorLabel = (fact, operator) =>
  (fact === 'statusObservedAt' ? DATE_LABELS[operator] : undefined) ?? OPERATOR_LABELS[operator] ?? operator;

/** The operators the builder offers for a fact (every operator when no fact is chosen yet). */
export const operatorsFor = (fact) => FACTS[fact]?.operators ?? Object.keys(OPERATOR_LABELS);

export const STATUS_TYPES = ['free', 'paying', 'cancelled'];

/**
 * The kinds of value a condition can have: `choice` (one catalog status or type), `choices` (several),
 * `text`, `textList` (comma-separated), `number`, `numberList`, `boolean`, `date` (YYYY-MM-DD).
 */
export function valueKinds(fact, operator) {
  if (!operator) return [];
  const values = FACTS[fact]?.values;
  const list = LISTS.includes(operator);
  switch (values) {
    case 'statuses':
    case 'types':
      return [list ? 'choices' : 'choice'];
    case 'text':
      return [list ? 'textList' : 'text'];
    case 'boolean':
      return ['boolean'];
    case 'number':
      return ['number'];
    case 'date':
      return ['date'];
    case 'any':
      if (list) return ['textList', 'numberList'];
      if (NUMERIC.includes(operator)) return ['number'];
      return ['text', 'number', 'boolean'];
    default:
      return [];
  }
}

export const KIND_LABELS = {
  text: 'text',
  number: 'number',
  boolean: 'true or false',
  textList: 'texts',
  numberList: 'numbers',
};

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const onlyKeys = (object, keys) => Object.keys(object).filter((k) => !keys.includes(k));
const show = (v) => JSON.stringify(v);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const listItem = (s) => typeof s === 'string' && s !== '' && s.trim() === s && !s.includes(',');

/** The input text (or list, or flag) a JSON value gets in a field of `kind`, or undefined if it cannot. */
function inputFor(kind, value) {
  switch (kind) {
    case 'choice':
    case 'text':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'date':
      return typeof value === 'string' && DATE.test(value) ? value : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'choices':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : undefined;
    case 'textList':
      return Array.isArray(value) && value.every(listItem) ? value.join(', ') : undefined;
    case 'numberList':
      return Array.isArray(value) &&
        value.length > 0 &&
        value.every((v) => typeof v === 'number' && Number.isFinite(v))
        ? value.join(', ')
        : undefined;
    default:
      return undefined;
  }
}

/** The JSON value of a field, or undefined when it is empty (the condition is then written without one). */
export function jsonValue(kind, input) {
  switch (kind) {
    case 'choice':
    case 'text':
    case 'date':
      return input === '' ? undefined : input;
    case 'number':
      return input.trim() === '' || !Number.isFinite(Number(input)) ? undefined : Number(input);
    case 'boolean':
      return input === '' ? undefined : input === 'true';
    case 'choices':
      return [...input];
    case 'textList':
      return input
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'numberList': {
      const items = input
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return items.length === 0 ? undefined : items.map((s) => (Number.isFinite(Number(s)) ? Number(s) : s));
    }
    default:
      return undefined;
  }
}

/** An empty field of `kind`. */
export const emptyInput = (kind) => (kind === 'choices' ? [] : '');

const SIMPLE_PATH = /^\$\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** `$.region` is shown as `region`; any other JSONPath as it is. */
export const pathInput = (path) => (SIMPLE_PATH.test(path) ? path.slice(2) : path);
/** What a person typed as the attribute, as a JSONPath. */
export const pathOf = (input) => {
  const s = input.trim();
  return s === '' || s.startsWith('$') ? s : `$.${s}`;
};

function readCondition(node, why) {
  if (!isObject(node)) return void why.push('a condition that is not an object');
  if ('all' in node || 'any' in node || 'not' in node) return readGroup(node, why);
  const extra = onlyKeys(node, ['fact', 'operator', 'value', 'path']);
  if (extra.length) return void why.push(`a condition with ${extra.map(show).join(', ')}`);
  const fact = node.fact ?? '';
  if (fact !== '' && !FACTS[fact]) return void why.push(`the fact ${show(node.fact)}`);
  const operator = node.operator ?? '';
  if (operator !== '' && !operatorsFor(fact).includes(operator))
    return void why.push(`the operator ${show(node.operator)}${fact ? ` with ${FACTS[fact].label}` : ''}`);
  let path = '';
  if (fact === 'attributes') {
    if (typeof node.path !== 'string' || (node.path !== '' && !node.path.startsWith('$')))
      return void why.push(
        node.path === undefined ? 'an attribute condition without a path' : `the path ${show(node.path)}`,
      );
    path = pathInput(node.path);
  } else if ('path' in node)
    return void why.push(`a path on ${fact ? FACTS[fact].label : 'a condition without a fact'}`);
  const kinds = valueKinds(fact, operator);
  if (!('value' in node))
    return {
      kind: 'condition',
      fact,
      path,
      operator,
      valueKind: kinds[0] ?? '',
      input: emptyInput(kinds[0]),
    };
  for (const valueKind of kinds) {
    const input = inputFor(valueKind, node.value);
    if (input !== undefined) return { kind: 'condition', fact, path, operator, valueKind, input };
  }
  why.push(
    `the value ${show(node.value)}${operator ? ` for ${operatorLabel(fact, operator)}` : ' without an operator'}`,
  );
}

function readGroup(node, why) {
  const mode = 'all' in node ? 'all' : 'any' in node ? 'any' : undefined;
  if (!mode) return void why.push('a "not" condition');
  const extra = onlyKeys(node, [mode]);
  if (extra.length) return void why.push(`a group with ${extra.map(show).join(', ')}`);
  if (!Array.isArray(node[mode])) return void why.push(`"${mode}" that is not a list`);
  const children = node[mode].map((child) => readCondition(child, why));
  return why.length ? undefined : { kind: 'group', mode, children };
}

/** One rule for the builder: `{ kind: 'rule', model, original }`, or `{ kind: 'json', raw, why }`. */
export function readRule(raw) {
  const why = [];
  const json = () => ({ kind: 'json', raw, why });
  if (!isObject(raw)) {
    why.push('a rule that is not an object');
    return json();
  }
  const extra = onlyKeys(raw, ['name', 'priority', 'conditions', 'event']);
  if (extra.length) why.push(`the rule properties ${extra.map(show).join(', ')}`);
  if (raw.name !== undefined && typeof raw.name !== 'string') why.push(`the name ${show(raw.name)}`);
  if (raw.priority !== undefined && !(typeof raw.priority === 'number' && Number.isFinite(raw.priority)))
    why.push(`the priority ${show(raw.priority)}`);
  const event = raw.event ?? {};
  if (!isObject(event) || onlyKeys(event, ['type', 'params']).length) why.push('the event as written');
  else {
    if (event.type !== undefined && event.type !== 'include' && event.type !== 'exclude')
      why.push(`the event type ${show(event.type)}`);
    const params = event.params ?? {};
    if (!isObject(params) || onlyKeys(params, ['reason']).length) why.push('event params besides the reason');
    else if (params.reason !== undefined && typeof params.reason !== 'string')
      why.push(`the reason ${show(params.reason)}`);
  }
  if (!isObject(raw.conditions)) why.push('conditions that are not an all/any group');
  if (why.length) return json();
  const root = readGroup(raw.conditions, why);
  if (!root) return json();
  return {
    kind: 'rule',
    original: raw,
    model: {
      name: raw.name ?? '',
      priority: raw.priority === undefined ? '' : String(raw.priority),
      effect: event.type ?? '',
      reason: event.params?.reason ?? '',
      root,
    },
  };
}

export const readRules = (rules) => rules.map(readRule);

function writeCondition(node) {
  if (node.kind === 'group') return { [node.mode]: node.children.map(writeCondition) };
  const value = jsonValue(node.valueKind, node.input);
  return {
    ...(node.fact !== '' ? { fact: node.fact } : {}),
    ...(node.fact === 'attributes' ? { path: pathOf(node.path) } : {}),
    ...(node.operator !== '' ? { operator: node.operator } : {}),
    ...(value !== undefined ? { value } : {}),
  };
}

/** A builder rule as json-rules-engine JSON (`name`, `priority` if set, `conditions`, `event`). */
export function writeRule(model) {
  const priority = model.priority.trim();
  return {
    name: model.name,
    ...(priority !== '' && Number.isFinite(Number(priority)) ? { priority: Number(priority) } : {}),
    conditions: writeCondition(model.root),
    event: { ...(model.effect ? { type: model.effect } : {}), params: { reason: model.reason } },
  };
}

/** The rules as JSON: untouched rules exactly as they were read, edited ones from the builder. */
export const writeRules = (items) =>
  items.map((item) =>
    item.kind === 'json' ? item.raw : item.touched ? writeRule(item.model) : item.original,
  );

/** The rules as JSON for a person to read: builder rules in the builder's key order, the rest as they are. */
export const canonicalRules = (items) =>
  items.map((item) => (item.kind === 'json' ? item.raw : writeRule(item.model)));

/**
 * What the builder's fields hold that JSON cannot say as meant (a list of numbers with a word in it), as
 * problems with the path of the field, like the API's.
 */
export function checkBuilder(items) {
  const found = [];
  const walk = (node, path) => {
    if (node.kind === 'group') {
      for (const [k, child] of node.children.entries()) walk(child, [...path, node.mode, k]);
      return;
    }
    if (node.valueKind !== 'numberList') return;
    const words = node.input
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '' && !Number.isFinite(Number(x)));
    if (words.length)
      found.push({
        path: [...path, 'value'],
        code: 'not_a_number',
        message: `${words.map((w) => `“${w}”`).join(', ')} ${words.length === 1 ? 'is not a number' : 'are not numbers'}; separate numbers with commas`,
      });
  };
  items.forEach((item, i) => {
    if (item.kind === 'rule') walk(item.model.root, [i, 'conditions']);
  });
  return found;
}

export const newCondition = () => ({
  kind: 'condition',
  fact: '',
  path: '',
  operator: '',
  valueKind: '',
  input: '',
});
export const newGroup = (mode = 'all') => ({ kind: 'group', mode, children: [newCondition()] });
export const newRule = () => ({
  kind: 'rule',
  touched: true,
  model: { name: '', priority: '', effect: '', reason: '', root: newGroup('all') },
});

/**
 * Sets a condition's fact, operator or value kind and keeps the rest consistent: an operator the fact does
 * not offer is cleared, and the value is kept when it still fits its kind, else emptied.
 */
export function adjustCondition(condition) {
  if (condition.operator && !operatorsFor(condition.fact).includes(condition.operator))
    condition.operator = '';
  const kinds = valueKinds(condition.fact, condition.operator);
  if (!kinds.includes(condition.valueKind)) {
    const previous = jsonValue(condition.valueKind, condition.input);
    condition.valueKind = kinds[0] ?? '';
    const carried = previous === undefined ? undefined : inputFor(condition.valueKind, previous);
    condition.input = carried ?? emptyInput(condition.valueKind);
  }
  if (condition.fact !== 'attributes') condition.path = '';
  return condition;
}

const quoted = (s) => `“${s}”`;
function valueText(c) {
  const value = jsonValue(c.valueKind, c.input);
  if (value === undefined || (Array.isArray(value) && value.length === 0 && c.valueKind !== 'choices'))
    return '…';
  if (Array.isArray(value))
    return value.length ? value.map((v) => (typeof v === 'string' ? quoted(v) : v)).join(', ') : 'nothing';
  return typeof value === 'string' && c.valueKind !== 'date' ? quoted(value) : String(value);
}

function conditionText(node, nested) {
  if (node.kind === 'group') {
    if (node.children.length === 0) return 'always';
    const parts = node.children.map((child) => conditionText(child, true));
    const text = parts.join(node.mode === 'all' ? ' and ' : ' or ');
    return nested && parts.length > 1 ? `(${text})` : text;
  }
  const fact =
    node.fact === 'attributes'
      ? `attribute ${pathInput(pathOf(node.path)) || '…'}`
      : (FACTS[node.fact]?.label ?? '…');
  return `${fact} ${node.operator ? operatorLabel(node.fact, node.operator) : '…'} ${node.operator ? valueText(node) : ''}`.trim();
}

/** The rule as a sentence: "Exclude when trial is true and days in status is greater than 30, because …". */
export function describeRule(model) {
  const effect =
    model.effect === 'include'
      ? 'Include'
      : model.effect === 'exclude'
        ? 'Exclude'
        : 'Include or exclude (choose)';
  const when = conditionText(model.root, false);
  const priority = model.priority.trim() ? ` (priority ${model.priority.trim()})` : '';
  return `${effect} ${when === 'always' ? 'always' : `when ${when}`}, because ${model.reason.trim() || '…'}${priority}`;
}
