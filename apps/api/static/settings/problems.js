// The API's problems (`{ path, at, code, message }`) as sentences for the person editing: "Status 2
// (Internal-use): the value is required", "Rule 1 (long-trial), condition 2: choose a comparison". Pure.

import { FACTS, operatorLabel, operatorsFor } from './rule-model.js';

const quoted = (s) => `“${s}”`;
const normalize = (s) => (typeof s === 'string' ? s.trim().toLowerCase() : '');
const TYPES = 'free, paying or cancelled';

/** "Status 2 (Internal-use)", or "Status 7" while its value is empty. */
export const statusName = (statuses, index) => {
  const value = statuses[index]?.value;
  return `Status ${index + 1}${typeof value === 'string' && value.trim() ? ` (${value})` : ''}`;
};

/** The first status other than `index` that spells `spelling` (as its value or an alias), for collisions. */
function holderOf(statuses, spelling, index) {
  const key = normalize(spelling);
  for (const [i, s] of statuses.entries()) {
    if (i === index) continue;
    if (normalize(s.value) === key) return { i, as: 'value' };
    if ((s.aliases ?? []).some((a) => normalize(a) === key)) return { i, as: 'alias' };
  }
  return undefined;
}

const FIELDS = {
  value: 'the value',
  type: 'the type',
  plan: 'the plan',
  trial: 'Trial',
  nonCustomer: 'Not a customer',
  description: 'the description',
};

/** `{ place, text }` for one catalog problem; `catalog` is what was sent. */
export function catalogProblem(issue, catalog) {
  const statuses = Array.isArray(catalog.statuses) ? catalog.statuses : [];
  const [top, index, field, aliasIndex] = issue.path;
  if (top === 'matching') return { place: 'Matching', text: 'choose how values are matched' };
  if (top === 'uniquePlans') return { place: 'Plans', text: 'the shared-plan setting must be on or off' };
  if (top !== 'statuses') return { place: 'Catalog', text: issue.message };
  if (typeof index !== 'number')
    return {
      place: 'Statuses',
      text: issue.code === 'too_small' ? 'add at least one status' : issue.message,
    };
  const place = statusName(statuses, index);
  const status = statuses[index] ?? {};
  const what = FIELDS[field] ?? field;
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        place,
        text: `${issue.message.replace(/^Unrecognized keys?: /, 'has properties this page does not know: ')}`,
      };
    case 'duplicate_value': {
      const other = holderOf(statuses.slice(0, index), status.value, -1);
      return {
        place,
        text: `the value ${quoted(status.value)} is already ${other ? statusName(statuses, other.i) : 'used'}; values are compared ignoring case and surrounding spaces`,
      };
    }
    case 'value_whitespace':
      return { place, text: 'the value starts or ends with a space; remove it' };
    case 'alias_whitespace':
      return {
        place,
        text: `the other spelling ${quoted(status.aliases?.[aliasIndex] ?? '')} starts or ends with a space; remove it`,
      };
    case 'alias_is_value':
      return {
        place,
        text: `the other spelling ${quoted(status.aliases?.[aliasIndex])} is already this status's value`,
      };
    case 'alias_repeated':
      return { place, text: `the other spelling ${quoted(status.aliases?.[aliasIndex])} is listed twice` };
    case 'alias_taken': {
      const alias = status.aliases?.[aliasIndex];
      const other = holderOf(statuses, alias, index);
      const owner = other
        ? other.as === 'value'
          ? `the value of ${statusName(statuses, other.i)}`
          : `a spelling of ${statusName(statuses, other.i)}`
        : 'used by another status';
      return {
        place,
        text: `the other spelling ${quoted(alias)} is already ${owner}; a spelling can belong to one status only`,
      };
    }
    case 'trial_not_free':
      return {
        place,
        text: `only free statuses can be trials (this one is ${status.type}); untick Trial or make it free`,
      };
    case 'plan_on_cancelled':
      return { place, text: 'a cancelled status has no plan; clear the plan' };
    case 'plan_taken': {
      const plan = typeof status.plan === 'string' && status.plan.trim() ? status.plan.trim() : status.value;
      const owner = statuses.findIndex(
        (s, i) =>
          i < index &&
          s.type === 'paying' &&
          (typeof s.plan === 'string' && s.plan.trim() ? s.plan.trim() : s.value) === plan,
      );
      const implicit =
        status.plan === undefined ? ` (an empty plan means the value, ${quoted(status.value)})` : '';
      return {
        place,
        text: `the plan ${quoted(plan)}${implicit} is already the plan of ${owner >= 0 ? statusName(statuses, owner) : 'another status'}, and two paying statuses may not share a plan; give this one a plan of its own`,
      };
    }
  }
  if (field === 'type') return { place, text: `choose a type: ${TYPES}` };
  if (field === 'aliases' && aliasIndex === undefined)
    return { place, text: 'other spellings must be a list of texts' };
  if (field === 'aliases') {
    const alias = status.aliases?.[aliasIndex];
    if (issue.code === 'too_small') return { place, text: 'an other spelling is empty; remove it' };
    if (issue.code === 'too_big') return { place, text: 'an other spelling is longer than 200 characters' };
    return { place, text: `the other spelling ${quoted(alias)}: ${issue.message}` };
  }
  if (issue.code === 'too_small' || (issue.code === 'invalid_type' && status[field] === undefined))
    return {
      place,
      text: field === 'value' || field === 'plan' ? `${what} is required` : `${what} is missing`,
    };
  if (issue.code === 'too_big') return { place, text: `${what} is longer than 200 characters` };
  if (issue.code === 'invalid_type')
    return { place, text: `${what} has the wrong kind of value (${issue.message})` };
  return { place, text: `${what}: ${issue.message}` };
}

/** "condition 2", "condition 3.1" for a path inside a rule's conditions. */
function conditionPlace(path) {
  const at = path.indexOf('conditions');
  if (at < 0) return '';
  const numbers = [];
  for (let i = at + 1; i + 1 < path.length; i += 2)
    if ((path[i] === 'all' || path[i] === 'any') && typeof path[i + 1] === 'number')
      numbers.push(path[i + 1] + 1);
  return numbers.length ? `, condition ${numbers.join('.')}` : '';
}

/** The condition object a rule path points into (or undefined). */
function conditionAt(rules, path) {
  let node = rules;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[segment];
    if (node && typeof node === 'object' && 'fact' in node && 'operator' in node) return node;
  }
  return node && typeof node === 'object' && !Array.isArray(node) ? node : undefined;
}

const FACT_LIST = Object.values(FACTS)
  .map((f) => f.label)
  .join(', ');

/** The operators a fact offers, as "is (equal), is not (notEqual)". */
export const operatorChoices = (fact) =>
  operatorsFor(fact)
    .map((op) => `${operatorLabel(fact, op)} (${op})`)
    .join(', ');

/** `{ place, text }` for one rules problem or warning; `rules` is what was sent. */
export function ruleProblem(issue, rules) {
  const [index] = issue.path;
  if (typeof index !== 'number')
    return {
      place: 'Rules',
      text: issue.code === 'invalid_type' ? 'the rules must be a JSON list ([...])' : issue.message,
    };
  const rule = Array.isArray(rules) ? rules[index] : undefined;
  const name = rule && typeof rule.name === 'string' && rule.name.trim() ? ` (${rule.name})` : '';
  const place = `Rule ${index + 1}${name}${conditionPlace(issue.path)}`;
  const last = issue.path.at(-1);
  const condition = conditionAt(rules, issue.path) ?? {};
  const fact = typeof condition.fact === 'string' ? condition.fact : '';
  const text = (() => {
    switch (issue.code) {
      case 'unknown_fact':
        return `${quoted(String(condition.fact))} is not a fact; choose one of: ${FACT_LIST}`;
      case 'unknown_operator':
        return `${quoted(String(condition.operator))} is not an operator; ${FACTS[fact] ? `for ${FACTS[fact].label} use` : 'operators are'}: ${operatorChoices(fact)}`;
      case 'invalid_event':
        return 'choose Include or Exclude';
      case 'invalid_priority':
        return 'the priority must be a whole number from 1 to 1000000 (higher wins)';
      case 'invalid_path':
        return 'name the attribute (for example region, or plan.tier)';
      case 'duplicate': {
        const first = rules.findIndex((r) => r?.name === rule?.name);
        return `the name ${quoted(rule?.name)} is already used by rule ${first + 1}; give each rule its own name`;
      }
      case 'empty_group':
        return 'an empty group is always true; add a condition or remove the group';
      case 'required':
        if (last === 'name') return 'the rule needs a name';
        if (last === 'reason')
          return 'the reason is required (it says why an account is in or out of health)';
        if (last === 'fact') return 'choose a fact';
        if (last === 'operator') return 'choose a comparison';
        if (last === 'value') return 'enter a value';
        return issue.message;
      default:
        return issue.message;
    }
  })();
  return { place, text };
}

export const problemLine = ({ place, text }) => `${place}: ${text}`;
