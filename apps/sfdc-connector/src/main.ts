#!/usr/bin/env node
import { createClient, StatuskitApiError, StatuskitNetworkError } from '@statuskit/client';
import { Command, CommanderError } from 'commander';
import { check, describeCheck } from './check.js';
import { ConfigError, loadConnectorConfig } from './config.js';
import { SalesforceClient, SalesforceError, StopSync } from './salesforce-client.js';
import { describeSummary, sync } from './sync.js';

const err = (line: string) => process.stderr.write(`${line}\n`);
let exitCode = 0;

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
  if (!m) throw new ConfigError(`--interval takes a duration like 30s, 5m or 1h (got ${text})`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

const program = new Command('statuskit-sfdc')
  .description('Keep statuskit account statuses in sync from a Salesforce field.')
  .exitOverride()
  .addHelpText(
    'after',
    '\nExit codes: 0 ok; 1 coverage incomplete (check --strict) or sync stopped; 2 config or usage; 4 statuskit or Salesforce unreachable or refusing.',
  );

program
  .command('check')
  .description('log in, describe the object, verify the fields, and list picklist values with no mapping')
  .requiredOption('-c, --config <file>', 'connector config (JSON)')
  .option('--url <url>', 'statuskit API URL (or STATUSKIT_URL): to check mappings against the catalog')
  .option('--key <key>', 'statuskit API key (or STATUSKIT_API_KEY)')
  .option('--strict', 'exit 1 when coverage is incomplete')
  .action(async (o: { config: string; url?: string; key?: string; strict?: boolean }) => {
    const config = loadConnectorConfig(o.config);
    const report = await check(config, new SalesforceClient(config, { log: err }), statuskitClient(o, false));
    process.stdout.write(`${describeCheck(config, report)}\n`);
    if (report.missingFields.length > 0 || (o.strict && !report.complete)) exitCode = 1;
  });

program
  .command('sync')
  .description('push statuses modified since the last sync (the first sync reads everything)')
  .requiredOption('-c, --config <file>', 'connector config (JSON)')
  .option('--url <url>', 'statuskit API URL (or STATUSKIT_URL)')
  .option('--key <key>', 'statuskit API key (or STATUSKIT_API_KEY)')
  .option('--dry-run', 'print the updates that would be pushed (NDJSON), change nothing')
  .option('--full', 'read everything, ignoring the stored watermark')
  .option('--watch', 'keep syncing')
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
      const once = async () => {
        const salesforce = new SalesforceClient(config, { log: err });
        const summary = await sync(config, salesforce, o.dryRun ? undefined : statuskit, {
          ...(o.full ? { full: true } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
          write: (line) => process.stdout.write(`${line}\n`),
          log: err,
        });
        err(`sync ${config.name}: ${describeSummary(summary)}`);
      };
      if (!o.watch) return once();
      let stopping = false;
      process.once('SIGINT', () => {
        stopping = true;
      });
      process.once('SIGTERM', () => {
        stopping = true;
      });
      while (!stopping) {
        try {
          await once();
        } catch (error) {
          if (
            error instanceof StopSync ||
            error instanceof SalesforceError ||
            error instanceof StatuskitNetworkError
          )
            err(`sync ${config.name}: ${error.message} (next try in ${o.interval})`);
          else throw error;
        }
        for (let waited = 0; waited < interval && !stopping; waited += 250)
          await new Promise((r) => setTimeout(r, 250));
      }
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) exitCode = error.exitCode === 0 ? 0 : 2;
  else if (error instanceof ConfigError) {
    err(`statuskit-sfdc: ${error.message}`);
    exitCode = 2;
  } else if (error instanceof StopSync) {
    err(`statuskit-sfdc: ${error.message}`);
    exitCode = 1;
  } else if (
    error instanceof StatuskitApiError ||
    error instanceof StatuskitNetworkError ||
    error instanceof SalesforceError
  ) {
    err(`statuskit-sfdc: ${error.message}`);
    exitCode = 4;
  } else {
    err(
      `statuskit-sfdc: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    exitCode = 2;
  }
}
process.exitCode = exitCode;
