import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError, EXIT } from './cli-error.js';
import { type HeaderState, parseRecordChunk, recordChunks, recordOf } from './csv-chunks.js';
import { count } from './words.js';

export type InputFormat = 'csv' | 'ndjson' | 'json';

export interface SourceRecord {
  readonly record: Record<string, unknown>;
  /** 1-based line of the record's start in the (decompressed) input. */
  readonly line: number;
}

export interface BadRecord {
  readonly line: number;
  readonly message: string;
}

/** Where a reader reports what is wrong with its input, as it goes. */
export interface RecordReport {
  /** A malformed record: skipped (or the run stops, as `--on-error` says). */
  onBad(bad: BadRecord): void;
  /** A CSV row with fewer fields than the header: read, its missing trailing fields absent. */
  onShort(line: number): void;
}

export interface OpenedInput {
  readonly format: InputFormat;
  /** Size in bytes on disk when known (for ETA), else undefined. */
  readonly size: number | undefined;
  /** Bytes read so far from disk. */
  bytesRead(): number;
  /** Records in batches (one per chunk of input, about 256 KiB). */
  batches(report: RecordReport): AsyncGenerator<SourceRecord[]>;
  /** The error the file or its gzip stream failed with, if it did. */
  failure(): Error | undefined;
}

export interface OpenOptions {
  /** CSV: called with the header before any row is read (throws to stop: a column that is not there). */
  readonly checkHeader?: (header: readonly string[]) => void;
  /** JSON: a top-level object is one record (a webhook body), besides a top-level array. */
  readonly objects?: boolean;
}

export function detectFormat(path: string, explicit?: string): InputFormat {
  if (explicit) {
    if (explicit === 'csv' || explicit === 'ndjson' || explicit === 'json') return explicit;
    throw new CliError(`unknown --format ${explicit} (csv, ndjson, json)`);
  }
  const name = path.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.json')) return 'json';
  if (path === '-') throw new CliError('reading stdin needs --format csv|ndjson|json');
  throw new CliError(`cannot tell the format of ${path} from its extension; add --format csv|ndjson|json`);
}

/** The bytes of a file (or `-` for stdin), gunzipped for `.gz`, with a count of what was read from disk. */
export interface InputBytes {
  readonly stream: Readable;
  /** Size in bytes on disk when known (for ETA), else undefined. */
  readonly size: number | undefined;
  bytesRead(): number;
  /** The error reading the file or gunzipping it failed with, once it has. */
  failure(): Error | undefined;
}

/**
 * Reads are this big. Measured over 1M rows: 64 KiB reads leave the process waiting on the disk (about 10%
 * of a run), 1 MiB reads push peak RSS past 150 MB; 256 KiB is the fastest with RSS near 120 MB.
 */
export const READ_BYTES = 1 << 18;

export function openBytes(path: string): InputBytes {
  let raw: Readable;
  let size: number | undefined;
  if (path === '-') raw = process.stdin;
  else {
    if (!existsSync(path)) throw new CliError(`no such file: ${path}`);
    const stat = statSync(path);
    if (!stat.isFile()) throw new CliError(`not a file: ${path}`);
    size = stat.size;
    raw = createReadStream(path, { highWaterMark: READ_BYTES });
  }
  let read = 0;
  let failure: Error | undefined;
  const failed = (error: Error) => {
    failure ??= error;
  };
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
  });
  raw.on('error', failed);
  let stream: Readable = raw;
  if (path.toLowerCase().endsWith('.gz')) {
    const gunzip = createGunzip({ chunkSize: 1 << 16 });
    gunzip.on('error', failed);
    // pipe() does not pass a read error on: without this, reading the gunzipped stream would wait forever.
    raw.on('error', (error) => gunzip.destroy(error));
    stream = raw.pipe(gunzip);
  }
  return { stream, size, bytesRead: () => read, failure: () => failure };
}

/**
 * The error a run stopped with, as the CLI reports it: when the input itself failed (a truncated or
 * corrupt gzip, a read error), a bad-input error naming the file, the cause and the rows read before it.
 */
export function inputFailure(path: string, bytes: Pick<InputBytes, 'failure'>, error: unknown, rows: number) {
  const failure = bytes.failure();
  if (failure === undefined || (error !== failure && !(error instanceof Error && error.cause === failure)))
    return error;
  const code = (failure as NodeJS.ErrnoException).code;
  const cause =
    code === 'Z_BUF_ERROR'
      ? `the gzip data ends early (${failure.message}): the file is truncated`
      : code === 'Z_DATA_ERROR' && /header/.test(failure.message)
        ? `not gzip data (${failure.message})`
        : code?.startsWith('Z_')
          ? `corrupt gzip data (${failure.message})`
          : `cannot be read (${failure.message})`;
  const read = `${count(rows, 'row')} ${rows === 1 ? 'was' : 'were'} read before it`;
  return new CliError(`${path === '-' ? 'stdin' : path}: ${cause}; ${read}`, EXIT.badRecords);
}

/** Opens a file (or `-` for stdin), gunzipping `.gz`, and reads records in constant memory. */
export function openInput(path: string, explicitFormat?: string, options: OpenOptions = {}): OpenedInput {
  const format = detectFormat(path, explicitFormat);
  const bytes = openBytes(path);
  const csv: HeaderState = {
    header: undefined,
    ...(options.checkHeader ? { check: options.checkHeader } : {}),
  };
  const text = () => bytes.stream.setEncoding('utf8') as AsyncIterable<string> & Readable;
  const batches = (report: RecordReport) =>
    format === 'csv'
      ? csvBatches(bytes.stream, report, csv)
      : format === 'ndjson'
        ? ndjsonBatches(text(), report.onBad)
        : jsonBatches(text(), report.onBad, options.objects === true);
  return {
    format,
    size: bytes.size,
    bytesRead: bytes.bytesRead,
    batches,
    failure: bytes.failure,
  };
}

/** CSV in chunks of whole records, parsed by papaparse: one batch per chunk. */
async function* csvBatches(
  stream: AsyncIterable<Buffer>,
  report: RecordReport,
  state: HeaderState,
): AsyncGenerator<SourceRecord[]> {
  let base = 1;
  for await (const { bytes, dialect } of recordChunks(stream, READ_BYTES)) {
    const batch: SourceRecord[] = [];
    const at = base;
    base += parseRecordChunk(
      bytes,
      dialect,
      state,
      (cells, line) => batch.push({ record: recordOf(state.header as string[], cells), line: at + line }),
      (line, message) => report.onBad({ line: at + line, message }),
      { short: (line) => report.onShort(at + line) },
    );
    yield batch;
  }
}

async function* ndjsonBatches(
  text: AsyncIterable<string>,
  onBad: (bad: BadRecord) => void,
): AsyncGenerator<SourceRecord[]> {
  let carry = '';
  let line = 0;
  const parseLine = (raw: string): SourceRecord | undefined => {
    line++;
    const s = raw.trim();
    if (s === '') return undefined;
    try {
      const value: unknown = JSON.parse(s);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        onBad({ line, message: 'a line must hold one JSON object' });
        return undefined;
      }
      return { record: value as Record<string, unknown>, line };
    } catch (error) {
      onBad({ line, message: `invalid JSON: ${(error as Error).message}` });
      return undefined;
    }
  };
  for await (const chunk of text) {
    const data = carry + chunk;
    const lines = data.split('\n');
    carry = lines.pop() ?? '';
    const batch: SourceRecord[] = [];
    for (const l of lines) {
      const r = parseLine(l);
      if (r) batch.push(r);
    }
    yield batch;
  }
  if (carry !== '') {
    const r = parseLine(carry);
    if (r) yield [r];
  }
}

/** A top-level object is read whole; above this it is refused (an array or NDJSON streams instead). */
const MAX_OBJECT_CHARS = 256 << 20;

/**
 * A top-level JSON array, element by element: each element is cut out by a depth scan, then JSON.parse'd.
 * With `objects`, a top-level object is one record instead (read whole: a webhook body, a list page).
 */
async function* jsonBatches(
  text: AsyncIterable<string>,
  onBad: (bad: BadRecord) => void,
  objects: boolean,
): AsyncGenerator<SourceRecord[]> {
  let state: 'before' | 'between' | 'in' | 'done' = 'before';
  let single = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let line = 1;
  let elementLine = 1;
  const emit = (source: string): SourceRecord | undefined => {
    try {
      const value: unknown = JSON.parse(source);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        return { record: value as Record<string, unknown>, line: elementLine };
      onBad({ line: elementLine, message: 'an array element must be a JSON object' });
    } catch (error) {
      onBad({ line: elementLine, message: `invalid JSON: ${(error as Error).message}` });
    }
    return undefined;
  };
  for await (const chunk of text) {
    let start = 0;
    const batch: SourceRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i] as string;
      if (ch === '\n') line++;
      if (state === 'done') {
        if (!/\s/.test(ch)) throw new CliError(`line ${line}: unexpected text after the closing ]`, 1);
        continue;
      }
      if (state === 'before') {
        if (ch === '[') state = 'between';
        else if (ch === '{' && objects) {
          single = true;
          state = 'between';
        } else if (!/\s|\uFEFF/.test(ch))
          throw new CliError(
            `line ${line}: a JSON input must be an array of objects${objects ? ' or one object' : ''}`,
            EXIT.badRecords,
          );
        if (!single) continue;
      }
      if (state === 'between') {
        if (ch === ']') state = 'done';
        else if (ch !== ',' && !/\s/.test(ch)) {
          state = 'in';
          start = i;
          element = '';
          elementLine = line;
          depth = 0;
          inString = false;
          escaped = false;
        }
        if (state !== 'in') continue;
      }
      // state === 'in'
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{' || ch === '[') depth++;
      else if ((ch === '}' || ch === ']') && depth > 0) {
        depth--;
        if (depth === 0) {
          const r = emit(element + chunk.slice(start, i + 1));
          state = single ? 'done' : 'between';
          if (r) batch.push(r);
        }
      } else if (depth === 0 && (ch === ',' || ch === ']')) {
        // the end of a scalar element
        const r = emit(element + chunk.slice(start, i));
        state = ch === ']' ? 'done' : 'between';
        if (r) batch.push(r);
      }
    }
    if (state === 'in') {
      element += chunk.slice(start);
      if (single && element.length > MAX_OBJECT_CHARS)
        throw new CliError(
          `line ${elementLine}: a top-level JSON object is read whole, and this one passes ${MAX_OBJECT_CHARS >> 20} MiB: give its records as a JSON array or NDJSON`,
          EXIT.badRecords,
        );
    }
    yield batch;
  }
  if ((state as string) === 'before')
    throw new CliError(`the JSON input is empty; expected an array${objects ? ' or an object' : ''}`, 1);
  if ((state as string) !== 'done')
    throw new CliError(`the JSON input ends before its closing ${single ? '}' : ']'}`, 1);
}
