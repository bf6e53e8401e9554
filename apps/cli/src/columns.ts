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
