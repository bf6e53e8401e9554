import {
  accountOf,
  asOfOption,
  type ChunkResult,
  type ClassifyConfig,
  csvChunkClassifier,
  recordClassifier,
} from '../classify-records.js';
import { EXIT } from '../cli-error.js';
import { headerCheck } from '../columns.js';
import { type LoadedConfig, loadConfig } from '../config.js';
import { type HeaderState, recordChunks } from '../csv-chunks.js';
import { startProgress } from '../progress.js';
import { detectFormat, type InputBytes, inputFailure, openBytes, READ_BYTES } from '../read-records.js';
import { recordReport, scan } from '../scan.js';
import { count, duration } from '../words.js';
import { csvLine, type OutputFormat, outputFormat, RecordWriter } from '../write-records.js';

export interface ClassifyOptions {
  readonly output?: string;
  readonly format?: string;
  readonly outputFormat?: string;
  readonly idField?: string;
  readonly statusField?: string;
  readonly config?: string;
  readonly rules?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  readonly asOf?: string;
}

interface Counted {
  readonly records: number;
  readonly bad: number;
}

export async function classifyCommand(input: string, options: ClassifyOptions): Promise<number> {
  const started = performance.now();
  const config = loadConfig(options);
  const csvIn = detectFormat(input, options.format) === 'csv';
  const format = outputFormat(options.output, options.outputFormat, csvIn ? 'csv' : 'ndjson');
  const asOf = asOfOption(options.asOf);
  const bytes = csvIn ? openBytes(input) : undefined;
  const run = { options, config, format, asOf };
  const result = await RecordWriter.writing(options.output, (writer) =>
    bytes ? classifyCsv(input, bytes, { ...run, writer }) : classifyRecords(input, { ...run, writer }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (!options.quiet) {
    process.stderr.write(
      `classified ${count(result.records, 'record')} ${duration(seconds, result.records)}` +
        `${result.bad ? `; ${count(result.bad, 'malformed record')} skipped` : ''}\n`,
    );
  }
  return result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}

interface Run {
  readonly options: ClassifyOptions;
  readonly config: ClassifyConfig & Pick<LoadedConfig, 'columns'> & { readonly rules: unknown[] };
  readonly format: OutputFormat;
  readonly asOf: number;
  readonly writer: RecordWriter;
}

/**
 * CSV: cut into chunks of whole records, each parsed and classified in slices; the output is written in
 * input order, honouring backpressure.
 */
async function classifyCsv(path: string, bytes: InputBytes, run: Run): Promise<Counted> {
  const { config, format, asOf, writer } = run;
  const reporter = recordReport(path, run.options.onError);
  const progress = startProgress(bytes.size, bytes.bytesRead, run.options.quiet);
  const state: HeaderState = { header: undefined, check: headerCheck(path, config.columns) };
  let classifyChunk: ((bytes: Uint8Array) => ChunkResult) | undefined;
  let line = 1;
  let records = 0;
  try {
    for await (const { bytes: chunk, dialect } of recordChunks(bytes.stream, READ_BYTES)) {
      classifyChunk ??= csvChunkClassifier(config, asOf, format, dialect, state);
      const result = classifyChunk(chunk);
      for (const b of result.bad) reporter.onBad({ line: line + b.line, message: b.message });
      for (const s of result.short) reporter.onShort(line + s);
      line += result.lines;
      records += result.records;
      writer.writeChunk(result.out);
      await writer.flush();
      progress.update(records);
    }
  } catch (error) {
    progress.stop(records);
    throw inputFailure(path, bytes, error, records);
  }
  progress.stop(records);
  reporter.finish();
  return { records, bad: reporter.count() };
}

/** NDJSON and JSON input: record by record, written as NDJSON or as CSV under the first record's keys. */
async function classifyRecords(path: string, run: Run): Promise<Counted> {
  const { config, format, asOf, writer } = run;
  const rc = recordClassifier(config, asOf);
  let columns: string[] | undefined;
  let keys: string[] = [];
  const scanning = { ...run.options, required: config.columns, afterBatch: () => writer.flush() };
  const result = await scan(path, scanning, ({ record }) => {
    const account = accountOf(record, config);
    if (format === 'ndjson') {
      writer.writeChunk(rc.jsonLine(record, account));
      return;
    }
    if (!columns) {
      keys = Object.keys(record);
      columns = rc.columns(keys);
      writer.writeChunk(`${csvLine(columns)}\n`);
    }
    writer.writeChunk(
      rc.csvRow(
        keys.map((k) => record[k]),
        account,
      ),
    );
  });
  return { records: result.records, bad: result.bad };
}
