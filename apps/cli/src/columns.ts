import { CliError } from './cli-error.js';

/** A column the input must have, and where its name came from (for the message when it is not there). */
export interface RequiredColumn {
  readonly name: string;
  /** `--status-field`, `fields.status in statuskit.config.json`, `the default; set --status-field`. */
  readonly from: string;
}

/**
 * A check of a CSV header: a required column that is not in it stops the run (exit 2) with a message
 * naming the column and where its name came from, listing the header, and offering the column that
 * differs only in case.
 */
export function headerCheck(path: string, required: readonly RequiredColumn[]) {
  return (header: readonly string[]): void => {
    for (const column of required) {
      if (header.includes(column.name)) continue;
      const lower = column.name.toLowerCase();
      const similar = header.find((h) => h.toLowerCase() === lower);
      throw new CliError(
        `${path === '-' ? 'stdin' : path} has no column ${column.name} (${column.from}); its columns: ${header.join(', ')}.${similar ? ` Did you mean ${similar}?` : ''}`,
      );
    }
  };
}

/**
 * For inputs without a header (NDJSON, JSON): remembers which required fields some record had, and warns
 * at the end about a field no record had (a typo, or the wrong case), offering a key that differs only in
 * case.
 */
export function fieldsSeen(path: string, required: readonly RequiredColumn[]) {
  const missing = new Set(required.map((c) => c.name));
  const similar = new Map<string, string>();
  return {
    note(record: Record<string, unknown>): void {
      if (missing.size === 0) return;
      for (const name of missing) {
        if (Object.hasOwn(record, name)) missing.delete(name);
        else if (!similar.has(name)) {
          const lower = name.toLowerCase();
          const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
          if (key !== undefined) similar.set(name, key);
        }
      }
    },
    warn(records: number): void {
      if (records === 0) return;
      for (const column of required) {
        if (!missing.has(column.name)) continue;
        const hint = similar.get(column.name);
        process.stderr.write(
          `warning: no record of ${path === '-' ? 'stdin' : path} has a field ${column.name} (${column.from})${hint ? `; did you mean ${hint}?` : ''}\n`,
        );
      }
    },
  };
}
