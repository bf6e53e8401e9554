import { classify, evaluate, type HealthSummary, HealthTally } from '@statuskit/core';
import { accountOf, asOfOption } from '../classify-records.js';
import { CliError, EXIT } from '../cli-error.js';
import { loadConfig } from '../config.js';
import { scan } from '../scan.js';
import { count } from '../words.js';
import type { ClassifyOptions } from './classify.js';

export interface ReportOptions extends ClassifyOptions {
  readonly json?: boolean;
  readonly failOnUnknown?: string | boolean;
}

function table(title: string, rows: [string, number][], total?: number): string {
  if (rows.length === 0) return `${title}\n  (none)\n`;
  const width = Math.max(...rows.map(([k]) => k.length), 8);
  const lines = rows.map(
    ([k, v]) =>
      `  ${k.padEnd(width)}  ${v.toLocaleString('en-US').padStart(10)}${total ? `  ${((v / total) * 100).toFixed(1).padStart(5)}%` : ''}`,
  );
  return `${title}\n${lines.join('\n')}\n`;
}

export function renderReport(s: HealthSummary, bad: number): string {
  const byCount = (o: Readonly<Record<string, number>>) => Object.entries(o).sort((a, b) => b[1] - a[1]);
  return [
    `accounts: ${s.total.toLocaleString('en-US')}${bad ? ` (${count(bad, 'malformed record')} skipped)` : ''}\n`,
    table('by status-type', byCount(s.byType), s.total),
    table('by status', byCount(s.byStatus), s.total),
    table(
      'Unknown by reason',
      byCount(s.unknown.byReason).filter(([, n]) => n > 0),
      s.total,
    ),
    table(
      'Unknown by raw value (top 20)',
      s.unknown.byValue.slice(0, 20).map((v) => [`${JSON.stringify(v.value)} (${v.reason})`, v.count]),
    ),
    table(
      'health calculation',
      [
        ['eligible', s.eligible],
        ['excluded', s.excluded],
      ],
      s.total,
    ),
    table('excluded by reason', byCount(s.excludedByReason), s.total),
  ].join('\n');
}

export function unknownThreshold(option: string | boolean | undefined): number | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true || option === '') return 0;
  const n = Number(option);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`--fail-on-unknown takes a whole number (got ${option})`);
  return n;
}

export async function reportCommand(input: string, options: ReportOptions): Promise<number> {
  const threshold = unknownThreshold(options.failOnUnknown);
  const config = loadConfig(options);
  const asOf = asOfOption(options.asOf);
  const tally = new HealthTally(config.catalog, config.evaluator, { asOf });
  const evaluateOptions = { asOf };
  const result = await scan(input, { ...options, required: config.columns }, ({ record }) => {
    const account = accountOf(record, config);
    const c = classify(account, config.catalog);
    tally.record(account, c, evaluate(c, account, config.evaluator, evaluateOptions));
  });
  const summary = tally.summary();
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ ...summary, malformed: result.bad }, null, 2)}\n`
      : renderReport(summary, result.bad),
  );
  if (threshold !== undefined && summary.unknown.total > threshold) {
    process.stderr.write(
      `${count(summary.unknown.total, 'account is', 'accounts are')} Unknown (more than ${threshold}): failing as asked by --fail-on-unknown\n`,
    );
    return EXIT.unknownThreshold;
  }
  return result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
