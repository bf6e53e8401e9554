/** Exit codes scripts can rely on (documented in --help and the README). */
export const EXIT = {
  ok: 0,
  /** Bad input: malformed records were skipped, a validation failed, or the input is truncated or corrupt. */
  badRecords: 1,
  /** Usage: unknown command or option, missing file or column, missing or unreadable config, unknown mapper. */
  usage: 2,
  /** --fail-on-unknown tripped. */
  unknownThreshold: 3,
  /** The API was unreachable or rejected the request. */
  api: 4,
} as const;

/** An error the CLI reports as one line on stderr, exiting with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.usage,
  ) {
    super(message);
  }
}
