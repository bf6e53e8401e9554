import * as z from 'zod';
import type { Catalog } from '../catalog.js';
import { issuesFromZod, type ValidationIssue } from '../validation-issue.js';

const isoDateTime = z.iso.datetime({ offset: true });

/** One status update, as a mapper, the API, a file or the Salesforce connector produces it. */
export const statusUpdateSchema = z
  .object({
    accountId: z.string().trim().min(1, 'accountId must not be empty').max(255),
    status: z.string().max(200),
    /** When the source saw this status (ISO 8601). Never the clock of the machine that maps. */
    observedAt: isoDateTime.optional(),
    name: z.string().max(500).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    /** `api`, `sfdc`, `file` or `mapper:<name>`. */
    source: z
      .string()
      .regex(/^(api|sfdc|file|mapper:[a-z0-9@/._-]+)$/, 'source is api, sfdc, file or mapper:<name>')
      .optional(),
  })
  .strict();

export type StatusUpdate = z.output<typeof statusUpdateSchema>;

/** What a mapper's `map` returns when it will not produce a status for a record. */
export interface Skip {
  readonly skip: string;
  readonly detail?: string;
  readonly accountId?: string;
}

/** Builds a skip: `return skip('unmapped-price', 'price_123 is not in the plan table')`. */
export function skip(reason: string, detail?: string, accountId?: string): Skip {
  return {
    skip: reason,
    ...(detail !== undefined ? { detail } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
  };
}

export type MapResult =
  | { readonly kind: 'update'; readonly update: StatusUpdate }
  | {
      readonly kind: 'skip';
      /** `invalid-input`, `invalid-output`, `mapper-error`, or the mapper's own reason. */
      readonly reason: string;
      readonly detail?: string;
      readonly accountId?: string;
      readonly issues?: readonly ValidationIssue[];
    };

export interface MapContext {
  /** The tenant's catalog, when the caller has it. */
  readonly catalog?: Catalog;
}

export interface MapperDefinition<Schema extends z.ZodType> {
  /** Short, stable name: `stripe`, `chargebee`, `field`. Used as the update's source `mapper:<name>`. */
  readonly name: string;
  readonly version?: string;
  /** zod schema of one source record; records that fail it are skipped as `invalid-input`. */
  readonly input: Schema;
  map(record: z.output<Schema>, ctx: MapContext): StatusUpdate | Skip;
  /**
   * Optional capability: when several records map to one account (a customer's several subscriptions), pick
   * the one status it gets. Must not depend on the order of `updates`.
   */
  combine?(updates: readonly StatusUpdate[]): StatusUpdate;
}

/** A mapper as callers use it: `map` takes anything and never throws. */
export interface Mapper<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly version: string | undefined;
  readonly input: Schema;
  map(record: unknown, ctx?: MapContext): MapResult;
  /** Present when the mapper resolves several updates of one account into one (see `combineUpdates`). */
  readonly combine?: (updates: readonly StatusUpdate[]) => StatusUpdate;
}

const isSkip = (v: StatusUpdate | Skip): v is Skip =>
  typeof (v as Partial<Skip>).skip === 'string' && !Object.hasOwn(v, 'status');

/**
 * Defines a mapper from a source record to a status update. The returned `map` validates input with the
 * schema, runs the mapper, validates its output, and reports every failure as a skip with a reason.
 */
export function defineMapper<Schema extends z.ZodType>(definition: MapperDefinition<Schema>): Mapper<Schema> {
  if (!/^[a-z0-9][a-z0-9@/._-]*$/.test(definition.name)) {
    throw new TypeError(
      `mapper name must be lower-case letters, digits and @/._- (got ${JSON.stringify(definition.name)})`,
    );
  }
  const source = `mapper:${definition.name}`;
  const combine = definition.combine;
  return Object.freeze({
    name: definition.name,
    version: definition.version,
    input: definition.input,
    ...(combine ? { combine: (updates: readonly StatusUpdate[]) => combine(updates) } : {}),
    map(record: unknown, ctx: MapContext = {}): MapResult {
      const parsed = definition.input.safeParse(record);
      if (!parsed.success)
        return { kind: 'skip', reason: 'invalid-input', issues: issuesFromZod(parsed.error) };
      let out: StatusUpdate | Skip;
      try {
        out = definition.map(parsed.data as z.output<Schema>, ctx);
      } catch (error) {
        return {
          kind: 'skip',
          reason: 'mapper-error',
          detail: error instanceof Error ? error.message : String(error),
        };
      }
      if (out === null || typeof out !== 'object') {
        return {
          kind: 'skip',
          reason: 'invalid-output',
          detail: 'map returned neither an update nor a skip',
        };
      }
      if (isSkip(out)) {
        return {
          kind: 'skip',
          reason: out.skip,
          ...(out.detail !== undefined ? { detail: out.detail } : {}),
          ...(out.accountId !== undefined ? { accountId: out.accountId } : {}),
        };
      }
      const checked = statusUpdateSchema.safeParse({ source, ...out });
      if (!checked.success)
        return { kind: 'skip', reason: 'invalid-output', issues: issuesFromZod(checked.error) };
      return { kind: 'update', update: checked.data };
    },
  });
}

/**
 * One update per account: a mapper with `combine` resolves each account's updates into one; without it, the
 * update observed last wins (ties: the later one in the input). Accounts keep their first-seen order.
 */
export function combineUpdates(
  mapper: Pick<Mapper, 'combine'>,
  updates: readonly StatusUpdate[],
): StatusUpdate[] {
  const byAccount = new Map<string, StatusUpdate[]>();
  for (const u of updates) {
    const list = byAccount.get(u.accountId);
    if (list) list.push(u);
    else byAccount.set(u.accountId, [u]);
  }
  const latest = (list: readonly StatusUpdate[]) =>
    list.reduce((a, b) => ((b.observedAt ?? '') >= (a.observedAt ?? '') ? b : a));
  return [...byAccount.values()].map((list) =>
    list.length === 1 ? (list[0] as StatusUpdate) : mapper.combine ? mapper.combine(list) : latest(list),
  );
}

/**
 * A `combine` for mappers whose statuses have an order (paying beats trial beats cancelled; a higher plan
 * beats a lower one): the highest rank wins, then the latest observation, then the smaller status value, so
 * the answer never depends on the order of the updates.
 */
export function combineByRank(
  rank: (update: StatusUpdate) => number,
): (updates: readonly StatusUpdate[]) => StatusUpdate {
  return (updates) => {
    let best: StatusUpdate | undefined;
    let bestRank = Number.NEGATIVE_INFINITY;
    for (const u of updates) {
      const r = rank(u);
      const better =
        best === undefined ||
        r > bestRank ||
        (r === bestRank &&
          ((u.observedAt ?? '') > (best.observedAt ?? '') ||
            ((u.observedAt ?? '') === (best.observedAt ?? '') && JSON.stringify(u) < JSON.stringify(best))));
      if (better) {
        best = u;
        bestRank = r;
      }
    }
    if (!best) throw new RangeError('combine needs at least one update');
    return best;
  };
}

/**
 * The usual precedence of a billing mapper: any paying plan beats trial beats cancelled, and among plans
 * the one listed first (the highest) wins. `plans` are the plans' statuses, highest first.
 */
export function combineByPlan(
  plans: readonly string[],
  statuses: { readonly trial: string; readonly cancelled: string },
): (updates: readonly StatusUpdate[]) => StatusUpdate {
  const rank = new Map<string, number>();
  plans.forEach((status, i) => {
    if (!rank.has(status)) rank.set(status, 1000 - i);
  });
  rank.set(statuses.trial, Math.max(rank.get(statuses.trial) ?? 0, 2));
  rank.set(statuses.cancelled, Math.max(rank.get(statuses.cancelled) ?? 0, 1));
  return combineByRank((u) => rank.get(u.status) ?? 0);
}

/** Validates a mapper's config with its zod schema; throws a TypeError naming every bad path. */
export function parseMapperConfig<Schema extends z.ZodType>(
  schema: Schema,
  config: unknown,
  mapper: string,
): z.output<Schema> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
  );
  throw new TypeError(`invalid ${mapper} mapper config: ${problems.join('; ')}`);
}

/**
 * What a billing system's in-between state (past due, unpaid, paused, non-renewing...) becomes: the
 * plan's paying status, the trial status, the cancelled status, or a skip. Teams disagree on these, so
 * billing mappers document a default for each and take this as the override.
 */
export const inBetweenSchema = z.enum(['paying', 'trial', 'cancelled', 'skip']);
export type InBetween = z.output<typeof inBetweenSchema>;

/** Picks the outcome a mapper built for each in-between choice. */
export function resolveInBetween(
  choice: InBetween,
  outcomes: { paying(): StatusUpdate | Skip; trial(): StatusUpdate; cancelled(): StatusUpdate; skip(): Skip },
): StatusUpdate | Skip {
  return outcomes[choice]();
}
