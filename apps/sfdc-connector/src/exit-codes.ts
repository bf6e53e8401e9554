import { StatuskitApiError, StatuskitNetworkError } from '@statuskit/client';
import { CommanderError } from 'commander';
import { ConfigError } from './config.js';
import { SalesforceError, StopSync } from './salesforce-client.js';

/** Exit codes scripts can rely on: one table, printed by `--help` and kept in the README (a test holds them equal). */
export const EXIT = {
  ok: 0,
  check: 1,
  config: 2,
  limit: 3,
  salesforce: 4,
  statuskit: 5,
  unexpected: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'ok: the sync finished (skipped records are counted in the summary), or check found nothing to fix',
  1: 'check: a configured field is missing, or (with --strict) coverage is incomplete',
  2: 'usage or config: bad option, unreadable or invalid config, unset environment variable, a field or object Salesforce does not have, a `where` Salesforce rejects',
  3: "Salesforce API limit: the sync's share (apiShare) is used up, or Salesforce answers REQUEST_LIMIT_EXCEEDED after every retry; run again later",
  4: 'Salesforce refused or failed: login refused, unreachable, no complete answer within the timeout after every retry, or an error answer',
  5: 'statuskit refused or is unreachable (bad URL or API key, an update it rejects)',
  70: 'unexpected error (a bug: please report it with STATUSKIT_DEBUG=1 output)',
};

/** The table as `--help` prints it. */
export function exitCodeHelp(): string {
  return `Exit codes:\n${Object.entries(EXIT_MEANINGS)
    .map(([code, meaning]) => `  ${code.padEnd(2)} ${meaning}`)
    .join('\n')}`;
}

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.config;
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof StopSync)
    return error.kind === 'limit' ? EXIT.limit : error.kind === 'config' ? EXIT.config : EXIT.salesforce;
  if (error instanceof SalesforceError) return EXIT.salesforce;
  if (error instanceof StatuskitApiError || error instanceof StatuskitNetworkError) return EXIT.statuskit;
  return EXIT.unexpected;
}
