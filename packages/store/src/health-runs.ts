import { randomBytes } from 'node:crypto';
import type { Eligibility, HealthSummary } from '@statuskit/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { ChunkSizer } from './chunking.js';
import {
  firstPageAccounts,
  GroupHealthTally,
  type HealthGroup,
  healthGroupKey,
  readHealthPage,
  writePageExclusions,
} from './health-groups.js';
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
 * Runs the health calculation for one tenant: accounts grouped by what the rules read (see health-groups),
 * each group classified and evaluated once with the compiled evaluator, the summary stored, and each
 * excluded account stored with its decision (written in SQL, group by group). Readers see no exclusions
 * until the run is `done`. A scheduled run is
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
    const asOfMs = now.getTime();
    const tally = new GroupHealthTally(catalog.catalog, rules.evaluator, asOfMs);
    const key = healthGroupKey(rules.evaluator);
    // Pages sized so each statement takes about chunkTargetMs (a fixed pageSize when given): on PGlite,
    // requests queued meanwhile get the connection between them. Each page is grouped by what the rules
    // read, each group evaluated once, and the page's excluded accounts written by one INSERT ... SELECT;
    // its statements share one snapshot, so what is counted is what is written.
    const sizer =
      options.pageSize !== undefined
        ? new ChunkSizer(Number.POSITIVE_INFINITY, options.pageSize, options.pageSize, options.pageSize)
        : new ChunkSizer(options.chunkTargetMs ?? 1000, 5000, 500, 250_000);
    let after = '';
    for (;;) {
      const asked = sizer.size;
      const page = await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const page = await sizer.time('read', asked, () =>
            readHealthPage(trx, tenantId, key, asOfMs, after, asked),
          );
          const excluded: { group: HealthGroup; reason: string; decision: number }[] = [];
          const failing = new Map<number, HealthGroup[]>();
          for (const group of page.groups) {
            const { eligibility, decision } = tally.add(group);
            if (decision !== undefined) excluded.push({ group, reason: eligibility.reason, decision });
            for (const r of eligibility.ruleErrors ?? []) {
              const groups = failing.get(r.index) ?? [];
              groups.push(group);
              failing.set(r.index, groups);
            }
          }
          // A failed rule's first sample accounts: the first ones of the page in its failing groups.
          for (const [index, groups] of failing) {
            const wanted = tally.samplesWanted(index);
            if (wanted <= 0) continue;
            const ids = await firstPageAccounts(
              trx,
              tenantId,
              key,
              asOfMs,
              page,
              groups.slice(0, wanted),
              wanted,
            );
            tally.addSamples(index, ids);
          }
          await sizer.time('write', page.rows, () =>
            writePageExclusions(trx, tenantId, runId, key, asOfMs, page, excluded),
          );
          return page;
        });
      if (page.last === undefined || page.rows < asked) break;
      after = page.last;
    }
    const summary: HealthRunSummary = { ...tally.summary(), decisions: tally.decisions };
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
