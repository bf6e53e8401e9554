import { classify, type Eligibility, type EligibilityReason, evaluate } from '@statuskit/core';
import { CliError, EXIT } from '../cli-error.js';
import { type LoadedConfig, loadConfig } from '../config.js';
import { scan } from '../scan.js';
import { csvCell, outputFormat, RecordWriter } from '../write-records.js';

export interface ClassifyOptions {
  readonly output?: string;
  readonly format?: string;
  readonly outputFormat?: string;
  readonly idField?: string;
  readonly statusField?: string;
  readonly config?: string;
  readonly rules?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  readonly asOf?: string;
}

export const reasonLabel = (r: EligibilityReason) =>
  r.source === 'built-in'
    ? r.code === 'unknown-status'
      ? `unknown-status:${r.unknownReason}`
      : r.code
    : `${r.type}:${r.rule}${r.overridden ? ' (overridden)' : ''}`;

const reasonsCache = new WeakMap<Eligibility, string>();
const reasonsText = (e: Eligibility) => {
  let s = reasonsCache.get(e);
  if (s === undefined) {
    s = e.reasons.map(reasonLabel).join('; ');
    reasonsCache.set(e, s);
  }
  return s;
};

export function asOfOption(value: string | undefined): number {
  if (!value) return Date.now();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new CliError(`--as-of must be a date (got ${value})`);
  return t;
}

interface CliAccount {
  id: string;
  status: unknown;
  attributes: Record<string, unknown>;
  statusObservedAt?: string | undefined;
}

/** The account core sees for a source record: every column is an attribute rules can read. */
export function accountOf(record: Record<string, unknown>, config: LoadedConfig): CliAccount {
  const f = config.fields;
  const observed = f.observedAt ? record[f.observedAt] : undefined;
  return {
    id: String(record[f.id] ?? ''),
    status: record[f.status],
    attributes: record,
    ...(typeof observed === 'string' && observed !== '' ? { statusObservedAt: observed } : {}),
  };
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

// Classifications and decisions are shared objects, so the added CSV columns repeat: render each pair once.
const suffixes = new WeakMap<object, Map<Eligibility, string>>();
function csvSuffix(c: object, e: Eligibility, values: readonly unknown[]): string {
  let byDecision = suffixes.get(c);
  if (!byDecision) {
    byDecision = new Map();
    suffixes.set(c, byDecision);
  }
  let text = byDecision.get(e);
  if (text === undefined) {
    text = values.map((v) => `,${csvCell(v)}`).join('');
    byDecision.set(e, text);
  }
  return text;
}

export async function classifyCommand(input: string, options: ClassifyOptions): Promise<number> {
  const config = loadConfig(options);
  const csvIn =
    options.format === 'csv' ||
    (!options.format && input.toLowerCase().replace(/\.gz$/, '').endsWith('.csv'));
  const format = outputFormat(options.output, options.outputFormat, csvIn ? 'csv' : 'ndjson');
  const writer = new RecordWriter(options.output);
  const evaluateOptions = { asOf: asOfOption(options.asOf) };
  const rawKey = config.fields.status === 'status' ? 'rawStatus' : undefined;
  const structured = format === 'ndjson';
  // CSV rows are read by column index unless an object is needed (rules on attributes, JSON output).
  const objects = !csvIn || structured || config.evaluator.usesFacts.has('attributes');
  const added = ['statusType', 'status', 'plan', 'unknownReason', 'eligible', 'reasons'];
  let columns: string[] | undefined;
  let idIndex = -1;
  let statusIndex = -1;
  let observedIndex = -1;
  const reused: CliAccount = {
    id: '',
    status: undefined,
    attributes: EMPTY,
    statusObservedAt: undefined,
  };
  // Rows are written from the input's own cells (CSV) or its JSON text plus the added fields: copying each
  // record into a new object costs more than everything else together.
  const result = await scan(
    input,
    { ...options, objects, afterBatch: () => writer.flush() },
    ({ record, cells }, opened) => {
      let account: CliAccount;
      if (objects || !cells) account = accountOf(record, config);
      else {
        if (idIndex === -1) {
          const header = opened.columns() ?? [];
          idIndex = header.indexOf(config.fields.id);
          statusIndex = header.indexOf(config.fields.status);
          observedIndex = config.fields.observedAt ? header.indexOf(config.fields.observedAt) : -2;
        }
        // One reused object: nothing keeps the account past this row.
        const observed = observedIndex >= 0 ? cells[observedIndex] : undefined;
        reused.id = idIndex >= 0 ? (cells[idIndex] as string) : '';
        reused.status = statusIndex >= 0 ? cells[statusIndex] : undefined;
        reused.statusObservedAt = observed ? observed : undefined;
        account = reused;
      }
      const c = classify(account, config.catalog);
      const e = evaluate(c, account, config.evaluator, evaluateOptions);
      const values = [
        c.statusType,
        c.status ?? null,
        c.plan ?? null,
        c.unknownReason ?? null,
        e.eligible,
        structured ? e.reasons : reasonsText(e),
      ];
      if (structured) {
        // The raw value keeps its own key (rawStatus when the status field is itself called "status").
        let base: Record<string, unknown> = record;
        if (rawKey) {
          base = {};
          for (const k in record) base[k === 'status' ? rawKey : k] = record[k];
        }
        let json = JSON.stringify(base);
        json = json.length > 2 ? `${json.slice(0, -1)},` : '{';
        for (let i = 0; i < added.length; i++)
          json += `${i ? ',' : ''}"${added[i]}":${JSON.stringify(values[i])}`;
        writer.writeLine(`${json}}`);
        return;
      }
      if (!columns) {
        const base = opened.columns() ?? Object.keys(record);
        columns = [...base.map((k) => (k === 'status' && rawKey ? rawKey : k)), ...added];
      }
      const baseCount = columns.length - added.length;
      const base =
        cells && cells.length === baseCount
          ? cells
          : columns.slice(0, baseCount).map((k) => record[k === rawKey ? 'status' : k]);
      writer.writeRow(columns, base, csvSuffix(c, e, values));
    },
  );
  await writer.close();
  if (!options.quiet) {
    process.stderr.write(
      `classified ${result.records.toLocaleString('en-US')} records in ${result.seconds.toFixed(1)} s (${Math.round(result.records / Math.max(result.seconds, 1e-9)).toLocaleString('en-US')} rows/s)` +
        `${result.bad ? `; ${result.bad} malformed records skipped` : ''}\n`,
    );
  }
  return result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
