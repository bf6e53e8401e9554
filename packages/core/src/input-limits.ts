import { issue, type ValidationIssue } from './validation-issue.js';

/**
 * What statuskit accepts as input, in one place: the API's schemas and the store's checks both read these
 * numbers and call the checks below, so a value the API accepts is a value the store can store.
 */
export const INPUT_LIMITS = Object.freeze({
  /** Longest text of each kind, in UTF-16 code units (what JavaScript's `length` counts). */
  accountIdLength: 255,
  statusLength: 200,
  accountNameLength: 500,
  tenantNameLength: 200,
  apiKeyNameLength: 200,
  /** Deepest nesting of an account's attributes or a connector's state (the object itself is level 1). */
  jsonDepth: 32,
  /** Largest account attributes object, in bytes of its JSON (UTF-8). */
  attributesBytes: 65_536,
  /** Largest connector state, in bytes of its JSON (UTF-8). */
  connectorStateBytes: 65_536,
  /** Deepest nesting of a rule set or a catalog (conditions nest up to 32 levels, two JSON levels each). */
  documentDepth: 100,
  /** Largest rule set or catalog, in bytes of its JSON (UTF-8). */
  documentBytes: 1_048_576,
  /** Timestamps are years 1 to 9999 in UTC (after applying their offset). */
  minYear: 1,
  maxYear: 9999,
  /** How far in the future an `observedAt` may be, by default (clocks drift; a year 9000 is a typo). */
  futureSkewMs: 5 * 60 * 1000,
});

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

export const ATTRIBUTES_LIMITS: JsonLimits = {
  maxDepth: INPUT_LIMITS.jsonDepth,
  maxBytes: INPUT_LIMITS.attributesBytes,
};
export const CONNECTOR_STATE_LIMITS: JsonLimits = {
  maxDepth: INPUT_LIMITS.jsonDepth,
  maxBytes: INPUT_LIMITS.connectorStateBytes,
};
export const DOCUMENT_LIMITS: JsonLimits = {
  maxDepth: INPUT_LIMITS.documentDepth,
  maxBytes: INPUT_LIMITS.documentBytes,
};

// NUL cannot be stored by PostgreSQL (text or jsonb); a lone surrogate has no UTF-8 form (`pg` would store
// U+FFFD instead, and jsonb refuses it). In `u` mode \p{Cs} matches only unpaired surrogates.
const UNSTORABLE = /\0|\p{Cs}/u;

/** Why a string cannot be stored as text, or undefined when it can. */
export function textProblem(value: string): { code: string; message: string } | undefined {
  const m = UNSTORABLE.exec(value);
  if (!m) return undefined;
  return m[0] === '\0'
    ? { code: 'nul_character', message: 'must not contain NUL characters (\\u0000)' }
    : {
        code: 'lone_surrogate',
        message: `has an unpaired UTF-16 surrogate at position ${m.index} (not valid Unicode text)`,
      };
}

type Path = (string | number)[];

/** Bytes of a well-formed string in UTF-8, without encoding it. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // a pair: 2 UTF-16 units, 4 bytes
      i++;
    } else if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

/**
 * The problems that keep a JSON value from being stored as it was sent: strings (keys included) with NUL
 * or a lone surrogate, numbers that are not finite (`1e400` parses as Infinity and would be stored as
 * null), values that are not JSON, nesting deeper than `maxDepth` (reported on the value itself), and more
 * than `maxBytes` of JSON.
 * Walks without recursion, so any depth is reported rather than overflowing the stack; reports at most 20
 * problems, in document order.
 */
export function jsonProblems(value: unknown, limits: JsonLimits, path: Path = []): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  type Item = { value: unknown; path: Path; depth: number; key?: string };
  const stack: Item[] = [{ value, path, depth: 0 }];
  let tooDeep = false;
  while (stack.length > 0 && issues.length < 20) {
    const item = stack.pop() as Item;
    if (item.key !== undefined) {
      const p = textProblem(item.key);
      if (p) issues.push(issue(item.path, p.code, `key ${p.message}`));
    }
    const v = item.value;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) issues.push(issue(item.path, p.code, p.message));
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        issues.push(issue(item.path, 'not_finite', 'must be a finite number (JSON has no Infinity or NaN)'));
      continue;
    }
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v !== 'object') {
      issues.push(issue(item.path, 'not_json', `a ${typeof v} is not a JSON value`));
      continue;
    }
    const depth = item.depth + 1;
    if (depth > limits.maxDepth) {
      if (!tooDeep) issues.push(issue(path, 'too_deep', `nests more than ${limits.maxDepth} levels deep`));
      tooDeep = true;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...item.path, i], depth });
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      issues.push(issue(item.path, 'not_json', 'must be a plain JSON object'));
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      stack.push({ value: (v as Record<string, unknown>)[k], path: [...item.path, k], depth, key: k });
    }
  }
  if (issues.length > 0) return issues;
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > limits.maxBytes)
    issues.push(issue(path, 'too_big', `is ${bytes} bytes of JSON; the limit is ${limits.maxBytes}`));
  return issues;
}

/** Why a timestamp cannot be stored (not a date, or outside years 1..9999 UTC), or undefined. */
export function timestampProblem(
  value: Date | string | number,
): { code: string; message: string } | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  const year = new Date(ms).getUTCFullYear();
  if (Number.isNaN(year)) return { code: 'invalid_date', message: 'is not a date' };
  if (year < INPUT_LIMITS.minYear || year > INPUT_LIMITS.maxYear)
    return {
      code: 'date_out_of_range',
      message: `is in year ${year} (UTC); dates must fall in years ${INPUT_LIMITS.minYear} to ${INPUT_LIMITS.maxYear}`,
    };
  return undefined;
}
