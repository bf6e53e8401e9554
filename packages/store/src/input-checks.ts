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

/** Problems of one text field: its type, its length, and characters the database cannot store. */
export function textIssues(value: unknown, path: Path, maxLength?: number): ValidationIssue[] {
  if (typeof value !== 'string') return [problem(path, 'invalid_type', 'must be a string')];
  const p = textProblem(value);
  if (p) return [problem(path, p.code, p.message)];
  if (maxLength !== undefined && value.length > maxLength)
    return [problem(path, 'too_big', `must be at most ${maxLength} characters`)];
  return [];
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
  for (let i = 0; i < updates.length && issues.length < MAX_REPORTED; i++) {
    const u = updates[i] as UpdateFields;
    if (u === null || typeof u !== 'object') {
      issues.push(problem([i], 'invalid_type', 'an update must be an object'));
      continue;
    }
    issues.push(...textIssues(u.accountId, [i, 'accountId'], INPUT_LIMITS.accountIdLength));
    if (u.accountId === '') issues.push(problem([i, 'accountId'], 'too_small', 'must not be empty'));
    if (u.status !== null) issues.push(...textIssues(u.status, [i, 'status'], INPUT_LIMITS.statusLength));
    if (u.name !== undefined) issues.push(...textIssues(u.name, [i, 'name'], INPUT_LIMITS.accountNameLength));
    if (u.source !== undefined) issues.push(...textIssues(u.source, [i, 'source']));
    if (u.observedAt !== undefined) {
      const at = u.observedAt;
      const p =
        at instanceof Date || typeof at === 'string'
          ? timestampProblem(at)
          : { code: 'invalid_type', message: 'must be a Date or an ISO 8601 string' };
      if (p) issues.push(problem([i, 'observedAt'], p.code, p.message));
      else if (new Date(at as Date | string).getTime() > latest)
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
      else issues.push(...jsonProblems(a, ATTRIBUTES_LIMITS, [i, 'attributes']));
    }
  }
  refuse('status updates', issues.slice(0, MAX_REPORTED));
}
