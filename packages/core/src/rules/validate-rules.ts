import { issue, StatuskitValidationError, type ValidationIssue } from '../validation-issue.js';
import { parseOperator } from './operators.js';
import { type EligibilityRule, FACT_NAMES } from './rule-types.js';

const FACTS: ReadonlySet<string> = new Set(FACT_NAMES);
const NUMERIC = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);
const LIST = new Set(['in', 'notIn']);
const OBJECT_FACTS = new Set(['attributes']);
const MAX_DEPTH = 32;
const CONDITION_KEYS = new Set(['fact', 'operator', 'value', 'path', 'params', 'priority', 'name']);
const BOOLEAN_KEYS = ['all', 'any', 'not'] as const;

export type RulesCheck =
  | { ok: true; rules: EligibilityRule[]; warnings: ValidationIssue[] }
  | { ok: false; errors: ValidationIssue[]; warnings: ValidationIssue[] };

type Path = (string | number)[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const isFactRef = (v: unknown): v is { fact: unknown; path?: unknown } =>
  isObject(v) && Object.hasOwn(v, 'fact');
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/**
 * Checks eligibility rules before they are saved. Errors are what would make json-rules-engine fail
 * while it runs (or what statuskit cannot act on): unknown facts or operators, `in`/`notIn` against a
 * non-list, events other than include/exclude, missing reasons, bad priorities. Warnings are legal but
 * surprising: a string value for `in` (a substring test), a string for a numeric operator, a path on a fact
 * that is not an object, a JSONPath filter or script (it can fail on some accounts; see `evaluate`).
 */
export function validateRules(input: unknown): RulesCheck {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const err = (path: Path, code: string, message: string) => errors.push(issue(path, code, message));
  const warn = (path: Path, code: string, message: string) => warnings.push(issue(path, code, message));

  if (!Array.isArray(input)) {
    err([], 'invalid_type', 'rules must be an array of rules');
    return { ok: false, errors, warnings };
  }

  /** Rule priorities: json-rules-engine floors them and rejects anything below 1 except 0 (read as 1). */
  const checkRulePriority = (value: unknown, path: Path) => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value > 1_000_000) {
      err(path, 'invalid_priority', `priority must be a number from 1 to 1000000, got ${show(value)}`);
    } else if (value === 0) {
      warn(path, 'priority_raised', 'priority 0 is treated as 1');
    } else if (value < 1) {
      err(path, 'invalid_priority', `priority must be 1 or more, got ${value}`);
    } else if (!Number.isInteger(value)) {
      warn(path, 'priority_floored', `priority ${value} is floored to ${Math.floor(value)}`);
    }
  };

  /** Condition priorities only order evaluation inside all/any; any finite number is accepted. */
  const checkConditionPriority = (value: unknown, path: Path) => {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      err(path, 'invalid_priority', `priority must be a number, got ${show(value)}`);
    }
  };

  const checkFact = (fact: unknown, factPath: unknown, path: Path): boolean => {
    if (typeof fact !== 'string' || !FACTS.has(fact)) {
      err(
        [...path, 'fact'],
        'unknown_fact',
        `unknown fact ${show(fact)}; facts are ${FACT_NAMES.join(', ')}`,
      );
      return false;
    }
    if (factPath !== undefined) {
      if (typeof factPath !== 'string' || !factPath.startsWith('$')) {
        err(
          [...path, 'path'],
          'invalid_path',
          `path must be a JSONPath string starting with "$", got ${show(factPath)}`,
        );
      } else if (!OBJECT_FACTS.has(fact)) {
        warn(
          [...path, 'path'],
          'path_ignored',
          `fact "${fact}" is not an object, so path ${factPath} is ignored`,
        );
      } else if (factPath.includes('(')) {
        warn(
          [...path, 'path'],
          'path_may_fail',
          `path ${factPath} runs a filter or script expression, which fails on accounts where it reads through a missing or null value; there the rule does not fire and the account's eligibility lists it in ruleErrors`,
        );
      }
    }
    return true;
  };

  /** The values the base operator will see on its right-hand side, after decorators. */
  const rightHandValues = (value: unknown, decorators: string[], path: Path): unknown[] | undefined => {
    let values = [value];
    for (const d of decorators) {
      if (d === 'swap') {
        err(path, 'unsupported_operator', 'the swap decorator is not supported in eligibility rules');
        return undefined;
      }
      if (d === 'someValue' || d === 'everyValue') {
        const next: unknown[] = [];
        for (const v of values) {
          if (!Array.isArray(v)) {
            err(path, 'invalid_value', `${d} needs an array value, got ${show(v)}`);
            return undefined;
          }
          next.push(...v);
        }
        values = next;
      }
    }
    return values;
  };

  const checkCondition = (node: unknown, path: Path, depth: number): void => {
    if (depth > MAX_DEPTH) {
      err(path, 'too_deep', `conditions are nested more than ${MAX_DEPTH} levels`);
      return;
    }
    if (!isObject(node)) {
      err(path, 'invalid_type', 'a condition must be an object');
      return;
    }
    if (Object.hasOwn(node, 'condition')) {
      err(
        [...path, 'condition'],
        'unsupported',
        'shared condition references are not supported; write the condition inline',
      );
      return;
    }
    const booleans = BOOLEAN_KEYS.filter((k) => Object.hasOwn(node, k));
    if (booleans.length > 1) {
      err(path, 'ambiguous', `a condition has one of all / any / not, found ${booleans.join(' and ')}`);
      return;
    }
    const op = booleans[0];
    if (op) {
      checkConditionPriority(node.priority, [...path, 'priority']);
      const sub = node[op];
      if (op === 'not') {
        checkCondition(sub, [...path, 'not'], depth + 1);
      } else if (!Array.isArray(sub)) {
        err([...path, op], 'invalid_type', `"${op}" must be an array of conditions`);
      } else {
        if (sub.length === 0) warn([...path, op], 'empty_group', `an empty "${op}" is always true`);
        for (const [i, child] of sub.entries()) checkCondition(child, [...path, op, i], depth + 1);
      }
      return;
    }
    for (const key of Object.keys(node)) {
      if (!CONDITION_KEYS.has(key)) err([...path, key], 'unknown_key', `unknown condition property "${key}"`);
    }
    for (const key of ['fact', 'operator', 'value'] as const) {
      if (!Object.hasOwn(node, key)) err([...path, key], 'required', `a condition needs "${key}"`);
    }
    if (!Object.hasOwn(node, 'fact') || !Object.hasOwn(node, 'operator')) return;
    checkConditionPriority(node.priority, [...path, 'priority']);
    checkFact(node.fact, node.path, path);
    const parsed = parseOperator(node.operator);
    if (!parsed) {
      err([...path, 'operator'], 'unknown_operator', `unknown operator ${show(node.operator)}`);
      return;
    }
    const value = node.value;
    const valuePath = [...path, 'value'];
    if (isFactRef(value)) {
      checkFact(value.fact, value.path, valuePath);
      if (LIST.has(parsed.base) || parsed.decorators.some((d) => d === 'someValue' || d === 'everyValue')) {
        err(
          valuePath,
          'invalid_value',
          `${String(node.operator)} needs a literal list, not a fact reference`,
        );
      }
      return;
    }
    const rhs = rightHandValues(value, parsed.decorators, [...path, 'operator']);
    if (!rhs) return;
    for (const v of rhs) {
      if (LIST.has(parsed.base)) {
        if (typeof v === 'string') {
          warn(
            valuePath,
            'substring_test',
            `${parsed.base} with a string value is a substring test ("Pro" is in "Professional"); use an array for a list`,
          );
        } else if (!Array.isArray(v)) {
          err(valuePath, 'invalid_value', `${parsed.base} needs an array value, got ${show(v)}`);
        }
      } else if (NUMERIC.has(parsed.base) && typeof v === 'string') {
        warn(
          valuePath,
          'string_comparison',
          `${parsed.base} with a string value compares as text ("10" < "9"); use a number`,
        );
      }
    }
  };

  const names = new Map<string, number>();
  input.forEach((rule, index) => {
    const path: Path = [index];
    if (!isObject(rule)) {
      err(path, 'invalid_type', 'a rule must be an object');
      return;
    }
    for (const key of Object.keys(rule)) {
      if (!['name', 'priority', 'conditions', 'event'].includes(key)) {
        err([index, key], 'unknown_key', `unknown rule property "${key}"`);
      }
    }
    if (typeof rule.name !== 'string' || rule.name.trim() === '') {
      err([index, 'name'], 'required', 'a rule needs a non-empty "name" (it is shown as the reason)');
    } else {
      const first = names.get(rule.name);
      if (first !== undefined)
        err([index, 'name'], 'duplicate', `rule name "${rule.name}" is already used by rule ${first}`);
      else names.set(rule.name, index);
    }
    checkRulePriority(rule.priority, [index, 'priority']);
    const event = rule.event;
    if (!isObject(event)) {
      err(
        [index, 'event'],
        'required',
        'a rule needs an "event": { "type": "include" | "exclude", "params": { "reason": "..." } }',
      );
    } else {
      if (event.type !== 'include' && event.type !== 'exclude') {
        err(
          [index, 'event', 'type'],
          'invalid_event',
          `event type must be "include" or "exclude", got ${show(event.type)}`,
        );
      }
      const params = event.params;
      if (!isObject(params) || typeof params.reason !== 'string' || params.reason.trim() === '') {
        err(
          [index, 'event', 'params', 'reason'],
          'required',
          'event.params.reason must be a non-empty string',
        );
      }
    }
    const conditions = rule.conditions;
    if (!isObject(conditions) || !BOOLEAN_KEYS.some((k) => Object.hasOwn(conditions, k))) {
      err(
        [index, 'conditions'],
        'invalid_conditions',
        'conditions must be an object with "all", "any" or "not" at the top',
      );
    } else {
      checkCondition(conditions, [index, 'conditions'], 0);
    }
  });

  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, rules: input as EligibilityRule[], warnings };
}

/** Validates rules and returns them typed, or throws `StatuskitValidationError` with every error. */
export function parseRules(input: unknown): EligibilityRule[] {
  const result = validateRules(input);
  if (!result.ok) throw new StatuskitValidationError('rules', result.errors);
  return result.rules;
}
