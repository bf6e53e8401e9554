#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './cli-error.js';

// Commands load on use: start-up is part of every run's time.
const classifyCommand = async (...a: Parameters<typeof import('./commands/classify.js').classifyCommand>) =>
  (await import('./commands/classify.js')).classifyCommand(...a);
const mapCommand = async (...a: Parameters<typeof import('./commands/map.js').mapCommand>) =>
  (await import('./commands/map.js')).mapCommand(...a);
const pushCommand = async (...a: Parameters<typeof import('./commands/push.js').pushCommand>) =>
  (await import('./commands/push.js')).pushCommand(...a);
const reportCommand = async (...a: Parameters<typeof import('./commands/report.js').reportCommand>) =>
  (await import('./commands/report.js')).reportCommand(...a);
const rulesTestCommand = async (
  ...a: Parameters<typeof import('./commands/rules-test.js').rulesTestCommand>
) => (await import('./commands/rules-test.js')).rulesTestCommand(...a);
const validate = () => import('./commands/validate.js');
const catalogValidateCommand = async (file?: string) => (await validate()).catalogValidateCommand(file);
const rulesValidateCommand = async (file?: string) => (await validate()).rulesValidateCommand(file);
const initCommand = async (o: { force?: boolean }) => (await validate()).initCommand(o);

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// The same lines stand in the README's table of exit codes (a test keeps the two equal).
const EXIT_CODES = `
Exit codes:
  0  ok
  1  bad input: malformed records were skipped, a validation failed, or the input is truncated or corrupt
  2  usage: unknown option, missing file or column, missing or unreadable config, unknown mapper
  3  --fail-on-unknown tripped
  4  the API was unreachable or rejected a request`;

const inputOptions = (cmd: Command) =>
  cmd
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension; needed for stdin)').choices(
        ['csv', 'ndjson', 'json'],
      ),
    )
    .addOption(
      new Option(
        '--on-error <mode>',
        'malformed records: skip and count (exit 1 at the end), or fail at the first',
      )
        .choices(['skip', 'fail'])
        .default('skip'),
    )
    .option('-q, --quiet', 'no progress, no summary on stderr');

const classifyOptions = (cmd: Command) =>
  inputOptions(cmd)
    .option(
      '-c, --config <file>',
      'statuskit.config.json with catalog, rules, field names (default: ./statuskit.config.json if present)',
    )
    .option('--rules <file>', "rules to use instead of the config's")
    .option('--id-field <name>', 'column / property with the account id (default: id)')
    .option('--status-field <name>', 'column / property with the status (default: status)')
    .option('--as-of <date>', 'the day daysInStatus counts to (default: now)');

let exitCode: number = EXIT.ok;
const run =
  (fn: (...args: never[]) => Promise<number> | number) =>
  async (...args: unknown[]) => {
    exitCode = await fn(...(args as never[]));
  };

const program = new Command('statuskit')
  .description('Classify, report, test rules, map and push account statuses from files of any size.')
  .version(version, '-v, --version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText('after', EXIT_CODES);

program
  .command('init')
  .description('write statuskit.config.json: the default catalog, no rules, field names')
  .option('--force', 'replace an existing file')
  .action(run((o: { force?: boolean }) => initCommand(o)));

const catalog = program.command('catalog').description('catalog commands');
catalog
  .command('validate [file]')
  .description("check a catalog (or a config's catalog); errors carry the JSON path")
  .addHelpText('after', '\nExample:\n  statuskit catalog validate catalog.json')
  .action(run((file?: string) => catalogValidateCommand(file)));

const rules = program.command('rules').description('rule commands');
rules
  .command('validate [file]')
  .description(
    "check rules (or a config's rules); errors carry the JSON path, warnings flag surprising rules",
  )
  .action(run((file?: string) => rulesValidateCommand(file)));
classifyOptions(
  rules
    .command('test <input>')
    .description(
      'per rule: how many accounts it includes or excludes, with examples; --compare shows who enters and leaves health',
    )
    .option('--compare <file>', 'the current rules, to compare with')
    .option('--examples <n>', 'examples per rule', '3')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExample:\n  statuskit rules test accounts.csv --rules new-rules.json --compare rules.json',
    ),
).action(run((input: string, o: never) => rulesTestCommand(input, o)));

classifyOptions(
  program
    .command('classify <input>')
    .description(
      'add statusType, status, plan, unknownReason, eligible and reasons to every record (CSV, NDJSON or JSON; - for stdin; .gz read and written)',
    )
    .option('-o, --output <file>', 'output file, replaced only when the run succeeds (default: stdout)')
    .addOption(
      new Option(
        '--output-format <format>',
        'output format (default: from -o, else CSV for CSV input, NDJSON otherwise)',
      ).choices(['csv', 'ndjson']),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  statuskit classify accounts.csv -o classified.csv\n  gunzip -c export.ndjson.gz | statuskit classify - --format ndjson --status-field Customer_Status__c',
    ),
).action(run((input: string, o: never) => classifyCommand(input, o)));

classifyOptions(
  program
    .command('report <input>')
    .description(
      'summary: counts by status and type, Unknown by reason and value, eligible and excluded by reason',
    )
    .option('--json', 'machine-readable output')
    .option('--fail-on-unknown [n]', 'exit 3 when more than n accounts (default 0) are Unknown')
    .addHelpText('after', '\nExample:\n  statuskit report accounts.csv --fail-on-unknown=100'),
).action(run((input: string, o: never) => reportCommand(input, o)));

inputOptions(
  program
    .command('map [input]')
    .description(
      'apply a mapper to source records (NDJSON, CSV, a JSON array, a Stripe or Chargebee list object, or one webhook body; stdin as NDJSON); writes status updates as NDJSON, reports skips by reason',
    )
    .requiredOption('-m, --mapper <name|module>', 'field, stripe, chargebee, or a module exporting a mapper')
    .option('-c, --config <file>', "the mapper's config (JSON; stripe, chargebee and field need one)")
    .option('-o, --output <file>', 'output file, replaced only when the run succeeds (default: stdout)')
    .option('--no-combine', "keep every update when a mapper would combine one account's records")
    .addHelpText(
      'after',
      '\nExamples:\n  statuskit map --mapper stripe --config stripe.json < subscriptions.ndjson > updates.ndjson\n  statuskit map --mapper ./my-mapper.js export.csv',
    ),
).action(
  run((input: string | undefined, o: { format?: string }) =>
    mapCommand(input ?? '-', {
      ...o,
      format: o.format ?? (input === undefined || input === '-' ? 'ndjson' : undefined),
    } as never),
  ),
);

inputOptions(
  program
    .command('push <input>')
    .description('send status updates to the API in batches; a re-run sends nothing twice')
    .option('--url <url>', 'API URL (or STATUSKIT_URL)')
    .option('--key <key>', 'API key (or STATUSKIT_API_KEY)')
    .option('--batch-size <n>', 'updates per request', '1000')
    .option('--retries <n>', 'retries per batch on 429, 5xx and network errors', '5')
    .option('--dry-run', 'validate and count, send nothing')
    .addHelpText(
      'after',
      '\nExample:\n  statuskit map --mapper stripe --config stripe.json subs.ndjson -o updates.ndjson && statuskit push updates.ndjson',
    ),
).action(run((input: string, o: never) => pushCommand(input, o)));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof CliError) {
    process.stderr.write(`statuskit: ${error.message}\n`);
    exitCode = error.code;
  } else {
    // A fault of statuskit or of a mapper module: one line; the stack only when asked for.
    const debug = process.env.STATUSKIT_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
    process.stderr.write(
      `statuskit: unexpected error: ${error instanceof Error ? error.message : String(error)}${debug || ' (STATUSKIT_DEBUG=1 shows where)'}\n`,
    );
    exitCode = EXIT.usage;
  }
}
process.exitCode = exitCode;
// For the benchmark: peak resident memory of this process, in KiB.
if (process.env.STATUSKIT_REPORT_RSS) process.stderr.write(`maxRSS=${process.resourceUsage().maxRSS}\n`);
