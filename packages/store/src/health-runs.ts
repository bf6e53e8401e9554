import { randomBytes } from 'node:crypto';
import { classifyStatus, type Eligibility, evaluate, type HealthSummary, HealthTally } from '@statuskit/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { ChunkSizer } from './chunking.js';
import type { Database, HealthRunsTable } from './schema.js';
import type { TenantConfig } from './tenant-config.js';
import { enqueueHealthRunEvent } from './webhook-outbox.js';

export interface HealthRunSummary extends HealthSummary {
  /** Distinct decisions of the run; each exclusion points at one by index. */
  readonly decisions: readonly Eligibility[];
}

export interface HealthRun {
  readonly id: string;
  readonly trigger: 'scheduled' | 'manual';
  /** The UTC day the run is for (YYYY-MM-DD); `daysInStatus` counts to its start time. */
  readonly day: string;
  readonly state: 'running' | 'done' | 'failed';
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly catalogVersion: number;
  readonly rulesVersion: number;
  readonly summary: HealthRunSummary | null;
  readonly error: string | null;
}

export interface HealthRunExclusion {
  readonly accountId: string;
  readonly reason: string;
  readonly eligibility: Eligibility;
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
/** A scheduled run still `running` after this long is taken to be abandoned by a process that died. */
export const STALE_CLAIM_MS = 60 * 60 * 1000;

const newRunId = () => `hr_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function toRun(r: Selectable<HealthRunsTable>): HealthRun {
  const day: unknown = r.day;
  return {
    id: r.run_id,
    trigger: r.trigger,
    day: day instanceof Date ? isoDay(day) : String(day),
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    catalogVersion: r.catalog_version,
    rulesVersion: r.rules_version,
    summary: r.summary as HealthRunSummary | null,
    error: r.error,
  };
}

/**
 * Runs the health calculation for one tenant: every account classified and evaluated with the compiled
 * evaluator, the summary stored, and each excluded account stored with its decision. A scheduled run is
 * claimed with an insert that the unique index (tenant, day) lets only one process win, however many API
 * processes share the database; a losing claim returns undefined.
 */
export async function runHealth(
  db: Kysely<Database>,
  config: TenantConfig,
  tenantId: string,
  options: { trigger: 'scheduled' | 'manual'; now?: Date; pageSize?: number; chunkTargetMs?: number },
): Promise<HealthRun | undefined> {
  const now = options.now ?? new Date();
  const [catalog, rules] = [await config.catalog(db, tenantId), await config.rules(db, tenantId)];
  const runId = newRunId();
  const claimed = await sql<{ run_id: string }>`
    INSERT INTO health_runs (tenant_id, run_id, trigger, day, state, started_at, catalog_version, rules_version)
    VALUES (${tenantId}, ${runId}, ${options.trigger}, ${isoDay(now)}::date, 'running', ${now.toISOString()}::timestamptz,
            ${catalog.version}, ${rules.version})
    ON CONFLICT DO NOTHING
    RETURNING run_id
  `.execute(db);
  if (claimed.rows.length === 0) {
    // Today's scheduled run exists. If its process died mid-run (still `running` after STALE_CLAIM), take it
    // over under a new id; the row lock of the UPDATE lets exactly one process win that too.
    if (options.trigger !== 'scheduled') return undefined;
    const takeover = await sql<{ old: string }>`
      UPDATE health_runs h SET run_id = ${runId}, started_at = ${now.toISOString()}::timestamptz,
             catalog_version = ${catalog.version}, rules_version = ${rules.version}
      FROM (SELECT run_id AS old FROM health_runs
            WHERE tenant_id = ${tenantId} AND day = ${isoDay(now)}::date AND trigger = 'scheduled' AND state = 'running'
              AND started_at < ${new Date(now.getTime() - STALE_CLAIM_MS).toISOString()}::timestamptz
            FOR UPDATE) o
      WHERE h.tenant_id = ${tenantId} AND h.run_id = o.old
      RETURNING o.old
    `.execute(db);
    const old = takeover.rows[0]?.old;
    if (old === undefined) return undefined;
    await db
      .deleteFrom('health_run_exclusions')
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', old)
      .execute();
  }

  try {
    const tally = new HealthTally(catalog.catalog, rules.evaluator, { asOf: now });
    const decisions = new Map<Eligibility, number>();
    const evaluateOptions = { asOf: now.getTime() };
    // Pages sized so each statement takes about chunkTargetMs (a fixed pageSize when given): on PGlite,
    // requests queued meanwhile get the connection between them.
    const sizer =
      options.pageSize !== undefined
        ? new ChunkSizer(Number.POSITIVE_INFINITY, options.pageSize, options.pageSize, options.pageSize)
        : new ChunkSizer(options.chunkTargetMs ?? 1000, 1000, 200, 20_000);
    // Attributes are read only when a rule looks at them; the observation time comes as epoch ms.
    const attributes = rules.evaluator.usesFacts.has('attributes')
      ? sql`attributes`
      : sql`NULL::jsonb AS attributes`;
    type Page = {
      rows: {
        account_id: string;
        raw_status: string | null;
        attributes: Record<string, unknown> | null;
        observed: number;
      }[];
    };
    const fetchPage = (after: string, pageSize: number): Promise<Page> =>
      sizer.time('read', pageSize, () =>
        sql<{
          account_id: string;
          raw_status: string | null;
          attributes: Record<string, unknown> | null;
          observed: number;
        }>`
        SELECT account_id, raw_status, ${attributes}, (extract(epoch FROM status_observed_at) * 1000)::float8 AS observed
        FROM accounts WHERE tenant_id = ${tenantId} AND account_id > ${after} ORDER BY account_id LIMIT ${pageSize}
      `.execute(db),
      );
    // The next page is read while this one is evaluated and its exclusions written.
    let asked = sizer.size;
    let next: Promise<Page> | undefined = fetchPage('', asked);
    while (next) {
      const page: Page = await next;
      const last: string | undefined = page.rows.at(-1)?.account_id;
      const full = page.rows.length === asked;
      asked = sizer.size;
      next = last !== undefined && full ? fetchPage(last, asked) : undefined;
      const excludedIds: string[] = [];
      const excludedReasons: string[] = [];
      const excludedDecisions: number[] = [];
      for (const r of page.rows) {
        const account = {
          id: r.account_id,
          status: r.raw_status ?? undefined,
          attributes: r.attributes ?? EMPTY,
          statusObservedAt: r.observed,
        };
        const c = classifyStatus(account.status, catalog.catalog);
        const e = evaluate(c, account, rules.evaluator, evaluateOptions);
        tally.record(account, c, e);
        if (!e.eligible) {
          let d = decisions.get(e);
          if (d === undefined) {
            d = decisions.size;
            decisions.set(e, d);
          }
          excludedIds.push(r.account_id);
          excludedReasons.push(e.reason);
          excludedDecisions.push(d);
        }
      }
      if (excludedIds.length > 0) {
        await sizer.time('write', excludedIds.length, () =>
          sql`
          INSERT INTO health_run_exclusions (tenant_id, run_id, account_id, reason, decision)
          SELECT ${tenantId}, ${runId}, x.account_id, x.reason, x.decision
          FROM unnest(${excludedIds}::text[], ${excludedReasons}::text[], ${excludedDecisions}::int[]) AS x(account_id, reason, decision)
        `.execute(db),
        );
      }
    }
    const summary: HealthRunSummary = { ...tally.summary(), decisions: [...decisions.keys()] };
    await finishRun(db, tenantId, runId, { state: 'done', summary });
  } catch (error) {
    await finishRun(db, tenantId, runId, {
      state: 'failed',
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return getHealthRun(db, tenantId, runId);
}

/** Records a run's end and, in the same transaction, its `health_run.completed` webhook event. */
async function finishRun(
  db: Kysely<Database>,
  tenantId: string,
  runId: string,
  end: { state: 'done'; summary: HealthRunSummary } | { state: 'failed'; error: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const finishedAt = new Date();
    const row = await trx
      .updateTable('health_runs')
      .set({
        state: end.state,
        finished_at: finishedAt,
        ...(end.state === 'done' ? { summary: JSON.stringify(end.summary) } : { error: end.error }),
      })
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', runId)
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    const run = toRun(row);
    const s = end.state === 'done' ? end.summary : undefined;
    await enqueueHealthRunEvent(
      trx,
      tenantId,
      {
        runId: run.id,
        trigger: run.trigger,
        day: run.day,
        state: run.state,
        startedAt: run.startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        catalogVersion: run.catalogVersion,
        rulesVersion: run.rulesVersion,
        error: run.error,
        summary: s
          ? {
              total: s.total,
              eligible: s.eligible,
              excluded: s.excluded,
              byType: s.byType,
              unknown: s.unknown.total,
              excludedByReason: s.excludedByReason,
            }
          : null,
      },
      finishedAt,
    );
  });
}

export async function getHealthRun(
  db: Kysely<Database>,
  tenantId: string,
  runId: string,
): Promise<HealthRun | undefined> {
  const row = await db
    .selectFrom('health_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function listHealthRuns(
  db: Kysely<Database>,
  tenantId: string,
  limit = 30,
): Promise<HealthRun[]> {
  const rows = await db
    .selectFrom('health_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRun);
}

/**
 * A page of a run's excluded accounts (those of one deciding reason, if given), in id order after `cursor`.
 * Only a finished run lists any: while it runs its exclusions are being written, and readers never see half
 * of them. With a reason, the run's exclusions are scanned in windows of `window` rows (each its own short
 * statement) until the page is full, rather than in one statement that may scan all of them for a rare one.
 */
export async function healthRunExclusions(
  db: Kysely<Database>,
  tenantId: string,
  run: HealthRun,
  cursor: string | undefined,
  limit: number,
  filter: { reason?: string | undefined } = {},
  window = 5000,
): Promise<HealthRunExclusion[]> {
  if (run.state !== 'done') return [];
  const decisions = run.summary?.decisions ?? [];
  const view = (r: { account_id: string; reason: string; decision: number }) => ({
    accountId: r.account_id,
    reason: r.reason,
    eligibility: decisions[r.decision] as Eligibility,
  });
  const scan = (after: string | undefined, n: number) => {
    let q = db
      .selectFrom('health_run_exclusions')
      .select(['account_id', 'reason', 'decision'])
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', run.id);
    if (after !== undefined) q = q.where('account_id', '>', after);
    return q.orderBy('account_id').limit(n).execute();
  };
  const reason = filter.reason;
  if (reason === undefined) return (await scan(cursor, limit)).map(view);
  const found: HealthRunExclusion[] = [];
  let after = cursor;
  for (;;) {
    const rows = await scan(after, window);
    for (const r of rows) {
      if (r.reason !== reason) continue;
      found.push(view(r));
      if (found.length === limit) return found;
    }
    if (rows.length < window) return found;
    after = rows.at(-1)?.account_id;
  }
}
