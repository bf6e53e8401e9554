import { createHash } from 'node:crypto';
import type { StatuskitClient, StatusUpdateInput } from '@statuskit/client';
import { type FieldMapper, fieldMapper } from '@statuskit/mapper-field';
import type { ConnectorConfig } from './config.js';
import { type ObjectFields, requireFields, typedRecord } from './object-fields.js';
import { recordUpdate, type UpdatePlan } from './record-update.js';
import { type SalesforceClient, SalesforceError, StopSync } from './salesforce-client.js';
import { StampGroups } from './stamp-groups.js';

export interface SyncOptions {
  /** Read everything, ignoring the stored watermark (which still never moves back). */
  readonly full?: boolean;
  /** Print what would be pushed (NDJSON) and change nothing; reads from the watermark when statuskit is given. */
  readonly dryRun?: boolean;
  readonly write?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface SyncSummary {
  /** Records read from Salesforce (within `where`, deleted ones included). */
  read: number;
  /** Updates pushed (or, in a dry run, printed). */
  pushed: number;
  created: number;
  changed: number;
  unchanged: number;
  stale: number;
  skipped: Record<string, number>;
  /** Deleted records read (within `where`). */
  deleted: number;
  batches: number;
  /** Batches the API had applied already (same idempotency key): their updates changed nothing now. */
  replayed: number;
  /** Times the query cursor expired (INVALID_QUERY_LOCATOR) and the query was sent again. */
  requeried: number;
  bulk: boolean;
  dryRun: boolean;
  watermark: string | undefined;
  seconds: number;
  apiCalls: number;
}

interface ConnectorState {
  watermark?: string;
  [key: string]: unknown;
}

/** A SOQL datetime literal (whole seconds, rounded down: a re-read of the same second is harmless). */
const soqlDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The value table of a connector config (sync and check use the same one). */
export function valueTable(config: ConnectorConfig): FieldMapper {
  return fieldMapper({
    field: config.statusField,
    values: config.values,
    ...(config.caseInsensitive !== undefined ? { caseInsensitive: config.caseInsensitive } : {}),
    source: 'sfdc',
  });
}

/** Describes the object and maps the config's field names to Salesforce's (a missing field is a config error). */
export async function describeFields(
  config: ConnectorConfig,
  salesforce: SalesforceClient,
): Promise<ObjectFields> {
  return requireFields(config, await salesforce.describe(config.object));
}

/** Consecutive cursor expiries without progress before a sync gives up. */
const MAX_EXPIRIES = 3;

/**
 * One sync: reads the records modified since the stored watermark (everything on the first run or with
 * `full`), deleted ones included (queryAll), within `where`; maps the status field; pushes in batches; and
 * moves the watermark forward only past groups of equal SystemModstamps that are pushed in full, so a sync
 * that stops anywhere resumes with nothing lost. Updates carry observedAt = SystemModstamp and batches an
 * idempotency key made of their content, so reading a record again applies nothing twice.
 */
export async function sync(
  config: ConnectorConfig,
  salesforce: SalesforceClient,
  statuskit: StatuskitClient | undefined,
  options: SyncOptions = {},
): Promise<SyncSummary> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const dryRun = options.dryRun === true || statuskit === undefined;
  salesforce.beginRun();
  const fields = await describeFields(config, salesforce);
  const state: ConnectorState = statuskit
    ? ((await statuskit.getConnectorState<ConnectorState>(config.name)) ?? {})
    : {};
  const stored = typeof state.watermark === 'string' ? state.watermark : undefined;
  const since =
    options.full || stored === undefined ? undefined : Date.parse(stored) - config.overlapSeconds * 1000;
  // Deleted records statuskit may hold: not on a first sync, which never pushed them.
  const pushDeletions = config.deletedStatus !== undefined && stored !== undefined;
  const table = valueTable(config);
  const plan: UpdatePlan = {
    fields,
    lookup: (v) => table.lookup(v),
    default: config.default,
    unmapped: config.unmapped,
  };
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
    replayed: 0,
    requeried: 0,
    bulk: false,
    dryRun,
    watermark: stored,
    seconds: 0,
    apiCalls: 0,
  };

  const emptyBatch = () => ({
    updates: [] as StatusUpdateInput[],
    read: 0,
    deleted: 0,
    skipped: {} as Record<string, number>,
  });
  let batch = emptyBatch();
  /** The latest stamp up to which every record was pushed in this run. */
  let pushedThrough: string | undefined;

  /** Pushes the batch, then saves `mark` (every record up to it is pushed) if it moves the watermark on. */
  const push = async (mark: string | undefined) => {
    const b = batch;
    batch = emptyBatch();
    if (b.updates.length > 0) {
      summary.batches++;
      if (dryRun) for (const u of b.updates) options.write?.(JSON.stringify(u));
      else {
        const key = `sfdc:${config.name}:${createHash('sha256').update(JSON.stringify(b.updates)).digest('hex').slice(0, 32)}`;
        const result = await (statuskit as StatuskitClient).batch(b.updates, { idempotencyKey: key });
        if (result.replayed) summary.replayed++;
        else {
          summary.created += result.counts.created;
          summary.changed += result.counts.changed;
          summary.unchanged += result.counts.unchanged;
          summary.stale += result.counts.stale;
        }
      }
      summary.pushed += b.updates.length;
    }
    summary.read += b.read;
    summary.deleted += b.deleted;
    for (const [reason, n] of Object.entries(b.skipped))
      summary.skipped[reason] = (summary.skipped[reason] ?? 0) + n;
    if (mark === undefined) return;
    if (pushedThrough === undefined || mark > pushedThrough) pushedThrough = mark;
    if (summary.watermark !== undefined && mark <= summary.watermark) return;
    summary.watermark = mark;
    if (!dryRun)
      await (statuskit as StatuskitClient).putConnectorState(config.name, {
        ...state,
        watermark: mark,
        lastSyncAt: new Date().toISOString(),
      });
  };

  const take = async (records: readonly Record<string, unknown>[], groups: StampGroups) => {
    for (const raw of records) {
      const record = typedRecord(raw, fields);
      const modstamp = record[fields.modstamp.name];
      if (typeof modstamp === 'string') groups.see(modstamp);
      batch.read++;
      const deleted = record[fields.deleted.name] === true;
      if (deleted) batch.deleted++;
      if (deleted && !pushDeletions) continue;
      const result = recordUpdate(record, plan, deleted ? config.deletedStatus : undefined);
      if ('skip' in result) batch.skipped[result.skip] = (batch.skipped[result.skip] ?? 0) + 1;
      else batch.updates.push(result.update);
      if (batch.updates.length >= config.batchSize) await push(groups.complete);
    }
  };

  const where = (from: number | undefined) => {
    const conditions = [
      ...(from !== undefined ? [`SystemModstamp > ${soqlDate(from)}`] : []),
      ...(config.where ? [`(${config.where})`] : []),
    ];
    return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  };
  const select = (from: number | undefined) =>
    `SELECT ${fields.select.map((f) => f.name).join(', ')} FROM ${fields.object}${where(from)}`;

  summary.bulk =
    since === undefined &&
    (await salesforce.count(`SELECT COUNT() FROM ${fields.object}${where(undefined)}`)) >
      config.bulkThreshold;
  if (summary.bulk) {
    // Bulk API 2.0 returns rows in no order (ORDER BY is not supported there): the watermark moves at the end.
    log('first sync of a large object: Bulk API 2.0 query');
    const groups = new StampGroups(false);
    for await (const rows of salesforce.bulkQuery(select(undefined), { all: true })) await take(rows, groups);
    await push(groups.end);
  } else {
    let from = since;
    for (let expiries = 0; ; ) {
      const groups = new StampGroups(true);
      const before = pushedThrough;
      try {
        for await (const page of salesforce.query<Record<string, unknown>>(
          `${select(from)} ORDER BY SystemModstamp ASC, Id ASC`,
          { all: true },
        ))
          await take(page, groups);
        await push(groups.end);
        break;
      } catch (error) {
        if (!(error instanceof SalesforceError && error.errorCode === 'INVALID_QUERY_LOCATOR')) throw error;
        // The cursor expired: what was read and not pushed is read again, from the last pushed watermark.
        batch = emptyBatch();
        expiries = pushedThrough === before ? expiries + 1 : 1;
        if (expiries >= MAX_EXPIRIES)
          throw new StopSync(
            `the query cursor expired ${expiries} times without progress (INVALID_QUERY_LOCATOR); run again, or lower batchSize`,
          );
        if (pushedThrough !== undefined) from = Date.parse(pushedThrough);
        summary.requeried++;
        log(
          `the query cursor expired (INVALID_QUERY_LOCATOR): querying again from ${from === undefined ? 'the start' : new Date(from).toISOString()}`,
        );
      }
    }
  }
  summary.seconds = (performance.now() - started) / 1000;
  summary.apiCalls = salesforce.calls;
  return summary;
}

const n = (v: number) => v.toLocaleString('en-US');

export function describeSummary(s: SyncSummary): string {
  const skipped =
    Object.entries(s.skipped)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ') || 'none';
  const outcomes = s.dryRun
    ? 'dry run: nothing sent'
    : `${s.replayed ? `${n(s.replayed)} replayed: already applied; ` : ''}${n(s.created)} created, ${n(s.changed)} changed, ${n(s.unchanged)} unchanged, ${n(s.stale)} stale`;
  return (
    `read ${n(s.read)}, ${s.dryRun ? 'would push' : 'pushed'} ${n(s.pushed)} in ${n(s.batches)} batch${s.batches === 1 ? '' : 'es'} (${outcomes}), ` +
    `skipped: ${skipped}, deleted in Salesforce: ${n(s.deleted)}, ${s.requeried ? `query cursor expired ${s.requeried}x (queried again), ` : ''}` +
    `${s.bulk ? 'Bulk API 2.0, ' : ''}${n(s.apiCalls)} Salesforce API calls, ${s.seconds.toFixed(1)} s; watermark ${s.watermark ?? '(none)'}`
  );
}
