import { classify, type Eligibility, type EligibilityReason, evaluate } from '@statuskit/core';
import { CliError } from './cli-error.js';
import type { LoadedConfig } from './config.js';
import { type CsvDialect, type HeaderState, parseRecordChunk, recordOf } from './csv-chunks.js';
import { csvCell, csvLine, type OutputFormat } from './write-records.js';

/** The columns `classify` adds to every record, in order. */
export const ADDED_COLUMNS = [
  'statusType',
  'status',
  'plan',
  'unknownReason',
  'eligible',
  'reasons',
] as const;

export const reasonLabel = (r: EligibilityReason) =>
  r.source === 'built-in'
    ? r.code === 'unknown-status'
      ? `unknown-status:${r.unknownReason}`
      : r.code
    : `${r.type}:${r.rule}${r.overridden ? ' (overridden)' : ''}`;

export function asOfOption(value: string | undefined): number {
  if (!value) return Date.now();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`--as-of must be a date (got ${value})`);
  return t;
}

export interface CliAccount {
  id: string;
  status: unknown;
  attributes: Record<string, unknown>;
  statusObservedAt?: string | undefined;
}

/** The account core sees for a source record: every column is an attribute rules can read. */
export function accountOf(record: Record<string, unknown>, config: Pick<LoadedConfig, 'fields'>): CliAccount {
  const f = config.fields;
  const observed = f.observedAt ? record[f.observedAt] : undefined;
  return {
    id: String(record[f.id] ?? ''),
    status: record[f.status],
    attributes: record,
    ...(typeof observed === 'string' && observed !== '' ? { statusObservedAt: observed } : {}),
  };
}

export type ClassifyConfig = Pick<LoadedConfig, 'catalog' | 'evaluator' | 'fields'>;

/** What an added column is called when the input has a column of its name: ours is prefixed, theirs kept. */
export const COLLISION_PREFIX = 'statuskit_';

/** `name`, or `statuskit_name` (`statuskit_statuskit_name`, ...) when the name is taken. */
function freeName(name: string, taken: (name: string) => boolean): string {
  let n = name;
  while (taken(n)) n = COLLISION_PREFIX + n;
  return n;
}

/**
 * The output names of one input's columns (or one NDJSON record's keys): the status column, when it is
 * itself called `status`, becomes `rawStatus` (so `status` can hold the canonical value); then each added
 * column takes its own name unless an input column has it, in which case ours is prefixed `statuskit_`
 * (as often as needed). Input columns and values are never renamed otherwise, never lost.
 */
export interface OutputNames {
  /** The raw status column's new name, when the status column is called `status`. */
  readonly rawKey: string | undefined;
  /** The added columns' names, in ADDED_COLUMNS order. */
  readonly added: readonly string[];
}

export function outputNames(has: (name: string) => boolean, statusField: string): OutputNames {
  const renamed = statusField === 'status' && has('status');
  const rawKey = renamed ? freeName('rawStatus', has) : undefined;
  const taken = (n: string) => (has(n) && !(renamed && n === 'status')) || n === rawKey || added.includes(n);
  const added: string[] = [];
  for (const name of ADDED_COLUMNS) added.push(freeName(name, taken));
  return { rawKey, added };
}

const DEFAULT_NAMES: OutputNames = { rawKey: undefined, added: ADDED_COLUMNS };

export interface RecordClassifier {
  /** CSV output: the input's columns (renamed as `outputNames` says) followed by the added ones. */
  columns(input: readonly string[]): string[];
  /**
   * CSV output: one row with its line break, from the input's cells, in input column order, or from the row's
   * own text when the input is comma-separated and the text is at hand (its quoting kept as it was).
   */
  csvRow(cells: readonly unknown[], account: CliAccount, raw?: string): string;
  /** NDJSON output: the record (renamed as `outputNames` says, for its own keys) with the added fields. */
  jsonLine(record: Record<string, unknown>, account: CliAccount): string;
}

/**
 * Classifies and evaluates accounts and renders the output. Classifications and decisions are shared
 * objects (core caches them), so the added CSV columns are rendered once per (classification, decision).
 */
export function recordClassifier(config: ClassifyConfig, asOf: number): RecordClassifier {
  const statusField = config.fields.status;
  const options = { asOf };
  /** A record's names: the defaults unless one of its keys is `status`, `rawStatus` or an added name. */
  const namesOf = (record: Record<string, unknown>): OutputNames => {
    const has = (k: string) => Object.hasOwn(record, k);
    if (!has('status') && !has('rawStatus') && !ADDED_COLUMNS.some(has)) return DEFAULT_NAMES;
    return outputNames(has, statusField);
  };
  const suffixes = new WeakMap<object, Map<Eligibility, string>>();
  const reasons = new WeakMap<Eligibility, string>();
  const reasonsText = (e: Eligibility) => {
    let s = reasons.get(e);
    if (s === undefined) {
      s = e.reasons.map(reasonLabel).join('; ');
      reasons.set(e, s);
    }
    return s;
  };
  const decide = (account: CliAccount) => {
    const c = classify(account, config.catalog);
    return { c, e: evaluate(c, account, config.evaluator, options) };
  };
  return {
    columns(input) {
      const { rawKey, added } = outputNames((k) => input.includes(k), statusField);
      return [...input.map((k) => (k === 'status' && rawKey ? rawKey : k)), ...added];
    },
    csvRow(cells, account, raw) {
      const { c, e } = decide(account);
      let byDecision = suffixes.get(c);
      if (!byDecision) {
        byDecision = new Map();
        suffixes.set(c, byDecision);
      }
      let suffix = byDecision.get(e);
      if (suffix === undefined) {
        const values = [c.statusType, c.status, c.plan, c.unknownReason, e.eligible, reasonsText(e)];
        suffix = `${values.map((v) => `,${csvCell(v)}`).join('')}\n`;
        byDecision.set(e, suffix);
      }
      return (raw ?? csvLine(cells)) + suffix;
    },
    jsonLine(record, account) {
      const { c, e } = decide(account);
      const { rawKey, added } = namesOf(record);
      let base: Record<string, unknown> = record;
      if (rawKey) {
        base = {};
        for (const k in record) base[k === 'status' ? rawKey : k] = record[k];
      }
      const values = [
        c.statusType,
        c.status ?? null,
        c.plan ?? null,
        c.unknownReason ?? null,
        e.eligible,
        e.reasons,
      ];
      let json = JSON.stringify(base);
      json = json.length > 2 ? `${json.slice(0, -1)},` : '{';
      for (let i = 0; i < values.length; i++)
        json += `${JSON.stringify(added[i])}:${JSON.stringify(values[i])}${i < values.length - 1 ? ',' : '}\n'}`;
      return json;
    },
  };
}

const padded = (cells: readonly string[], length: number) => {
  const out = [...cells];
  while (out.length < length) out.push('');
  return out;
};

export interface ChunkResult {
  /** The output for the chunk's records, UTF-8 (the CSV header too, for the chunk that held the input's). */
  readonly out: Uint8Array;
  readonly records: number;
  /** Malformed rows, their lines counted from 0 within the chunk. */
  readonly bad: { line: number; message: string }[];
  /** Rows with fewer fields than the header (read, classified), their lines counted likewise. */
  readonly short: number[];
  /** Lines the chunk spans. */
  readonly lines: number;
}

/**
 * Classifies chunks of whole CSV records, in input order (the first holds the header, unless `state`
 * already has it). Rows are read by column index; an object is built per row only when rules read
 * attributes or the output is NDJSON. Each slice's output is encoded into one growing byte buffer as soon
 * as it is done, so no string outlives its slice.
 */
export function csvChunkClassifier(
  config: ClassifyConfig,
  asOf: number,
  output: OutputFormat,
  dialect: CsvDialect,
  state: HeaderState,
): (bytes: Uint8Array) => ChunkResult {
  const rc = recordClassifier(config, asOf);
  const objects = output === 'ndjson' || config.evaluator.usesFacts.has('attributes');
  const f = config.fields;
  const reused: CliAccount = { id: '', status: undefined, attributes: {}, statusObservedAt: undefined };
  const encoder = new TextEncoder();
  let indexes: { id: number; status: number; observed: number } | undefined;
  let text = '';
  let records = 0;
  let headerWritten = false;
  const onRow = (cells: string[], _line: number, raw: string | undefined) => {
    records++;
    const header = state.header as string[];
    // A short row: its missing trailing fields are absent for classification, empty cells in CSV output.
    const out = cells.length < header.length ? padded(cells, header.length) : cells;
    indexes ??= {
      id: header.indexOf(f.id),
      status: header.indexOf(f.status),
      observed: f.observedAt ? header.indexOf(f.observedAt) : -1,
    };
    if (objects) {
      const record = recordOf(header, cells);
      const account = accountOf(record, config);
      text += output === 'csv' ? rc.csvRow(out, account, raw) : rc.jsonLine(record, account);
      return;
    }
    // One reused account object: nothing keeps it past this row.
    const observed = indexes.observed >= 0 ? cells[indexes.observed] : undefined;
    reused.id = indexes.id >= 0 ? (cells[indexes.id] as string) : '';
    reused.status = indexes.status >= 0 ? cells[indexes.status] : undefined;
    reused.statusObservedAt = observed ? observed : undefined;
    text += rc.csvRow(out, reused, raw);
  };
  return (bytes) => {
    let out = new Uint8Array(bytes.length * 2 + 4096);
    let length = 0;
    const emit = (s: string) => {
      if (out.length - length < s.length * 3) {
        const grown = new Uint8Array(Math.max(out.length * 2, length + s.length * 3));
        grown.set(out.subarray(0, length));
        out = grown;
      }
      length += encoder.encodeInto(s, out.subarray(length)).written;
    };
    records = 0;
    const bad: { line: number; message: string }[] = [];
    const short: number[] = [];
    const lines = parseRecordChunk(
      bytes,
      dialect,
      state,
      onRow,
      (line, message) => bad.push({ line, message }),
      {
        wantRaw: output === 'csv' && dialect.delimiter === ',',
        short: (line) => short.push(line),
        sliceDone: () => {
          if (!headerWritten && state.header) {
            headerWritten = true;
            if (output === 'csv') emit(`${csvLine(rc.columns(state.header))}\n`);
          }
          emit(text);
          text = '';
        },
      },
    );
    return { out: out.subarray(0, length), records, bad, short, lines };
  };
}
