import {
  ATTRIBUTES_LIMITS,
  formatPath,
  INPUT_LIMITS,
  type JsonLimits,
  jsonProblems,
  StatuskitValidationError,
  textProblem,
  timestampProblem,
  type ValidationIssue,
} from '@statuskit/core';

/**
 * Input the store refuses because the database could not hold it as given (NUL, unpaired surrogates, dates
 * outside years 1..9999, JSON too deep or too big, an `observedAt` too far in the future), with every
 * problem and its path. The API checks the same limits first (`INPUT_LIMITS` of `@statuskit/core`); this is
 * the same check again for code that uses the store directly.
 */
export class InvalidInputError extends StatuskitValidationError {
  override readonly name = 'InvalidInputError';
}

type Path = (string | number)[];

const problem = (path: Path, code: string, message: string): ValidationIssue => ({
  path,
  at: formatPath(path),
  code,
  message,
});

/** Why a text field cannot be stored: its type, its length, or characters the database cannot store. */
function textFieldProblem(value: unknown, maxLength?: number): { code: string; message: string } | undefined {
  if (typeof value !== 'string') return { code: 'invalid_type', message: 'must be a string' };
  const p = textProblem(value);
  if (p) return p;
  if (maxLength !== undefined && value.length > maxLength)
    return { code: 'too_big', message: `must be at most ${maxLength} characters` };
  return undefined;
}

/** Problems of one text field, with its path. */
export function textIssues(value: unknown, path: Path, maxLength?: number): ValidationIssue[] {
  const p = textFieldProblem(value, maxLength);
  return p ? [problem(path, p.code, p.message)] : [];
}

/** Throws InvalidInputError when any of the issues is there. */
export function refuse(subject: string, issues: readonly ValidationIssue[]): void {
  if (issues.length > 0) throw new InvalidInputError(subject, issues);
}

/** Refuses text lookup keys (ids, cursors, filters) the database cannot hold; undefined ones are skipped. */
export function checkKeys(fields: Readonly<Record<string, string | undefined>>): void {
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(fields))
    if (value !== undefined) issues.push(...textIssues(value, [name]));
  refuse('lookup', issues);
}

export function checkJson(subject: string, value: unknown, limits: JsonLimits): void {
  refuse(subject, jsonProblems(value, limits));
}

/** An update as the store receives it (see IncomingUpdate), checked field by field. */
interface UpdateFields {
  readonly accountId: unknown;
  readonly status: unknown;
  readonly observedAt?: unknown;
  readonly source?: unknown;
  readonly name?: unknown;
  readonly attributes?: unknown;
}

const MAX_REPORTED = 100;

/**
 * Checks a batch of updates: every text field, the observation time (years 1..9999 UTC, at most
 * `maxFutureSkewMs` after `now`) and the attributes (depth, size, text). Throws InvalidInputError with the
 * problems of every update (at most 100), paths starting with the update's index.
 */
export function checkUpdates(updates: readonly UpdateFields[], now: Date, maxFutureSkewMs: number): void {
  const issues: ValidationIssue[] = [];
  const latest = now.getTime() + maxFutureSkewMs;
  // Paths are built only for a problem: a batch of valid updates allocates next to nothing here.
  const text = (i: number, field: string, value: unknown, maxLength?: number) => {
    const p = textFieldProblem(value, maxLength);
    if (p) issues.push(problem([i, field], p.code, p.message));
  };
  for (let i = 0; i < updates.length && issues.length < MAX_REPORTED; i++) {
    const u = updates[i] as UpdateFields;
    if (u === null || typeof u !== 'object') {
      issues.push(problem([i], 'invalid_type', 'an update must be an object'));
      continue;
    }
    text(i, 'accountId', u.accountId, INPUT_LIMITS.accountIdLength);
    if (u.accountId === '') issues.push(problem([i, 'accountId'], 'too_small', 'must not be empty'));
    if (u.status !== null) text(i, 'status', u.status, INPUT_LIMITS.statusLength);
    if (u.name !== undefined) text(i, 'name', u.name, INPUT_LIMITS.accountNameLength);
    if (u.source !== undefined) text(i, 'source', u.source);
    if (u.observedAt !== undefined) {
      const at = u.observedAt;
      const ms = at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : undefined;
      const p =
        ms === undefined
          ? { code: 'invalid_type', message: 'must be a Date or an ISO 8601 string' }
          : timestampProblem(ms);
      if (p) issues.push(problem([i, 'observedAt'], p.code, p.message));
      else if ((ms as number) > latest)
        issues.push(
          problem(
            [i, 'observedAt'],
            'in_future',
            `is more than ${Math.round(maxFutureSkewMs / 1000)} seconds after the server's time (${now.toISOString()})`,
          ),
        );
    }
    if (u.attributes !== undefined) {
      const a = u.attributes;
      if (a === null || typeof a !== 'object' || Array.isArray(a))
        issues.push(problem([i, 'attributes'], 'invalid_type', 'must be an object'));
      else {
        const found = jsonProblems(a, ATTRIBUTES_LIMITS);
        for (const f of found) issues.push(problem([i, 'attributes', ...f.path], f.code, f.message));
      }
    }
  }
  refuse('status updates', issues.slice(0, MAX_REPORTED));
}
