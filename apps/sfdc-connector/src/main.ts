#!/usr/bin/env node
import { createClient, StatuskitApiError, StatuskitNetworkError } from '@statuskit/client';
import { Command, CommanderError } from 'commander';
import { check, describeCheck } from './check.js';
import { ConfigError, loadConnectorConfig } from './config.js';
import { EXIT, type ExitCode, exitCodeFor, exitCodeHelp } from './exit-codes.js';
import { SalesforceClient } from './salesforce-client.js';
import { describeSummary, sync } from './sync.js';

const err = (line: string) => process.stderr.write(`${line}\n`);
let exitCode: ExitCode = EXIT.ok;

function statuskitClient(options: { url?: string; key?: string }, required: boolean) {
  const url = options.url ?? process.env.STATUSKIT_URL;
  const apiKey = options.key ?? process.env.STATUSKIT_API_KEY;
  if (!url || !apiKey) {
    if (required)
      throw new ConfigError('statuskit needs --url and --key (or STATUSKIT_URL and STATUSKIT_API_KEY)');
    return undefined;
  }
  return createClient({ url, apiKey });
}

function parseInterval(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m || Number(m[1]) === 0)
    throw new ConfigError(`--interval takes a duration like 30s, 5m or 1h (got ${text})`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

/** One line for the person running the command: what failed and, for statuskit, which side. */
function describeFailure(error: unknown): string {
  if (error instanceof StatuskitApiError) return `statuskit refused the request: ${error.message}`;
  if (error instanceof StatuskitNetworkError) return `statuskit is unreachable: ${error.message}`;
  if (exitCodeFor(error) === EXIT.unexpected) {
    const e = error instanceof Error ? error : new Error(String(error));
    return `unexpected error: ${e.message}${process.env.STATUSKIT_DEBUG ? `\n${e.stack}` : ' (STATUSKIT_DEBUG=1 prints the stack trace)'}`;
  }
  return (error as Error).message;
}

const program = new Command('statuskit-sfdc')
  .description('Keep statuskit account statuses in sync from a Salesforce field.')
  .exitOverride()
  .addHelpText('after', `\n${exitCodeHelp()}`);

program
  .command('check')
  .description(
    'log in, describe the object, verify the fields, and list the values (defined and found in records) with no mapping',
  )
  .requiredOption('-c, --config <file>', 'connector config (JSON)')
  .option('--url <url>', 'statuskit API URL (or STATUSKIT_URL): to check mappings against the catalog')
  .option('--key <key>', 'statuskit API key (or STATUSKIT_API_KEY)')
  .option('--strict', 'exit 1 when coverage is incomplete')
  .action(async (o: { config: string; url?: string; key?: string; strict?: boolean }) => {
    const config = loadConnectorConfig(o.config);
    const report = await check(config, new SalesforceClient(config, { log: err }), statuskitClient(o, false));
    process.stdout.write(`${describeCheck(config, report)}\n`);
    if (report.missingFields.length > 0 || (o.strict && !report.complete)) exitCode = EXIT.check;
  });

program
  .command('sync')
  .description('push statuses modified since the last sync (the first sync reads everything)')
  .requiredOption('-c, --config <file>', 'connector config (JSON)')
  .option('--url <url>', 'statuskit API URL (or STATUSKIT_URL)')
  .option('--key <key>', 'statuskit API key (or STATUSKIT_API_KEY)')
  .option(
    '--dry-run',
    'print the updates that would be pushed (NDJSON), change nothing; reads from the watermark when --url and --key are given',
  )
  .option('--full', 'read everything, ignoring the stored watermark (it never moves back)')
  .option('--watch', 'keep syncing, one session for as long as Salesforce accepts it')
  .option('--interval <duration>', 'time between syncs with --watch', '5m')
  .action(
    async (o: {
      config: string;
      url?: string;
      key?: string;
      dryRun?: boolean;
      full?: boolean;
      watch?: boolean;
      interval: string;
    }) => {
      const config = loadConnectorConfig(o.config);
      const interval = parseInterval(o.interval);
      const statuskit = statuskitClient(o, !o.dryRun);
      if (o.dryRun && !statuskit)
        err('dry run without statuskit (--url and --key): no watermark to read, so it reads everything');
      const salesforce = new SalesforceClient(config, { log: err });
      const once = async () => {
        const summary = await sync(config, salesforce, statuskit, {
          ...(o.full ? { full: true } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
          write: (line) => process.stdout.write(`${line}\n`),
          log: err,
        });
        err(`sync ${config.name}: ${describeSummary(summary)}`);
      };
      if (!o.watch) return once();
      let stopping = false;
      let wake: () => void = () => {};
      const stop = () => {
        stopping = true;
        wake();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      while (!stopping) {
        try {
          await once();
        } catch (error) {
          // A run that fails for a passing reason is logged; the next one tries again. Config errors and bugs end it.
          const code = exitCodeFor(error);
          if (code === EXIT.config || code === EXIT.unexpected) throw error;
          err(`sync ${config.name}: ${describeFailure(error)} (next try in ${o.interval})`);
        }
        if (!stopping)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, interval);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
      }
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  exitCode = exitCodeFor(error);
  // Commander has printed its own message (and the help for --help).
  if (!(error instanceof CommanderError)) err(`statuskit-sfdc: ${describeFailure(error)}`);
}
process.exitCode = exitCode;
