import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';

export type OutputFormat = 'csv' | 'ndjson';

const QUEUE_LIMIT = 4 << 20;

const isSpace = (code: number) => code === 32 || code === 9;

/** A CSV field: quoted when it holds a comma, quote or line break, or starts or ends with a space. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (s === '') return s;
  const plain =
    s.indexOf(',') === -1 &&
    s.indexOf('"') === -1 &&
    s.indexOf('\n') === -1 &&
    s.indexOf('\r') === -1 &&
    !isSpace(s.charCodeAt(0)) &&
    !isSpace(s.charCodeAt(s.length - 1));
  return plain ? s : `"${s.replaceAll('"', '""')}"`;
}

/** Writes CSV rows or NDJSON lines to a file (gzip for .gz) or stdout, buffered, honouring backpressure. */
export class RecordWriter {
  readonly #out: Writable;
  readonly #finish: Promise<void>;
  #columns: string[] | undefined;
  #buffer = '';

  constructor(path: string | undefined) {
    if (path && path !== '-') {
      const file = createWriteStream(path, { highWaterMark: 1 << 20 });
      this.#finish = new Promise((resolve, reject) => {
        file.once('finish', resolve);
        file.once('error', reject);
      });
      if (path.endsWith('.gz')) {
        const gz = createGzip();
        gz.pipe(file);
        this.#out = gz;
      } else this.#out = file;
    } else {
      this.#out = process.stdout;
      this.#finish = Promise.resolve();
    }
  }

  /** CSV: one row of cells, under `columns` (written as the header before the first row). Buffered: call flush. */
  writeRow(columns: readonly string[], cells: readonly unknown[], suffix = ''): void {
    if (!this.#columns) {
      this.#columns = [...columns];
      this.#buffer += `${columns.map(csvCell).join(',')}\n`;
    }
    let line = '';
    for (let i = 0; i < cells.length; i++) line += (i ? ',' : '') + csvCell(cells[i]);
    this.#append(`${line}${suffix}\n`);
  }

  /** NDJSON: one line as it is. Buffered: call flush. */
  writeLine(line: string): void {
    this.#append(`${line}\n`);
  }

  #needsDrain = false;

  /** Hands 64 KiB pieces to the stream as they fill, so the text does not outlive the young generation. */
  #append(text: string): void {
    this.#buffer += text;
    if (this.#buffer.length >= 1 << 16) {
      if (!this.#out.write(this.#buffer)) this.#needsDrain = true;
      this.#buffer = '';
    }
  }

  /** Writes what is buffered; waits when the destination asks to (backpressure). */
  async flush(): Promise<void> {
    if (this.#buffer) {
      if (!this.#out.write(this.#buffer)) this.#needsDrain = true;
      this.#buffer = '';
    }
    // Wait for the destination only once several MiB are queued: waiting at every full 16 KiB stream
    // buffer would serialize writing with reading; memory stays bounded either way.
    if (this.#needsDrain && this.#out.writableLength > QUEUE_LIMIT) {
      this.#needsDrain = false;
      await new Promise<void>((resolve) => this.#out.once('drain', resolve));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#out !== process.stdout) {
      this.#out.end();
      await this.#finish;
    }
  }
}

export function outputFormat(
  path: string | undefined,
  explicit: string | undefined,
  fallback: OutputFormat,
): OutputFormat {
  if (explicit === 'csv' || explicit === 'ndjson') return explicit;
  const name = (path ?? '').replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  return fallback;
}
