import { CliError, EXIT } from './cli-error.js';
import { fieldsSeen, headerCheck, type RequiredColumn } from './columns.js';
import { startProgress } from './progress.js';
import {
  type BadRecord,
  inputFailure,
  type OpenedInput,
  type OpenOptions,
  openInput,
  type RecordReport,
  type SourceRecord,
} from './read-records.js';
import { count } from './words.js';

export interface ScanOptions extends Omit<OpenOptions, 'checkHeader'> {
  /**
   * Fields every record should have: a CSV header without one stops the run (exit 2); for NDJSON and JSON,
   * a field no record had is warned about at the end.
   */
  readonly required?: readonly RequiredColumn[];
  readonly format?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  /** Called after each batch of records (a writer flushes here, honouring backpressure). */
  readonly afterBatch?: () => Promise<void>;
}

export interface ScanResult {
  readonly records: number;
  readonly bad: number;
  readonly seconds: number;
  readonly input: OpenedInput;
}

/** Short rows: their first lines are named in the warning. */
const SHORT_LINES_SHOWN = 5;

/**
 * Malformed records are reported on stderr with their line (the first 20), then skipped and counted
 * (`--on-error skip`, the default) or stop the run (`fail`). Short CSV rows are counted, and `finish`
 * reports them once, with their first lines.
 */
export function recordReport(
  path: string,
  onError = 'skip',
): RecordReport & {
  count(): number;
  finish(): void;
} {
  if (onError !== 'skip' && onError !== 'fail')
    throw new CliError(`--on-error must be skip or fail (got ${onError})`);
  let bad = 0;
  let short = 0;
  const shortLines: number[] = [];
  return {
    onBad(b: BadRecord) {
      bad++;
      if (onError === 'fail') throw new CliError(`${path}:${b.line}: ${b.message}`, EXIT.badRecords);
      if (bad <= 20) process.stderr.write(`${path}:${b.line}: skipped: ${b.message}\n`);
      else if (bad === 21) process.stderr.write('(more skipped records are counted, not shown)\n');
    },
    onShort(line: number) {
      short++;
      if (shortLines.length < SHORT_LINES_SHOWN) shortLines.push(line);
    },
    count: () => bad,
    finish() {
      if (short === 0) return;
      const more =
        short > shortLines.length ? `, and ${(short - shortLines.length).toLocaleString('en-US')} more` : '';
      process.stderr.write(
        `warning: ${path}: ${count(short, 'row has', 'rows have')} fewer fields than the header; their missing trailing fields are read as empty (${shortLines.length === 1 ? 'line' : 'lines'} ${shortLines.join(', ')}${more})\n`,
      );
    },
  };
}

/**
 * Reads every record of an input and hands it to `each`. Malformed records go to `badRecords`. Progress
 * (rows, rows/s, ETA when the size is known) goes to stderr only when it is a terminal.
 */
export async function scan(
  path: string,
  options: ScanOptions,
  each: (r: SourceRecord, input: OpenedInput) => void | Promise<void>,
): Promise<ScanResult> {
  const reporter = recordReport(path, options.onError);
  const required = options.required ?? [];
  const input = openInput(path, options.format, {
    ...(options.objects ? { objects: true } : {}),
    ...(required.length ? { checkHeader: headerCheck(path, required) } : {}),
  });
  const seen = input.format !== 'csv' && required.length ? fieldsSeen(path, required) : undefined;
  const started = performance.now();
  let records = 0;
  const progress = startProgress(input.size, input.bytesRead, options.quiet);
  try {
    for await (const batch of input.batches(reporter)) {
      for (const r of batch) {
        seen?.note(r.record);
        const pending = each(r, input);
        if (pending) await pending;
      }
      records += batch.length;
      await options.afterBatch?.();
      progress.update(records);
    }
  } catch (error) {
    progress.stop(records);
    throw inputFailure(path, input, error, records);
  }
  progress.stop(records);
  reporter.finish();
  seen?.warn(records);
  return { records, bad: reporter.count(), seconds: (performance.now() - started) / 1000, input };
}
