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

export interface RecordClassifier {
  /** The raw status keeps its own name: `rawStatus` when the status field is itself called `status`. */
  readonly rawKey: string | undefined;
  /** CSV output: the input's columns (renamed as above) followed by the added ones. */
  columns(input: readonly string[]): string[];
  /**
   * CSV output: one row with its line break, from the input's cells, in input column order, or from the row's
   * own text when the input is comma-separated and the text is at hand (its quoting kept as it was).
   */
  csvRow(cells: readonly unknown[], account: CliAccount, raw?: string): string;
  /** NDJSON output: the record (renamed as above) with the added fields, and a line break. */
  jsonLine(record: Record<string, unknown>, account: CliAccount): string;
}

/**
 * Classifies and evaluates accounts and renders the output. Classifications and decisions are shared
 * objects (core caches them), so the added CSV columns are rendered once per (classification, decision).
 */
export function recordClassifier(config: ClassifyConfig, asOf: number): RecordClassifier {
  const rawKey = config.fields.status === 'status' ? 'rawStatus' : undefined;
  const options = { asOf };
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
    rawKey,
    columns: (input) => [...input.map((k) => (k === 'status' && rawKey ? rawKey : k)), ...ADDED_COLUMNS],
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
      let base: Record<string, unknown> = record;
      if (rawKey) {
        base = {};
        for (const k in record) base[k === 'status' ? rawKey : k] = record[k];
      }
      const values = [c.statusType, c.status ?? null, c.plan ?? null, c.unknownReason ?? null, e.eligible];
      let json = JSON.stringify(base);
      json = json.length > 2 ? `${json.slice(0, -1)},` : '{';
      for (let i = 0; i < values.length; i++) json += `"${ADDED_COLUMNS[i]}":${JSON.stringify(values[i])},`;
      return `${json}"reasons":${JSON.stringify(e.reasons)}}\n`;
    },
  };
}

export interface ChunkResult {
  /** The output for the chunk's records, UTF-8 (the CSV header too, for the chunk that held the input's). */
  readonly out: Uint8Array;
  readonly records: number;
  /** Malformed rows, their lines counted from 0 within the chunk. */
  readonly bad: { line: number; message: string }[];
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
    indexes ??= {
      id: header.indexOf(f.id),
      status: header.indexOf(f.status),
      observed: f.observedAt ? header.indexOf(f.observedAt) : -1,
    };
    if (objects) {
      const record = recordOf(header, cells);
      const account = accountOf(record, config);
      text += output === 'csv' ? rc.csvRow(cells, account, raw) : rc.jsonLine(record, account);
      return;
    }
    // One reused account object: nothing keeps it past this row.
    const observed = indexes.observed >= 0 ? cells[indexes.observed] : undefined;
    reused.id = indexes.id >= 0 ? (cells[indexes.id] as string) : '';
    reused.status = indexes.status >= 0 ? cells[indexes.status] : undefined;
    reused.statusObservedAt = observed ? observed : undefined;
    text += rc.csvRow(cells, reused, raw);
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
    const lines = parseRecordChunk(
      bytes,
      dialect,
      state,
      onRow,
      (line, message) => bad.push({ line, message }),
      {
        wantRaw: output === 'csv' && dialect.delimiter === ',',
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
    return { out: out.subarray(0, length), records, bad, lines };
  };
}
