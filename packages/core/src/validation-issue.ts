import type * as z from 'zod';

/** One problem found in user input, with the JSON path of the bad part. */
export interface ValidationIssue {
  /** Path segments from the root of the input, e.g. `['statuses', 2, 'type']`. */
  readonly path: readonly (string | number)[];
  /** The same path written as `statuses[2].type` (`(root)` for the input itself). */
  readonly at: string;
  readonly message: string;
  readonly code: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out || '(root)';
}

export function issue(path: readonly (string | number)[], code: string, message: string): ValidationIssue {
  return { path, at: formatPath(path), code, message };
}

/** Zod's issues with their paths; a custom issue's `params.code` (`nul_character`) becomes its code. */
export function issuesFromZod(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const custom = i.code === 'custom' ? (i as { params?: { code?: unknown } }).params?.code : undefined;
    return issue(path, typeof custom === 'string' ? custom : i.code, i.message);
  });
}

/** Thrown by `defineCatalog`, `parseRules` and other parse-or-throw entry points. */
export class StatuskitValidationError extends Error {
  override readonly name: string = 'StatuskitValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, issues: readonly ValidationIssue[]) {
    const lines = issues.map((i) => `  - ${i.at}: ${i.message}`);
    super(`Invalid ${subject}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}
