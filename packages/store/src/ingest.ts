import { classifyStatus, INPUT_LIMITS, type StatusType } from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import { checkKeys, checkUpdates } from './input-checks.js';
import type { Database } from './schema.js';
import { lockTenant, type TenantConfig } from './tenant-config.js';
import { enqueueStatusEvents } from './webhook-outbox.js';

/** One status update as the store applies it. `status: null` clears the status (the account becomes Unknown). */
export interface IncomingUpdate {
  readonly accountId: string;
  readonly status: string | null;
  readonly observedAt?: Date | string | undefined;
  readonly source?: string | undefined;
  readonly name?: string | undefined;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

export type UpdateOutcome = 'created' | 'changed' | 'unchanged' | 'stale';

export interface UpdateResult {
  readonly accountId: string;
  readonly outcome: UpdateOutcome;
  /** The status the account has after this update (for `stale`: the newer one it kept). */
  readonly status: string | null;
  readonly statusType: StatusType | 'unknown';
  readonly observedAt: string;
  /** For a stale update: the account's newer observation that won. */
  readonly currentObservedAt?: string;
}

export interface IngestResult {
  readonly results: UpdateResult[];
  readonly counts: Readonly<Record<UpdateOutcome, number>>;
}

export type IngestOutcome =
  | { readonly kind: 'applied'; readonly result: IngestResult }
  | { readonly kind: 'replayed'; readonly result: IngestResult }
  | { readonly kind: 'conflict' };

export interface IngestOptions {
  /** Under a key, the same request returns the first answer; another request under it is a conflict. */
  readonly idempotency?: { readonly key: string; readonly requestHash: string };
  /** When the request arrived; the default observedAt. */
  readonly receivedAt?: Date;
  /**
   * How far after `receivedAt` an observedAt may be (default 5 minutes, `INPUT_LIMITS.futureSkewMs`): one
   * update dated years ahead would make every later real update of its account stale.
   */
  readonly maxFutureSkewMs?: number;
}

interface State {
  raw: string | null;
  type: StatusType | 'unknown';
  since: Date;
  last: Date;
}

const DAY_MS = 86_400_000;

/**
 * Adds a batch's status changes to the per-day counts (status_day_changes) in the ingest transaction: one
 * row per UTC day and raw (from, to) pair. An account's first change (no status before) is `created`.
 */
async function addDayChanges(
  db: Kysely<Database>,
  tenantId: string,
  events: readonly {
    kind: string;
    from: string | null;
    to: string | null;
    fromType: string | null;
    at: Date;
  }[],
): Promise<void> {
  const pairs = new Map<
    string,
    { day: number; created: boolean; from: string | null; to: string | null; n: number }
  >();
  for (const e of events) {
    if (e.kind !== 'change') continue;
    const day = Math.floor(e.at.getTime() / DAY_MS);
    const created = e.fromType === null;
    const key = JSON.stringify([day, created, e.from, e.to]);
    const seen = pairs.get(key);
    if (seen) seen.n++;
    else pairs.set(key, { day, created, from: e.from, to: e.to, n: 1 });
  }
  if (pairs.size === 0) return;
  await sql`
    INSERT INTO status_day_changes (tenant_id, day, created, from_status, to_status, n)
    SELECT ${tenantId}, c.day, c.created, c.from_status, c.to_status, c.n
    FROM json_to_recordset(${JSON.stringify([...pairs.values()].map((p) => ({ day: p.day, created: p.created, from_status: p.from, to_status: p.to, n: p.n })))}::json)
         AS c(day integer, created boolean, from_status text, to_status text, n integer)
    ON CONFLICT (tenant_id, day, created, from_status, to_status) DO UPDATE SET n = status_day_changes.n + EXCLUDED.n
  `.execute(db);
}

/**
 * Moves a batch's changed accounts between raw statuses in account_status_counts, in the ingest
 * transaction: each change adds one to its new value and, unless the account is new, takes one from its
 * old value. Ingest holds the tenant's lock (lockTenant), so one tenant's rows change one batch at a time.
 */
async function addStatusCounts(
  db: Kysely<Database>,
  tenantId: string,
  events: readonly { kind: string; from: string | null; to: string | null; fromType: string | null }[],
): Promise<void> {
  const delta = new Map<string | null, number>();
  const move = (raw: string | null, by: number) => delta.set(raw, (delta.get(raw) ?? 0) + by);
  for (const e of events) {
    if (e.kind !== 'change') continue;
    move(e.to, 1);
    if (e.fromType !== null) move(e.from, -1);
  }
  const rows = [...delta].filter(([, n]) => n !== 0).map(([raw_status, n]) => ({ raw_status, n }));
  if (rows.length === 0) return;
  await sql`
    INSERT INTO account_status_counts (tenant_id, raw_status, n)
    SELECT ${tenantId}, c.raw_status, c.n
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS c(raw_status text, n bigint)
    ON CONFLICT (tenant_id, raw_status) DO UPDATE SET n = account_status_counts.n + EXCLUDED.n
  `.execute(db);
}

const toDate = (v: Date | string | undefined, fallback: Date) =>
  v === undefined ? fallback : v instanceof Date ? v : new Date(v);

/**
 * Applies a batch of status updates atomically. Each update is compared with the account as it stands
 * (including earlier updates of the same batch): an update observed before the account's newest
 * observation is stale (recorded, not applied); a new value is a change (a status event); the same value
 * only refreshes the observation time, name and attributes. Refuses the whole batch with InvalidInputError
 * when any update holds something the database cannot store (see `checkUpdates`).
 */
export async function applyStatusUpdates(
  db: Kysely<Database>,
  config: TenantConfig,
  tenantId: string,
  updates: readonly IncomingUpdate[],
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const receivedAt = options.receivedAt ?? new Date();
  checkUpdates(updates, receivedAt, options.maxFutureSkewMs ?? INPUT_LIMITS.futureSkewMs);
  if (options.idempotency) checkKeys({ idempotencyKey: options.idempotency.key });
  // Inside a caller's transaction (a webhook delivery records its event id in the same one), join it.
  const inTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  return inTransaction(async (trx) => {
    await lockTenant(trx, tenantId);
    const idem = options.idempotency;
    if (idem) {
      const prior = await trx
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'response'])
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', idem.key)
        .executeTakeFirst();
      if (prior) {
        return prior.request_hash === idem.requestHash
          ? { kind: 'replayed' as const, result: prior.response as IngestResult }
          : { kind: 'conflict' as const };
      }
    }
    const { catalog } = await config.catalog(trx, tenantId);
    const ids = [...new Set(updates.map((u) => u.accountId))];
    const current = new Map<string, State>();
    for (let i = 0; i < ids.length; i += 10_000) {
      const found = await sql<{
        account_id: string;
        raw_status: string | null;
        status_observed_at: Date;
        last_observed_at: Date;
      }>`
        SELECT account_id, raw_status, status_observed_at, last_observed_at
        FROM accounts WHERE tenant_id = ${tenantId} AND account_id = ANY(${ids.slice(i, i + 10_000)}::text[])
      `.execute(trx);
      for (const r of found.rows) {
        current.set(r.account_id, {
          raw: r.raw_status,
          // The class it has now: its raw status read with the current catalog.
          type: classifyStatus(r.raw_status ?? undefined, catalog).statusType,
          since: r.status_observed_at,
          last: r.last_observed_at,
        });
      }
    }
    const existed = new Set(current.keys());

    const results: UpdateResult[] = [];
    const counts: Record<UpdateOutcome, number> = { created: 0, changed: 0, unchanged: 0, stale: 0 };
    // Final row per touched account, and the events in order.
    const rows = new Map<
      string,
      {
        u: IncomingUpdate;
        state: State;
        source: string;
        name?: string;
        attributes?: Readonly<Record<string, unknown>>;
      }
    >();
    const events: {
      id: string;
      kind: 'change' | 'stale';
      from: string | null;
      to: string | null;
      fromType: string | null;
      toType: string;
      source: string;
      at: Date;
    }[] = [];

    for (const u of updates) {
      const at = toDate(u.observedAt, receivedAt);
      const source = u.source ?? 'api';
      const c = classifyStatus(u.status ?? undefined, catalog);
      const before = current.get(u.accountId);
      let outcome: UpdateOutcome;
      if (!before) outcome = 'created';
      else if (at.getTime() < before.last.getTime()) outcome = 'stale';
      else if (before.raw === u.status) outcome = 'unchanged';
      else outcome = 'changed';
      counts[outcome]++;
      if (outcome === 'stale' && before) {
        events.push({
          id: u.accountId,
          kind: 'stale',
          from: before.raw,
          to: u.status,
          fromType: before.type,
          toType: c.statusType,
          source,
          at,
        });
        results.push({
          accountId: u.accountId,
          outcome,
          status: before.raw,
          statusType: before.type,
          observedAt: at.toISOString(),
          currentObservedAt: before.last.toISOString(),
        });
        continue;
      }
      const state: State =
        outcome === 'unchanged' && before
          ? { ...before, last: at }
          : { raw: u.status, type: c.statusType, since: at, last: at };
      if (outcome !== 'unchanged') {
        events.push({
          id: u.accountId,
          kind: 'change',
          from: before?.raw ?? null,
          to: u.status,
          fromType: before ? before.type : null,
          toType: c.statusType,
          source,
          at,
        });
      }
      current.set(u.accountId, state);
      const prev = rows.get(u.accountId);
      rows.set(u.accountId, {
        u,
        state,
        source,
        ...(u.name !== undefined ? { name: u.name } : prev?.name !== undefined ? { name: prev.name } : {}),
        ...(u.attributes !== undefined
          ? { attributes: u.attributes }
          : prev?.attributes !== undefined
            ? { attributes: prev.attributes }
            : {}),
      });
      results.push({
        accountId: u.accountId,
        outcome,
        status: u.status,
        statusType: c.statusType,
        observedAt: at.toISOString(),
      });
    }

    const inserts = [...rows.entries()].filter(([id]) => !existed.has(id));
    const updatesOfExisting = [...rows.entries()].filter(([id]) => existed.has(id));
    // Rows travel as one JSON document per statement: cheaper to encode than a dozen arrays, and
    // json_to_recordset reads it in one pass on either engine.
    const rowsJson = (list: typeof inserts) =>
      JSON.stringify(
        list.map(([id, r]) => ({
          account_id: id,
          name: r.name ?? null,
          raw_status: r.state.raw,
          attributes: r.attributes ?? null,
          since: r.state.since.toISOString(),
          last: r.state.last.toISOString(),
          source: r.source,
        })),
      );
    if (inserts.length > 0) {
      await sql`
        INSERT INTO accounts (tenant_id, account_id, name, raw_status, attributes, status_observed_at, last_observed_at, source)
        SELECT ${tenantId}, u.account_id, u.name, u.raw_status, coalesce(u.attributes, '{}'::jsonb), u.since, u.last, u.source
        FROM json_to_recordset(${rowsJson(inserts)}::json) AS u(account_id text, name text, raw_status text,
             attributes jsonb, since timestamptz, last timestamptz, source text)
      `.execute(trx);
    }
    if (updatesOfExisting.length > 0) {
      await sql`
        UPDATE accounts a SET
          name = coalesce(u.name, a.name), raw_status = u.raw_status, attributes = coalesce(u.attributes, a.attributes),
          status_observed_at = u.since, last_observed_at = u.last, source = u.source, updated_at = now()
        FROM json_to_recordset(${rowsJson(updatesOfExisting)}::json) AS u(account_id text, name text, raw_status text,
             attributes jsonb, since timestamptz, last timestamptz, source text)
        WHERE a.tenant_id = ${tenantId} AND a.account_id = u.account_id
      `.execute(trx);
    }
    if (events.length > 0) {
      const eventsJson = JSON.stringify(
        events.map((e, n) => ({
          n,
          account_id: e.id,
          kind: e.kind,
          from_status: e.from,
          to_status: e.to,
          from_type: e.fromType,
          to_type: e.toType,
          source: e.source,
          observed_at: e.at.toISOString(),
        })),
      );
      await sql`
        INSERT INTO status_events (tenant_id, account_id, kind, from_status, to_status, from_type, to_type, source, observed_at, received_at)
        SELECT ${tenantId}, e.account_id, e.kind, e.from_status, e.to_status, e.from_type, e.to_type, e.source, e.observed_at,
               ${receivedAt.toISOString()}::timestamptz
        FROM json_to_recordset(${eventsJson}::json) AS e(n integer, account_id text, kind text, from_status text,
             to_status text, from_type text, to_type text, source text, observed_at timestamptz)
        ORDER BY e.n
      `.execute(trx);
    }
    await addDayChanges(trx, tenantId, events);
    await addStatusCounts(trx, tenantId, events);
    // Outbound webhooks: the changes' events go to the outbox in this same transaction.
    await enqueueStatusEvents(trx, tenantId, catalog, events, receivedAt);
    const result: IngestResult = { results, counts };
    if (idem) {
      await trx
        .insertInto('idempotency_keys')
        .values({
          tenant_id: tenantId,
          idempotency_key: idem.key,
          request_hash: idem.requestHash,
          status_code: 200,
          response: JSON.stringify(result),
        })
        .execute();
    }
    return { kind: 'applied' as const, result };
  });
}
