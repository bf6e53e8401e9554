import { CliError, EXIT } from './cli-error.js';
import { startProgress } from './progress.js';
import { type BadRecord, type OpenedInput, openInput, type SourceRecord } from './read-records.js';

export interface ScanOptions {
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

/**
 * Malformed records are reported on stderr with their line (the first 20), then skipped and counted
 * (`--on-error skip`, the default) or stop the run (`fail`).
 */
export function badRecords(path: string, onError = 'skip') {
  if (onError !== 'skip' && onError !== 'fail')
    throw new CliError(`--on-error must be skip or fail (got ${onError})`);
  let bad = 0;
  return {
    onBad(b: BadRecord) {
      bad++;
      if (onError === 'fail') throw new CliError(`${path}:${b.line}: ${b.message}`, EXIT.badRecords);
      if (bad <= 20) process.stderr.write(`${path}:${b.line}: skipped: ${b.message}\n`);
      else if (bad === 21) process.stderr.write('(more skipped records are counted, not shown)\n');
    },
    count: () => bad,
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
  const reporter = badRecords(path, options.onError);
  const input = openInput(path, options.format);
  const started = performance.now();
  let records = 0;
  const progress = startProgress(input.size, input.bytesRead, options.quiet);
  for await (const batch of input.batches(reporter.onBad)) {
    for (const r of batch) {
      const pending = each(r, input);
      if (pending) await pending;
    }
    records += batch.length;
    await options.afterBatch?.();
    progress.update(records);
  }
  progress.stop(records);
  return { records, bad: reporter.count(), seconds: (performance.now() - started) / 1000, input };
}
