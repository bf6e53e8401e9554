import cliProgress from 'cli-progress';
import { CliError, EXIT } from './cli-error.js';
import { type BadRecord, type OpenedInput, openInput, type SourceRecord } from './read-records.js';

export interface ScanOptions {
  readonly format?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  /** CSV: build an object per row (default true); commands that read cells by index turn it off. */
  readonly objects?: boolean;
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
 * Reads every record of an input and hands it to `each`. Malformed records are reported on stderr with
 * their line, then skipped and counted (`--on-error skip`, the default) or stop the run (`fail`). Progress
 * (rows, rows/s, ETA when the size is known) goes to stderr only when it is a terminal.
 */
export async function scan(
  path: string,
  options: ScanOptions,
  each: (r: SourceRecord, input: OpenedInput) => void | Promise<void>,
): Promise<ScanResult> {
  const onError = options.onError ?? 'skip';
  if (onError !== 'skip' && onError !== 'fail')
    throw new CliError(`--on-error must be skip or fail (got ${onError})`);
  const input = openInput(path, options.format, { objects: options.objects !== false });
  const started = performance.now();
  let records = 0;
  let bad = 0;
  let shownBad = 0;
  const onBad = (b: BadRecord) => {
    bad++;
    if (onError === 'fail') throw new CliError(`${path}:${b.line}: ${b.message}`, EXIT.badRecords);
    if (shownBad++ < 20) process.stderr.write(`${path}:${b.line}: skipped: ${b.message}\n`);
    else if (shownBad === 21) process.stderr.write('(more skipped records are counted, not shown)\n');
  };
  const bar =
    process.stderr.isTTY && !options.quiet
      ? new cliProgress.SingleBar(
          {
            format: input.size
              ? ' {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}'
              : ' {rows} rows | {rate} rows/s',
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(input.size ?? 1, 0, { rows: 0, rate: 0 });
  let lastTick = 0;
  for await (const batch of input.batches(onBad)) {
    for (const r of batch) {
      const pending = each(r, input);
      if (pending) await pending;
    }
    records += batch.length;
    await options.afterBatch?.();
    if (bar) {
      const now = performance.now();
      if (now - lastTick > 200) {
        lastTick = now;
        bar.update(input.size ? input.bytesRead() : 1, {
          rows: records.toLocaleString('en-US'),
          rate: Math.round(records / ((now - started) / 1000)).toLocaleString('en-US'),
        });
      }
    }
  }
  bar?.update(input.size ?? 1, {
    rows: records.toLocaleString('en-US'),
    rate: Math.round(records / ((performance.now() - started) / 1000)).toLocaleString('en-US'),
  });
  bar?.stop();
  return { records, bad, seconds: (performance.now() - started) / 1000, input };
}
