import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError } from './cli-error.js';
import { type HeaderState, parseRecordChunk, recordChunks, recordOf } from './csv-chunks.js';

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

export interface OpenedInput {
  readonly format: InputFormat;
  /** Size in bytes on disk when known (for ETA), else undefined. */
  readonly size: number | undefined;
  /** Bytes read so far from disk. */
  bytesRead(): number;
  /** Records in batches (one per chunk of input, about 256 KiB). */
  batches(onBad: (bad: BadRecord) => void): AsyncGenerator<SourceRecord[]>;
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
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
  });
  const zipped = path.toLowerCase().endsWith('.gz');
  return {
    stream: zipped ? raw.pipe(createGunzip({ chunkSize: 1 << 16 })) : raw,
    size,
    bytesRead: () => read,
  };
}

/** Opens a file (or `-` for stdin), gunzipping `.gz`, and reads records in constant memory. */
export function openInput(path: string, explicitFormat?: string): OpenedInput {
  const format = detectFormat(path, explicitFormat);
  const bytes = openBytes(path);
  const csv: HeaderState = { header: undefined };
  const text = () => bytes.stream.setEncoding('utf8') as AsyncIterable<string> & Readable;
  const batches = (onBad: (bad: BadRecord) => void) =>
    format === 'csv'
      ? csvBatches(bytes.stream, onBad, csv)
      : format === 'ndjson'
        ? ndjsonBatches(text(), onBad)
        : jsonArrayBatches(text(), onBad);
  return {
    format,
    size: bytes.size,
    bytesRead: bytes.bytesRead,
    batches,
  };
}

/** CSV in chunks of whole records, parsed by papaparse: one batch per chunk. */
async function* csvBatches(
  stream: AsyncIterable<Buffer>,
  onBad: (bad: BadRecord) => void,
  state: HeaderState,
): AsyncGenerator<SourceRecord[]> {
  let base = 1;
  for await (const { bytes, dialect } of recordChunks(stream, READ_BYTES)) {
    const batch: SourceRecord[] = [];
    base += parseRecordChunk(
      bytes,
      dialect,
      state,
      (cells, line) => batch.push({ record: recordOf(state.header as string[], cells), line: base + line }),
      (line, message) => onBad({ line: base + line, message }),
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

/** A top-level JSON array, element by element: each element is cut out by a depth scan, then JSON.parse'd. */
async function* jsonArrayBatches(
  text: AsyncIterable<string>,
  onBad: (bad: BadRecord) => void,
): AsyncGenerator<SourceRecord[]> {
  let state: 'before' | 'between' | 'in' | 'done' = 'before';
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
        else if (!/\s|\uFEFF/.test(ch))
          throw new CliError(`line ${line}: a JSON input must be an array of objects`, 1);
        continue;
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
          state = 'between';
          if (r) batch.push(r);
        }
      } else if (depth === 0 && (ch === ',' || ch === ']')) {
        // the end of a scalar element
        const r = emit(element + chunk.slice(start, i));
        state = ch === ']' ? 'done' : 'between';
        if (r) batch.push(r);
      }
    }
    if (state === 'in') element += chunk.slice(start);
    yield batch;
  }
  if ((state as string) === 'before') throw new CliError('the JSON input is empty; expected an array', 1);
  if ((state as string) !== 'done') throw new CliError('the JSON input ends before its closing ]', 1);
}
