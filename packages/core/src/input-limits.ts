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
 * than `maxBytes` of JSON. Never descends past `maxDepth`, so any depth is reported rather than overflowing
 * the stack; reports at most 20 problems, in document order. Cheap on the way in: the JSON is written out
 * to be measured only when a bound counted during the walk could exceed `maxBytes`.
 */
export function jsonProblems(value: unknown, limits: JsonLimits, path: Path = []): ValidationIssue[] {
  const walk: Walk = { issues: [], at: [...path], root: path, limits, bound: 0, tooDeep: false };
  walkJson(walk, value, 0);
  const { issues } = walk;
  if (issues.length > 0 || walk.bound <= limits.maxBytes) return issues;
  const bytes = utf8Length(JSON.stringify(value));
  if (bytes > limits.maxBytes)
    issues.push(issue(path, 'too_big', `is ${bytes} bytes of JSON; the limit is ${limits.maxBytes}`));
  return issues;
}

interface Walk {
  readonly issues: ValidationIssue[];
  /** The path of the value being looked at (pushed and popped, copied only into a problem). */
  readonly at: Path;
  readonly root: Path;
  readonly limits: JsonLimits;
  /** An upper bound of the JSON's size in UTF-8: a UTF-16 unit is at most 6 bytes (an escape: \u0000). */
  bound: number;
  tooDeep: boolean;
}

const found = (w: Walk, code: string, message: string, where: Path = w.at) =>
  w.issues.push(issue([...where], code, message));

function walkJson(w: Walk, v: unknown, depth: number): void {
  if (w.issues.length >= 20) return;
  switch (typeof v) {
    case 'string': {
      w.bound += 6 * v.length + 2;
      const p = textProblem(v);
      if (p) found(w, p.code, p.message);
      return;
    }
    case 'number':
      w.bound += 25;
      if (!Number.isFinite(v))
        found(w, 'not_finite', 'must be a finite number (JSON has no Infinity or NaN)');
      return;
    case 'boolean':
      w.bound += 5;
      return;
    case 'object':
      break;
    default:
      found(w, 'not_json', `a ${typeof v} is not a JSON value`);
      return;
  }
  if (v === null) {
    w.bound += 4;
    return;
  }
  if (depth >= w.limits.maxDepth) {
    if (!w.tooDeep) found(w, 'too_deep', `nests more than ${w.limits.maxDepth} levels deep`, w.root);
    w.tooDeep = true;
    return;
  }
  w.bound += 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      w.bound += 1;
      w.at.push(i);
      walkJson(w, v[i], depth + 1);
      w.at.pop();
    }
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    found(w, 'not_json', 'must be a plain JSON object');
    return;
  }
  for (const k of Object.keys(v)) {
    w.bound += 6 * k.length + 4;
    w.at.push(k);
    const p = textProblem(k);
    if (p) found(w, p.code, `key ${p.message}`);
    walkJson(w, (v as Record<string, unknown>)[k], depth + 1);
    w.at.pop();
  }
}

// The first and last instants of years 1 and 9999 (Date.UTC would read year 1 as 1901).
const FIRST_MS = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

/** Why a timestamp cannot be stored (not a date, or outside years 1..9999 UTC), or undefined. */
export function timestampProblem(
  value: Date | string | number,
): { code: string; message: string } | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (ms >= FIRST_MS && ms <= LAST_MS) return undefined;
  const year = new Date(ms).getUTCFullYear();
  if (Number.isNaN(year)) return { code: 'invalid_date', message: 'is not a date' };
  return {
    code: 'date_out_of_range',
    message: `is in year ${year} (UTC); dates must fall in years ${INPUT_LIMITS.minYear} to ${INPUT_LIMITS.maxYear}`,
  };
}
