import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CsvDialect,
  detectDialect,
  type HeaderState,
  lastRecordEnd,
  parseChunk,
  recordChunks,
  recordSlices,
} from './csv-chunks.js';

const LF: CsvDialect = { delimiter: ',', newline: '\n' };
const CRLF: CsvDialect = { delimiter: ',', newline: '\r\n' };
const bytes = (s: string) => Buffer.from(s, 'utf8');

interface Parsed {
  header: string[] | undefined;
  rows: { cells: string[]; line: number }[];
  bad: { line: number; message: string }[];
  lines: number;
}

/** Parses `pieces` (whole records each) one after another, as the CLI does, with lines counted from 1. */
function parsePieces(pieces: readonly Uint8Array[], dialect: CsvDialect): Parsed {
  const state: HeaderState = { header: undefined };
  const out: Parsed = { header: undefined, rows: [], bad: [], lines: 0 };
  let base = 1;
  for (const piece of pieces) {
    base += parseChunk(
      Buffer.from(piece).toString('utf8'),
      dialect,
      state,
      (cells, line) => out.rows.push({ cells, line: base + line }),
      (line, message) => out.bad.push({ line: base + line, message }),
    );
  }
  out.header = state.header;
  out.lines = base - 1;
  return out;
}

async function chunked(text: string, readSize: number, chunkBytes: number) {
  const data = bytes(text);
  const reads: Buffer[] = [];
  for (let i = 0; i < data.length; i += readSize) reads.push(data.subarray(i, i + readSize));
  const chunks: Uint8Array[] = [];
  let dialect: CsvDialect | undefined;
  for await (const chunk of recordChunks(Readable.from(reads), chunkBytes)) {
    dialect = chunk.dialect;
    chunks.push(...recordSlices(chunk.bytes, chunk.dialect, 8));
  }
  return { chunks, dialect };
}

describe('lastRecordEnd', () => {
  it.each([
    ['two whole records', 'a,b\nc,d\n', LF, 8],
    ['an unfinished last record', 'a,b\nc,d', LF, 4],
    ['a line break inside quotes', '"x\ny",1\nz', LF, 8],
    ['an escaped quote before the break', '"x""\n",1\nz', LF, 9],
    ['a quote inside an unquoted field is a character', 'a"b,1\nc', LF, 6],
    ['a quote followed by a letter keeps the field open', '"a"b\nc,d\n', LF, 0],
    ['spaces and a return after a closing quote close it', '"a" \r\nb', LF, 6],
    ['a lone line feed is no record end in a CRLF file', 'a,b\nc\r\nd', CRLF, 7],
    ['a quote right after a lone line feed is a character', 'a\n"b\r\nc', CRLF, 6],
    ['an unclosed quote', 'a,"b\nc\n', LF, 0],
    ['no line break at all', 'abc', LF, 0],
  ])('%s', (_name, text, dialect, end) => {
    expect(lastRecordEnd(bytes(text), dialect)).toBe(end);
  });

  it('reads delimiters and line breaks the way papaparse guesses them', () => {
    expect(detectDialect('id;status;n\r\n1;Pro;a\r\n2;Gold;b\r\n')).toEqual({
      delimiter: ';',
      newline: '\r\n',
    });
    expect(detectDialect('id\tstatus\tn\n1\tPro\ta\n2\tGold\tb\n')).toEqual({
      delimiter: '\t',
      newline: '\n',
    });
  });
});

describe('recordChunks + parseChunk', () => {
  it('drops a BOM and gives every row its line, across chunks', async () => {
    const text = '\uFEFFid,name\r\n1,"multi\r\nline"\r\n2,b\r\n\r\n3,c,extra\r\n4,"d"\r\n';
    const { chunks, dialect } = await chunked(text, 1, 5);
    expect(chunks.length).toBeGreaterThan(3);
    const parsed = parsePieces(chunks, dialect as CsvDialect);
    expect(parsed.header).toEqual(['id', 'name']);
    expect(parsed.rows).toEqual([
      { cells: ['1', 'multi\r\nline'], line: 2 },
      { cells: ['2', 'b'], line: 4 },
      { cells: ['4', 'd'], line: 7 },
    ]);
    expect(parsed.bad).toEqual([{ line: 6, message: 'expected 2 fields, found 3' }]);
  });

  it('keeps multi-byte characters whole however the reads fall', async () => {
    const text = 'id,name\né,"ü\nß"\n日本,x\n';
    const { chunks, dialect } = await chunked(text, 1, 1);
    expect(parsePieces(chunks, dialect as CsvDialect).rows.map((r) => r.cells)).toEqual([
      ['é', 'ü\nß'],
      ['日本', 'x'],
    ]);
  });

  it('reads any text exactly as one papaparse pass over all of it does', async () => {
    const char = fc.constantFrom('a', 'b', ',', '"', '"', '\n', '\r', ' ', '\t', 'é');
    await fc.assert(
      fc.asyncProperty(
        fc.array(char, { maxLength: 120 }).map((cs) => cs.join('')),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 24 }),
        async (body, readSize, chunkBytes) => {
          const text = `h1,h2\n${body}`;
          const whole = parsePieces([bytes(text)], detectDialect(text));
          const { chunks, dialect } = await chunked(text, readSize, chunkBytes);
          expect(dialect).toEqual(detectDialect(text));
          expect(parsePieces(chunks, dialect as CsvDialect)).toEqual(whole);
        },
      ),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 2000) },
    );
  });
});

describe('parseChunk: ragged rows and the header check', () => {
  it('hands short rows on with their short cells and line, and reports longer rows as malformed', () => {
    const rows: { cells: string[]; line: number; raw: string | undefined }[] = [];
    const bad: number[] = [];
    const short: number[] = [];
    parseChunk(
      'id,name,status\na,"Multi\nline",Pro\nb\nc,C,Pro,x\nd,D\n',
      LF,
      { header: undefined },
      (cells, line, raw) => rows.push({ cells, line, raw }),
      (line) => bad.push(line),
      { wantRaw: true, short: (line) => short.push(line) },
    );
    expect(rows.map((r) => [r.cells, r.line])).toEqual([
      [['a', 'Multi\nline', 'Pro'], 1],
      [['b'], 3],
      [['d', 'D'], 5],
    ]);
    expect(rows.filter((r) => r.cells.length < 3).map((r) => r.raw)).toEqual([undefined, undefined]);
    expect(short).toEqual([3, 5]); // lines count from 0 within the text
    expect(bad).toEqual([4]);
  });

  it('checks the header before any row, and stops when the check throws', () => {
    const seen: string[][] = [];
    const state: HeaderState = {
      header: undefined,
      check: (header) => {
        seen.push([...header]);
        throw new Error('no status column');
      },
    };
    const rows: string[][] = [];
    expect(() =>
      parseChunk(
        ' id , plan \n1,Pro\n',
        LF,
        state,
        (c) => rows.push(c),
        () => {},
      ),
    ).toThrow('no status column');
    expect(seen).toEqual([['id', 'plan']]);
    expect(rows).toEqual([]);
  });
});
