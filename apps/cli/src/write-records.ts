import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';

export type OutputFormat = 'csv' | 'ndjson';

const QUEUE_LIMIT = 1 << 20;

const isSpace = (code: number) => code === 32 || code === 9;

/** A CSV field: quoted when it holds a comma, quote or line break, or starts or ends with a space. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return plain(s) ? s : `"${s.replaceAll('"', '""')}"`;
}

/** A string that can stand as a CSV field unquoted: no comma, quote or line break, no edge spaces. */
function plain(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  if (isSpace(s.charCodeAt(0)) || isSpace(s.charCodeAt(n - 1))) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 44 && (c === 44 || c === 34 || c === 10 || c === 13)) return false;
  }
  return true;
}

/** One CSV row, without its line break. */
export function csvLine(cells: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    const cell = csvCell(cells[i]);
    line = i === 0 ? cell : `${line},${cell}`;
  }
  return line;
}

/** Writes CSV rows or NDJSON lines to a file (gzip for .gz) or stdout, buffered, honouring backpressure. */
export class RecordWriter {
  readonly #out: Writable;
  readonly #finish: Promise<void>;
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

  /** Text or bytes as they are (whole rows or lines). Call flush. */
  writeChunk(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      this.#append(data);
      return;
    }
    if (this.#buffer) {
      if (!this.#out.write(this.#buffer)) this.#needsDrain = true;
      this.#buffer = '';
    }
    if (!this.#out.write(data)) this.#needsDrain = true;
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
    // Wait for the destination only once a MiB is queued: waiting at every full stream buffer would
    // serialize writing with reading; more than a MiB only raised peak RSS (measured over 1M rows).
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
