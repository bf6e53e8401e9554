import { createHash } from 'node:crypto';
import type { StatuskitClient, StatusUpdateInput } from '@statuskit/client';
import { fieldMapper } from '@statuskit/mapper-field';
import Papa from 'papaparse';
import type { ConnectorConfig } from './config.js';
import type { SalesforceClient } from './salesforce-client.js';
import { toId18 } from './salesforce-id.js';

export interface SyncOptions {
  /** Read everything, ignoring the stored watermark. */
  readonly full?: boolean;
  /** Print what would be pushed (NDJSON) and change nothing. */
  readonly dryRun?: boolean;
  readonly write?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface SyncSummary {
  read: number;
  pushed: number;
  created: number;
  changed: number;
  unchanged: number;
  stale: number;
  skipped: Record<string, number>;
  deleted: number;
  batches: number;
  bulk: boolean;
  watermark: string | undefined;
  seconds: number;
  apiCalls: number;
}

interface ConnectorState {
  watermark?: string;
  [key: string]: unknown;
}

const soqlDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The field mapper a connector config describes (sync and check use the same one). */
export function mapperFor(config: ConnectorConfig) {
  return fieldMapper({
    field: config.statusField,
    idField: config.idField,
    observedAtField: 'SystemModstamp',
    ...(config.nameField ? { nameField: config.nameField } : {}),
    ...(config.attributeFields.length ? { attributeFields: config.attributeFields } : {}),
    values: config.values,
    ...(config.default ? { default: config.default } : {}),
    ...(config.caseInsensitive !== undefined ? { caseInsensitive: config.caseInsensitive } : {}),
    source: 'sfdc',
  });
}

export function queryFields(config: ConnectorConfig): string[] {
  return [
    ...new Set([
      config.idField,
      config.statusField,
      'SystemModstamp',
      ...(config.nameField ? [config.nameField] : []),
      ...config.attributeFields,
    ]),
  ];
}

/**
 * One sync: reads the records modified since the stored watermark (everything on the first run or with
 * `full`), maps the status field, pushes in batches, and moves the watermark forward only after the batch
 * holding it was accepted, so a crash resumes with nothing lost. Updates carry observedAt = SystemModstamp,
 * so re-reading the overlap is harmless.
 */
export async function sync(
  config: ConnectorConfig,
  salesforce: SalesforceClient,
  statuskit: StatuskitClient | undefined,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const state: ConnectorState =
    options.full || !statuskit
      ? {}
      : ((await statuskit.getConnectorState<ConnectorState>(config.name)) ?? {});
  const since = state.watermark ? Date.parse(state.watermark) - config.overlapSeconds * 1000 : undefined;
  const conditions = [
    ...(since !== undefined ? [`SystemModstamp > ${soqlDate(since)}`] : []),
    ...(config.where ? [`(${config.where})`] : []),
  ];
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const soql = `SELECT ${queryFields(config).join(', ')} FROM ${config.object}${where} ORDER BY SystemModstamp ASC, Id ASC`;
  const mapper = mapperFor(config);
  const summary: SyncSummary = {
    read: 0,
    pushed: 0,
    created: 0,
    changed: 0,
    unchanged: 0,
    stale: 0,
    skipped: {},
    deleted: 0,
    batches: 0,
    bulk: false,
    watermark: state.watermark,
    seconds: 0,
    apiCalls: 0,
  };

  let pending: StatusUpdateInput[] = [];
  let pendingMark: string | undefined;
  const push = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    const mark = pendingMark;
    pending = [];
    summary.batches++;
    if (options.dryRun || !statuskit) {
      for (const u of batch) options.write?.(JSON.stringify(u));
      summary.pushed += batch.length;
      return;
    }
    const key = `sfdc:${config.name}:${createHash('sha256').update(JSON.stringify(batch)).digest('hex').slice(0, 32)}`;
    const result = await statuskit.batch(batch, { idempotencyKey: key });
    summary.pushed += batch.length;
    if (!result.replayed) {
      summary.created += result.counts.created;
      summary.changed += result.counts.changed;
      summary.unchanged += result.counts.unchanged;
      summary.stale += result.counts.stale;
    }
    if (mark && (!state.watermark || mark > state.watermark)) {
      state.watermark = mark;
      await statuskit.putConnectorState(config.name, {
        ...state,
        watermark: mark,
        lastSyncAt: new Date().toISOString(),
      });
      summary.watermark = mark;
    }
  };
  const take = async (records: Record<string, unknown>[]) => {
    for (const raw of records) {
      summary.read++;
      const id = raw[config.idField];
      let record = raw;
      try {
        if (typeof id === 'string') record = { ...raw, [config.idField]: toId18(id) };
      } catch {
        summary.skipped['invalid-id'] = (summary.skipped['invalid-id'] ?? 0) + 1;
        continue;
      }
      const result = mapper.map(record);
      const modstamp =
        typeof raw.SystemModstamp === 'string' ? new Date(raw.SystemModstamp).toISOString() : undefined;
      if (result.kind === 'skip') summary.skipped[result.reason] = (summary.skipped[result.reason] ?? 0) + 1;
      else pending.push(result.update as StatusUpdateInput);
      if (modstamp && (!pendingMark || modstamp > pendingMark)) pendingMark = modstamp;
      if (pending.length >= config.batchSize) await push();
    }
  };

  const useBulk =
    since === undefined &&
    (await salesforce.count(`SELECT COUNT() FROM ${config.object}${where}`)) > config.bulkThreshold;
  summary.bulk = useBulk;
  if (useBulk) {
    log(`first sync of a large object: Bulk API 2.0 query`);
    const parseCsv = (text: string) =>
      Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
    for await (const page of salesforce.bulkQuery(soql, parseCsv)) await take(page);
  } else {
    for await (const page of salesforce.query<Record<string, unknown>>(soql)) await take(page);
  }
  await push();

  // Deleted records: reported, and set to a status when the config says so.
  const deletedSoql = `SELECT ${config.idField}, SystemModstamp FROM ${config.object} WHERE IsDeleted = true${since !== undefined ? ` AND SystemModstamp > ${soqlDate(since)}` : ''}`;
  for await (const page of salesforce.query<Record<string, unknown>>(deletedSoql, { all: true })) {
    summary.deleted += page.length;
    if (config.deletedStatus) {
      for (const r of page) {
        const id = r[config.idField];
        if (typeof id !== 'string') continue;
        pending.push({
          accountId: toId18(id),
          status: config.deletedStatus,
          observedAt: new Date(String(r.SystemModstamp)).toISOString(),
          source: 'sfdc',
        });
        if (pending.length >= config.batchSize) await push();
      }
    }
  }
  await push();
  summary.seconds = (performance.now() - started) / 1000;
  summary.apiCalls = salesforce.calls;
  return summary;
}

export function describeSummary(s: SyncSummary): string {
  const skipped =
    Object.entries(s.skipped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return (
    `read ${s.read}, pushed ${s.pushed} (${s.created} created, ${s.changed} changed, ${s.unchanged} unchanged, ${s.stale} stale), ` +
    `skipped: ${skipped}, deleted in Salesforce: ${s.deleted}, ${s.bulk ? 'Bulk API 2.0, ' : ''}${s.apiCalls} Salesforce API calls, ${s.seconds.toFixed(1)} s; watermark ${s.watermark ?? '(none)'}`
  );
}
