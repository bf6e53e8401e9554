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

/**
 * Which source object a record shows (a subscription), and how new that view of it is. Several records of
 * one object (a subscription's webhook events, in any order) are not several objects: only the newest
 * counts (see `newestPerObject`).
 */
export interface Observation {
  /** The object's id within the mapper's source: `sub_1PmQxY...`. */
  readonly object: string;
  /**
   * How new this view is, compared element by element, higher is newer: the event's time first, then the
   * object's own timestamps (seconds or milliseconds), for ties.
   */
  readonly at: readonly number[];
}

export type MapResult =
  | { readonly kind: 'update'; readonly update: StatusUpdate; readonly observation?: Observation }
  | {
      readonly kind: 'skip';
      /** `invalid-input`, `invalid-output`, `mapper-error`, or the mapper's own reason. */
      readonly reason: string;
      readonly detail?: string;
      readonly accountId?: string;
      readonly issues?: readonly ValidationIssue[];
      /** Present for the mapper's own skips when it observes objects: a newer skip supersedes older updates. */
      readonly observation?: Observation;
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
   * Optional: the source object a record shows and how new the view is (a subscription's id; the event's
   * time, then the object's own timestamps). `combineUpdates` keeps only the newest record of each object
   * before `combine` sees anything. A mapper with `combine` must observe (the conformance kit checks it).
   */
  observe?(record: z.output<Schema>, ctx: MapContext): Observation | undefined;
  /**
   * Optional capability: when several objects map to one account (a customer's several subscriptions),
   * pick the one status it gets. It sees the newest update of each object only, and must not depend on the
   * order of `updates`.
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

const isObservation = (v: unknown): v is Observation =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as Observation).object === 'string' &&
  (v as Observation).object !== '' &&
  Array.isArray((v as Observation).at) &&
  (v as Observation).at.every((n) => typeof n === 'number' && Number.isFinite(n));

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
      let observed: Observation | undefined;
      try {
        out = definition.map(parsed.data as z.output<Schema>, ctx);
        observed = definition.observe?.(parsed.data as z.output<Schema>, ctx);
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
      if (observed !== undefined && !isObservation(observed)) {
        return {
          kind: 'skip',
          reason: 'invalid-output',
          detail: 'observe returned neither undefined nor { object: non-empty string, at: finite numbers }',
        };
      }
      const observation = observed ? { observation: { object: observed.object, at: [...observed.at] } } : {};
      if (isSkip(out)) {
        return {
          kind: 'skip',
          reason: out.skip,
          ...(out.detail !== undefined ? { detail: out.detail } : {}),
          ...(out.accountId !== undefined ? { accountId: out.accountId } : {}),
          ...observation,
        };
      }
      const checked = statusUpdateSchema.safeParse({ source, ...out });
      if (!checked.success)
        return { kind: 'skip', reason: 'invalid-output', issues: issuesFromZod(checked.error) };
      return { kind: 'update', update: checked.data, ...observation };
    },
  });
}

/** What `combineUpdates` takes: bare updates, or `map` results (skips among them count only as observations). */
export type CombineInput = StatusUpdate | MapResult;

/** Compares two `Observation.at` keys element by element: > 0 when `a` is newer. A missing element is oldest. */
export function compareObservedAt(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? Number.NEGATIVE_INFINITY;
    const y = b[i] ?? Number.NEGATIVE_INFINITY;
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}

const isResult = (item: CombineInput): item is MapResult => 'kind' in item;

/**
 * The newest observation of each source object, whatever the order of the input: an older record of an
 * object (a subscription's earlier event) is superseded, also by a newer one that maps to a skip (the
 * object then gives no update). When the newest records of an object tie, their updates all stay (for
 * `combine` to decide). Updates without an observation stay as they are; skips without one are dropped.
 * Input order is kept.
 */
export function newestPerObject(items: readonly CombineInput[]): {
  readonly updates: StatusUpdate[];
  /** Updates dropped because a newer record of the same object came. */
  readonly superseded: number;
} {
  const newest = new Map<string, { at: readonly number[]; items: MapResult[] }>();
  for (const item of items) {
    if (!isResult(item) || !item.observation) continue;
    const { object, at } = item.observation;
    const seen = newest.get(object);
    const order = seen ? compareObservedAt(at, seen.at) : 1;
    if (order > 0) newest.set(object, { at, items: [item] });
    else if (order === 0) seen?.items.push(item);
  }
  const updates: StatusUpdate[] = [];
  let superseded = 0;
  for (const item of items) {
    if (!isResult(item)) updates.push(item);
    else if (item.kind === 'update') {
      const winners = item.observation ? newest.get(item.observation.object)?.items : undefined;
      if (!winners || winners.includes(item)) updates.push(item.update);
      else superseded++;
    }
  }
  return { updates, superseded };
}

/**
 * One update per account. First the newest record of each source object (see `newestPerObject`); then a
 * mapper with `combine` resolves each account's updates into one; without it, the update observed last
 * wins (ties: the later one in the input). Accounts keep their first-seen order.
 */
export function combineUpdates(
  mapper: Pick<Mapper, 'combine'>,
  items: readonly CombineInput[],
): StatusUpdate[] {
  const byAccount = new Map<string, StatusUpdate[]>();
  for (const u of newestPerObject(items).updates) {
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
 * beats a lower one), across a customer's objects (each object's newest update only, see
 * `combineUpdates`): the highest rank wins, then the latest observation, then the smaller status value, so
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
