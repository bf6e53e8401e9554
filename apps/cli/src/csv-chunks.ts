import Papa from 'papaparse';

/** The delimiter and line break of a CSV input, as papaparse guesses them from its start. */
export interface CsvDialect {
  readonly delimiter: string;
  readonly newline: '\n' | '\r\n' | '\r';
}

const QUOTE = 0x22;
/** What String.prototype.trim removes, in ASCII: space, tab, line feed, vertical tab, form feed, return. */
const isBlank = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const LF = 0x0a;
const CR = 0x0d;

export function detectDialect(start: string): CsvDialect {
  const { meta } = Papa.parse(start, { preview: 2 });
  const newline = meta.linebreak === '\r\n' || meta.linebreak === '\r' ? meta.linebreak : '\n';
  return { delimiter: meta.delimiter || ',', newline };
}

/**
 * Where the last complete record of `buf` ends (the index after its line break), or 0 when `buf` holds no
 * complete record. `buf` must start at a record's start. Quotes are read exactly as papaparse reads them:
 * a quote opens a field only at the field's start; inside, `""` is a quote, and a quote closes the field
 * only when whitespace at most, then a delimiter or line break, follow it. Only the quotes are visited
 * (indexOf), so a file with few quotes costs next to nothing.
 */
export function lastRecordEnd(buf: Uint8Array, dialect: CsvDialect): number {
  const delim = dialect.delimiter.charCodeAt(0);
  const nl = dialect.newline === '\r' ? CR : LF;
  const crlf = dialect.newline === '\r\n';
  const len = buf.length;
  const breakAt = (i: number) => buf[i] === nl && (!crlf || buf[i - 1] === CR);
  const lineBreakStarts = (i: number) => (crlf ? buf[i] === CR && buf[i + 1] === LF : buf[i] === nl);
  // Quoted regions, as [open, close] pairs.
  let regions = new Int32Array(64);
  let count = 0;
  let q = buf.indexOf(QUOTE);
  while (q !== -1) {
    const prev = q === 0 ? delim : buf[q - 1];
    const atFieldStart = prev === delim || (prev === nl && (!crlf || (q >= 2 && buf[q - 2] === CR)));
    let close = q;
    if (atFieldStart) {
      for (;;) {
        close = buf.indexOf(QUOTE, close + 1);
        if (close === -1 || close === len - 1) {
          close = len;
          break;
        }
        if (buf[close + 1] === QUOTE) {
          close++;
          continue;
        }
        // Closed when only whitespace stands between it and a delimiter or line break (papaparse trims).
        let k = close + 1;
        while (k < len && buf[k] !== delim && !lineBreakStarts(k) && isBlank(buf[k] as number)) k++;
        if (k >= len || buf[k] === delim || lineBreakStarts(k)) break;
      }
      if (count * 2 === regions.length) {
        const grown = new Int32Array(regions.length * 2);
        grown.set(regions);
        regions = grown;
      }
      regions[count * 2] = q;
      regions[count * 2 + 1] = close;
      count++;
      if (close >= len) break;
    }
    q = buf.indexOf(QUOTE, close + 1);
  }
  // The last line break outside every quoted region.
  let n = buf.lastIndexOf(nl);
  let r = count - 1;
  while (n !== -1) {
    while (r >= 0 && (regions[r * 2] as number) > n) r--;
    if (r >= 0 && n <= (regions[r * 2 + 1] as number)) {
      const open = regions[r * 2] as number;
      n = open === 0 ? -1 : buf.lastIndexOf(nl, open - 1);
      continue;
    }
    if (breakAt(n)) return n + 1;
    n = n === 0 ? -1 : buf.lastIndexOf(nl, n - 1);
  }
  return 0;
}

/** A piece of the input holding whole records only, in input order. */
export interface RecordChunk {
  readonly bytes: Buffer;
  readonly dialect: CsvDialect;
}

/** The dialect is guessed from this much of the input's start (or all of it, when shorter). */
const DETECT_BYTES = 1 << 16;

/** Above this, a record that never ends (an unclosed quote) is handed on as it is, to be reported. */
const MAX_RECORD_BYTES = 32 << 20;

/**
 * Cuts a byte stream into chunks of about `chunkBytes` that end at record ends, so each can be parsed on
 * its own. A UTF-8 BOM is dropped. Memory: one chunk plus one unfinished record.
 */
export async function* recordChunks(
  source: AsyncIterable<Buffer>,
  chunkBytes: number,
): AsyncGenerator<RecordChunk> {
  let dialect: CsvDialect | undefined;
  let parts: Buffer[] = [];
  let size = 0;
  const cut = (final: boolean): RecordChunk | undefined => {
    if (size === 0) return undefined;
    if (!dialect && !final && size < DETECT_BYTES) return undefined;
    let buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
    if (!dialect) {
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        size -= 3;
      }
      dialect = detectDialect(buf.subarray(0, DETECT_BYTES).toString('utf8'));
    }
    const end = final || size > MAX_RECORD_BYTES ? buf.length : lastRecordEnd(buf, dialect);
    if (end === 0) {
      parts = [buf];
      return undefined;
    }
    const rest = buf.subarray(end);
    parts = rest.length ? [rest] : [];
    size = rest.length;
    return { bytes: buf.subarray(0, end), dialect };
  };
  for await (const data of source) {
    parts.push(data);
    size += data.length;
    if (size >= chunkBytes) {
      const chunk = cut(false);
      if (chunk) yield chunk;
    }
  }
  const last = cut(true);
  if (last) yield last;
}

/**
 * Cuts a chunk of whole records into slices of about `sliceBytes` that end at record ends: parsed one at
 * a time, the rows and strings of a slice die young (a 1 MiB chunk parsed at once keeps the collector
 * busy with survivors).
 */
export function* recordSlices(bytes: Uint8Array, dialect: CsvDialect, sliceBytes = 1 << 16) {
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.length;
    for (let window = sliceBytes; start + window < bytes.length; window *= 2) {
      const e = lastRecordEnd(bytes.subarray(start, start + window), dialect);
      if (e > 0) {
        end = start + e;
        break;
      }
    }
    yield bytes.subarray(start, end);
    start = end;
  }
}

/**
 * A well-formed row: its cells, its first line counted from 0 within the chunk, and (when asked for and no
 * field of its slice holds a line break) its text as it stands in the input, without the line break.
 */
export type RowHandler = (cells: string[], line: number, raw: string | undefined) => void;
export type BadRowHandler = (line: number, message: string) => void;

/** Where the line breaks of the text being parsed are (reused: grown, never shrunk). */
let breaks = new Int32Array(4096);

export interface ParseOptions {
  /** Hand each row's own text to `row` when it is at hand. */
  readonly wantRaw?: boolean;
  /** The line the text starts on, added to every line reported. */
  readonly firstLine?: number;
  /** Told the line of each row with fewer fields than the header (the row itself still goes to `row`). */
  readonly short?: (line: number) => void;
}

/** Holds the header once the first non-blank row has been read. */
export interface HeaderState {
  header: string[] | undefined;
  /** Called once with the header as soon as it is read, before any row; may throw to stop the run. */
  readonly check?: (header: readonly string[]) => void;
}

/**
 * Parses whole records with papaparse. The first non-blank row of the input becomes the header. A row
 * with fewer fields than the header (a ragged export) is a row whose trailing fields are absent: it goes to
 * `row` with its short cells and no raw text, and its line to `short`. Rows with more fields than the
 * header, or that papaparse reports, go to `bad`; blank lines are skipped. Returns the number of lines the
 * text spans.
 */
export function parseChunk(
  text: string,
  dialect: CsvDialect,
  state: HeaderState,
  row: RowHandler,
  bad: BadRowHandler,
  { wantRaw = false, firstLine = 0, short }: ParseOptions = {},
): number {
  // papaparse's parser itself: Papa.parse on a string adds a streamer that copies every result.
  const result = new Papa.Parser({ delimiter: dialect.delimiter, newline: dialect.newline }).parse(
    text,
    0,
    false,
  ) as Papa.ParseResult<string[]>;
  const rows = result.data;
  const nl = dialect.newline === '\r' ? '\r' : '\n';
  let lines = 0;
  for (let i = text.indexOf(nl); i !== -1; i = text.indexOf(nl, i + 1)) {
    if (lines === breaks.length) {
      const grown = new Int32Array(breaks.length * 2);
      grown.set(breaks);
      breaks = grown;
    }
    breaks[lines++] = i;
  }
  const errors = result.errors.length ? new Map<number, string>() : undefined;
  for (const e of result.errors)
    if (e.row !== undefined && !errors?.has(e.row)) errors?.set(e.row, `${e.message} (${e.code})`);
  // Each row but the last ends with a line break (the last is the empty one after a final line break, or
  // the input's last row): when no field holds a line break, row i starts on line i.
  const plain = lines === rows.length - 1;
  // Then row r is the text of line r, without its line break.
  const raw = plain && wantRaw;
  const crlf = dialect.newline === '\r\n' ? 1 : 0;
  let line = 0;
  let header = state.header;
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r] as string[];
    const start = firstLine + (plain ? r : line);
    if (!plain) {
      line++;
      for (let c = 0; c < cells.length; c++) {
        const cell = cells[c] as string;
        for (let i = cell.indexOf(nl); i !== -1; i = cell.indexOf(nl, i + 1)) line++;
      }
    }
    const error = errors?.get(r);
    if (cells.length === 1 && cells[0] === '' && error === undefined) continue; // a blank line
    if (!header) {
      header = cells.map((h) => h.trim());
      state.header = header;
      state.check?.(header);
      continue;
    }
    if (error !== undefined || cells.length > header.length)
      bad(start, error ?? `expected ${header.length} fields, found ${cells.length}`);
    else if (cells.length < header.length) {
      short?.(start);
      row(cells, start, undefined);
    } else
      row(
        cells,
        start,
        raw
          ? text.slice(
              r === 0 ? 0 : (breaks[r - 1] as number) + 1,
              r < lines ? (breaks[r] as number) - crlf : text.length,
            )
          : undefined,
      );
  }
  return lines;
}

const decoder = new TextDecoder();

/**
 * Parses a chunk of whole records slice by slice (see `recordSlices`), lines counted from 0 within the
 * chunk; `sliceDone` runs after each slice, so a caller can pass on what the slice produced while it is
 * young. Returns the number of lines the chunk spans.
 */
export function parseRecordChunk(
  bytes: Uint8Array,
  dialect: CsvDialect,
  state: HeaderState,
  row: RowHandler,
  bad: BadRowHandler,
  options: {
    readonly wantRaw?: boolean;
    readonly sliceDone?: () => void;
    readonly short?: (line: number) => void;
  } = {},
): number {
  let lines = 0;
  for (const slice of recordSlices(bytes, dialect)) {
    const first = lines;
    lines += parseChunk(decoder.decode(slice), dialect, state, row, bad, {
      firstLine: first,
      ...(options.wantRaw ? { wantRaw: true } : {}),
      ...(options.short ? { short: options.short } : {}),
    });
    options.sliceDone?.();
  }
  return lines;
}

/** A row as an object under the header's names (the fields a short row lacks are undefined: absent). */
export function recordOf(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let c = 0; c < header.length; c++) record[header[c] as string] = cells[c];
  return record;
}
