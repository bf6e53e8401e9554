import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import Papa from 'papaparse';
import { CliError } from './cli-error.js';

export type InputFormat = 'csv' | 'ndjson' | 'json';

export interface SourceRecord {
  /** The record as an object; for CSV read without `objects`, an empty object (use `cells`). */
  readonly record: Record<string, unknown>;
  /** 1-based line of the record's start in the (decompressed) input. */
  readonly line: number;
  /** CSV only: the row's cells in header order (writers reuse them instead of copying the record). */
  readonly cells?: readonly string[];
}

const NO_OBJECT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

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
  /** CSV only: the header, once the first row has been read. */
  columns(): readonly string[] | undefined;
  /** Records in batches (one per chunk of input): the fast way to read. */
  batches(onBad: (bad: BadRecord) => void): AsyncGenerator<SourceRecord[]>;
  /** Records one by one. */
  records(onBad: (bad: BadRecord) => void): AsyncGenerator<SourceRecord>;
}

export interface OpenOptions {
  /** CSV: build an object per row (default true). Without it, rows come as `cells` only. */
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

/** Opens a file (or `-` for stdin), gunzipping `.gz`, and reads records in constant memory. */
export function openInput(path: string, explicitFormat?: string, options: OpenOptions = {}): OpenedInput {
  const format = detectFormat(path, explicitFormat);
  let raw: Readable;
  let size: number | undefined;
  if (path === '-') raw = process.stdin;
  else {
    if (!existsSync(path)) throw new CliError(`no such file: ${path}`);
    if (!statSync(path).isFile()) throw new CliError(`not a file: ${path}`);
    size = statSync(path).size;
    raw = createReadStream(path, { highWaterMark: 1 << 16 });
  }
  let read = 0;
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length;
  });
  const zipped = path.toLowerCase().endsWith('.gz');
  const text = zipped ? raw.pipe(createGunzip()) : raw;
  text.setEncoding('utf8');
  const csv = { header: undefined as string[] | undefined, objects: options.objects !== false };
  const batches = (onBad: (bad: BadRecord) => void) =>
    format === 'csv'
      ? csvBatches(text, onBad, csv)
      : format === 'ndjson'
        ? ndjsonBatches(text, onBad)
        : jsonArrayBatches(text, onBad);
  return {
    format,
    size,
    bytesRead: () => read,
    columns: () => csv.header,
    batches,
    async *records(onBad) {
      for await (const batch of batches(onBad)) yield* batch;
    },
  };
}

/**
 * CSV through papaparse's own streaming parser (the fastest correct one measured here), one batch per
 * chunk. The parser is paused after each chunk and resumed when the consumer asks for the next batch, so
 * a slow consumer holds at most one chunk in memory.
 */
async function* csvBatches(
  text: Readable,
  onBad: (bad: BadRecord) => void,
  shared: { header: string[] | undefined; objects: boolean },
): AsyncGenerator<SourceRecord[]> {
  let header: string[] | undefined;
  let line = 1;
  const queue: (SourceRecord[] | null)[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let parser: Papa.Parser | undefined;
  const convert = (results: Papa.ParseResult<string[]>): SourceRecord[] => {
    const out: SourceRecord[] = [];
    const errorsByRow = new Map<number, string>();
    for (const e of results.errors)
      if (e.row !== undefined && !errorsByRow.has(e.row)) errorsByRow.set(e.row, e.message);
    const rows = results.data;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as string[];
      const startLine = line;
      line++;
      for (let c = 0; c < row.length; c++) {
        const cell = row[c] as string;
        if (cell.length > 0 && cell.indexOf('\n') !== -1) line += cell.split('\n').length - 1;
      }
      if (row.length === 1 && row[0] === '') continue; // blank line
      if (!header) {
        header = row.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
        shared.header = header;
        continue;
      }
      const error = errorsByRow.get(r);
      if (error || row.length !== header.length) {
        onBad({ line: startLine, message: error ?? `expected ${header.length} fields, found ${row.length}` });
        continue;
      }
      let record = NO_OBJECT;
      if (shared.objects) {
        record = {};
        for (let c = 0; c < header.length; c++) record[header[c] as string] = row[c];
      }
      out.push({ record, line: startLine, cells: row });
    }
    return out;
  };
  Papa.parse<string[]>(text as unknown as File, {
    skipEmptyLines: false,
    chunk: (results, p) => {
      parser = p;
      p.pause();
      try {
        queue.push(convert(results));
      } catch (error) {
        failure = error as Error;
        p.abort();
      }
      wake?.();
    },
    complete: () => {
      queue.push(null);
      wake?.();
    },
    error: (error: Error) => {
      failure = error;
      wake?.();
    },
  });
  for (;;) {
    while (queue.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
    const batch = queue.shift();
    if (batch === null || batch === undefined) return;
    yield batch;
    parser?.resume();
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
