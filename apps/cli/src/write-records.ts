import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CliError } from './cli-error.js';

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

/** Temporaries being written: removed if the process exits or is stopped before they are renamed. */
const temporaries = new Set<string>();
let cleanupInstalled = false;

function removeTemporaries(): void {
  for (const t of temporaries) rmSync(t, { force: true });
  temporaries.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', removeTemporaries);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      removeTemporaries();
      process.exit(code);
    });
  }
}

/**
 * Writes CSV rows or NDJSON lines to a file (gzip for .gz) or stdout, buffered, honouring backpressure. A
 * file is written to a temporary beside it (`.<name>.statuskit-<pid>-<random>.tmp`) and renamed over it by
 * `close`: a run that fails or is stopped leaves the previous file as it was and no temporary.
 */
export class RecordWriter {
  readonly #out: Writable;
  readonly #file: Writable | undefined;
  readonly #finish: Promise<void>;
  readonly #target: string | undefined;
  readonly #temporary: string | undefined;
  #buffer = '';

  constructor(path: string | undefined) {
    if (path && path !== '-') {
      const dir = dirname(path);
      if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw new CliError(`cannot write ${path}: no such directory ${dir}`);
      if (existsSync(path) && statSync(path).isDirectory())
        throw new CliError(`cannot write ${path}: it is a directory`);
      installCleanup();
      this.#target = path;
      this.#temporary = join(
        dir,
        `.${basename(path)}.statuskit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
      );
      temporaries.add(this.#temporary);
      const file = createWriteStream(this.#temporary, { highWaterMark: 1 << 20 });
      this.#file = file;
      this.#finish = new Promise((resolve, reject) => {
        file.once('finish', resolve);
        file.once('error', reject);
      });
      // Seen by close or abort; never an unhandled rejection meanwhile.
      this.#finish.catch(() => {});
      if (path.endsWith('.gz')) {
        const gz = createGzip();
        gz.pipe(file);
        this.#out = gz;
      } else this.#out = file;
    } else {
      this.#out = process.stdout;
      this.#file = undefined;
      this.#finish = Promise.resolve();
    }
  }

  /**
   * Runs `write` with a writer to `path` (stdout when undefined or `-`): on success the output is closed
   * (a file renamed into place); on failure the temporary is removed and the error passed on.
   */
  static async writing<T>(path: string | undefined, write: (writer: RecordWriter) => Promise<T>): Promise<T> {
    const writer = new RecordWriter(path);
    let result: T;
    try {
      result = await write(writer);
    } catch (error) {
      writer.abort();
      throw error;
    }
    await writer.close();
    return result;
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

  /** Finishes the output; a file's temporary is renamed over the target. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#out === process.stdout) return;
    this.#out.end();
    try {
      await this.#finish;
      renameSync(this.#temporary as string, this.#target as string);
    } catch (error) {
      this.abort();
      throw new CliError(`cannot write ${this.#target}: ${(error as Error).message}`, 1);
    }
    temporaries.delete(this.#temporary as string);
  }

  /** Drops the output: a file's temporary is removed, the target left as it was. */
  abort(): void {
    if (this.#out === process.stdout || this.#temporary === undefined) return;
    this.#out.destroy();
    this.#file?.destroy();
    rmSync(this.#temporary, { force: true });
    temporaries.delete(this.#temporary);
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
