import {
  type Catalog,
  type Classification,
  type CompiledEvaluator,
  classifyStatus,
  type Eligibility,
  evaluate,
  type HealthSummary,
  HealthTally,
} from '@statuskit/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Health runs per group of accounts that look the same to the rules: the same raw status, plus the
 * attributes when a rule reads them, plus the observation time when a rule reads `statusObservedAt`, or
 * only the whole days in status when rules read `daysInStatus` alone. Each group is evaluated once; its
 * excluded accounts are written by one INSERT ... SELECT that joins the accounts on the group key.
 */

/** What part of an account the group key holds besides the raw status. */
export interface HealthGroupKey {
  readonly attributes: boolean;
  /** `ms`: the observation time (epoch ms); `days`: whole days between it and the run's time; or neither. */
  readonly observed: 'ms' | 'days' | 'none';
}

export function healthGroupKey(evaluator: CompiledEvaluator): HealthGroupKey {
  const uses = evaluator.usesFacts;
  return {
    attributes: uses.has('attributes'),
    observed: uses.has('statusObservedAt') ? 'ms' : uses.has('daysInStatus') ? 'days' : 'none',
  };
}

/** One group of one page of accounts, in the order of its first account. */
export interface HealthGroup {
  readonly status: string | null;
  readonly attributes: Record<string, unknown> | null;
  /** The key's observed part (ms or days), null when the key has none. */
  readonly observedKey: number | null;
  /** The observation time (epoch ms) of one of its accounts; the same as all of theirs unless `observed` is 'none'. */
  readonly observedMs: number;
  readonly accounts: number;
}

const DAY_MS = 86_400_000;
// Exactly what the per-account run read (epoch ms as float8), so daysInStatus and statusObservedAt match.
const observedMsSql = sql`(extract(epoch FROM a.status_observed_at) * 1000)::float8`;

function keySql(key: HealthGroupKey, asOfMs: number) {
  return {
    attributes: key.attributes ? sql`a.attributes` : sql`NULL::jsonb`,
    observed:
      key.observed === 'ms'
        ? observedMsSql
        : key.observed === 'days'
          ? // IEEE double arithmetic as in evaluate's Math.floor((asOf - ms) / DAY_MS).
            sql`floor((${asOfMs}::float8 - ${observedMsSql}) / ${DAY_MS}::float8)`
          : sql`NULL::float8`,
  };
}

export interface HealthPage {
  readonly groups: HealthGroup[];
  /** The page's first-exclusive and last-inclusive account ids; `last` undefined when the page is empty. */
  readonly after: string;
  readonly last: string | undefined;
  readonly rows: number;
}

/** The next `size` accounts after `after` (id order), grouped; groups ordered by their first account. */
export async function readHealthPage(
  db: Kysely<Database>,
  tenantId: string,
  key: HealthGroupKey,
  asOfMs: number,
  after: string,
  size: number,
): Promise<HealthPage> {
  const k = keySql(key, asOfMs);
  const rows = await sql<{
    raw_status: string | null;
    attrs: Record<string, unknown> | null;
    obs: number | null;
    ms: number;
    n: number;
    last: string;
  }>`
    SELECT p.raw_status, p.attrs, p.obs, max(p.ms) AS ms, count(*)::int AS n,
           max(max(p.account_id)) OVER () AS last
    FROM (
      SELECT a.account_id, a.raw_status, ${k.attributes} AS attrs, ${k.observed} AS obs,
             ${key.observed === 'none' ? sql`0::float8` : observedMsSql} AS ms
      FROM accounts a WHERE a.tenant_id = ${tenantId} AND a.account_id > ${after}
      ORDER BY a.account_id LIMIT ${size}
    ) p
    GROUP BY 1, 2, 3 ORDER BY min(p.account_id)
  `.execute(db);
  const groups = rows.rows.map((r) => ({
    status: r.raw_status,
    attributes: r.attrs,
    observedKey: r.obs === null ? null : Number(r.obs),
    observedMs: Number(r.ms),
    accounts: Number(r.n),
  }));
  return {
    after,
    last: rows.rows[0]?.last,
    rows: groups.reduce((n, g) => n + g.accounts, 0),
    groups,
  };
}

function groupsSql(key: HealthGroupKey, groups: readonly HealthGroup[], extra: (i: number) => object) {
  const list = JSON.stringify(
    groups.map((g, i) => ({
      i,
      raw_key: g.status ?? '',
      raw_null: g.status === null,
      attrs: key.attributes ? g.attributes : null,
      obs: g.observedKey,
      ...extra(i),
    })),
  );
  return sql`json_to_recordset(${list}::json) AS g(i int, raw_key text, raw_null boolean, attrs jsonb, obs float8, reason text, decision int)`;
}

function sameGroup(key: HealthGroupKey, asOfMs: number) {
  const k = keySql(key, asOfMs);
  return sql`coalesce(a.raw_status, '') = g.raw_key AND (a.raw_status IS NULL) = g.raw_null
    ${key.attributes ? sql`AND ${k.attributes} = g.attrs` : sql``}
    ${key.observed !== 'none' ? sql`AND ${k.observed} = g.obs` : sql``}`;
}

/** Writes the page's accounts of the excluded groups, each with its group's reason and decision index. */
export async function writePageExclusions(
  db: Kysely<Database>,
  tenantId: string,
  runId: string,
  key: HealthGroupKey,
  asOfMs: number,
  page: HealthPage,
  excluded: readonly { group: HealthGroup; reason: string; decision: number }[],
): Promise<void> {
  if (excluded.length === 0 || page.last === undefined) return;
  const g = groupsSql(
    key,
    excluded.map((x) => x.group),
    (i) => ({ reason: excluded[i]?.reason, decision: excluded[i]?.decision }),
  );
  await sql`
    INSERT INTO health_run_exclusions (tenant_id, run_id, account_id, reason, decision)
    SELECT ${tenantId}, ${runId}, a.account_id, g.reason, g.decision
    FROM accounts a JOIN ${g} ON ${sameGroup(key, asOfMs)}
    WHERE a.tenant_id = ${tenantId} AND a.account_id > ${page.after} AND a.account_id <= ${page.last}
      ${onlyStatuses(
        key,
        excluded.map((x) => x.group),
      )}
  `.execute(db);
}

/**
 * When the key is the raw status alone, the excluded values as a condition the index accounts_by_raw_status
 * answers (no pass over the page's other accounts).
 */
function onlyStatuses(key: HealthGroupKey, groups: readonly HealthGroup[]) {
  if (key.attributes || key.observed !== 'none') return sql``;
  const values = groups.flatMap((g) => (g.status === null ? [] : [g.status]));
  const hasNull = groups.some((g) => g.status === null);
  return sql`AND (a.raw_status = ANY(${values}::text[])${hasNull ? sql` OR a.raw_status IS NULL` : sql``})`;
}

/** The first `limit` account ids (id order) of the page that belong to any of `groups`. */
export async function firstPageAccounts(
  db: Kysely<Database>,
  tenantId: string,
  key: HealthGroupKey,
  asOfMs: number,
  page: HealthPage,
  groups: readonly HealthGroup[],
  limit: number,
): Promise<string[]> {
  if (groups.length === 0 || limit <= 0 || page.last === undefined) return [];
  const rows = await sql<{ account_id: string }>`
    SELECT a.account_id FROM accounts a JOIN ${groupsSql(key, groups, () => ({}))} ON ${sameGroup(key, asOfMs)}
    WHERE a.tenant_id = ${tenantId} AND a.account_id > ${page.after} AND a.account_id <= ${page.last}
    ORDER BY a.account_id LIMIT ${limit}
  `.execute(db);
  return rows.rows.map((r) => r.account_id);
}

/**
 * Core's HealthTally fed with groups of accounts, in account id order of the groups' first accounts: every
 * count weighted by the group's size, every "first seen" (status order, tracked Unknown values, a failed
 * rule's message) taken from the first group, so the summary is the per-account one. A failed rule's sample
 * accounts are added from the page (`addSamples`); each distinct decision gets an index for the exclusions.
 */
export class GroupHealthTally {
  readonly #tally: HealthTally;
  readonly #decisions = new Map<Eligibility, number>();

  constructor(
    private readonly catalog: Catalog,
    private readonly evaluator: CompiledEvaluator,
    private readonly asOfMs: number,
  ) {
    this.#tally = new HealthTally(catalog, evaluator, { asOf: asOfMs });
  }

  /** Classifies and evaluates a group once, counts it, and returns its decision (with its index when excluded). */
  add(g: HealthGroup): { eligibility: Eligibility; decision: number | undefined } {
    const account = {
      id: '',
      status: g.status ?? undefined,
      attributes: g.attributes ?? {},
      statusObservedAt: g.observedMs,
    };
    const c: Classification = classifyStatus(account.status, this.catalog);
    const e = evaluate(c, account, this.evaluator, { asOf: this.asOfMs });
    this.#tally.record(account, c, e, g.accounts, { sample: false });
    if (e.eligible) return { eligibility: e, decision: undefined };
    let d = this.#decisions.get(e);
    if (d === undefined) {
      d = this.#decisions.size;
      this.#decisions.set(e, d);
    }
    return { eligibility: e, decision: d };
  }

  /** How many more sample account ids the failed rule `index` wants. */
  samplesWanted(index: number): number {
    return this.#tally.ruleErrorSamplesWanted(index);
  }

  /** Appends sample ids (the next ones in account id order) to the failed rule `index`. */
  addSamples(index: number, ids: readonly string[]): void {
    this.#tally.addRuleErrorSamples(index, ids);
  }

  get decisions(): Eligibility[] {
    return [...this.#decisions.keys()];
  }

  summary(): HealthSummary {
    return this.#tally.summary();
  }
}
