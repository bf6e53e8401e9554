/**
 * Shared test suites for statuskit plug-ins. Needs vitest (an optional peer dependency of core).
 *
 *   import { describeMapperConformance } from '@statuskit/core/testing';
 *   describeMapperConformance(myMapper, { valid: [...], invalid: [...] });
 */
import { describe, expect, it } from 'vitest';
import { type Catalog, defaultCatalog } from '../catalog.js';
import {
  combineUpdates,
  compareObservedAt,
  type Mapper,
  type MapResult,
  type StatusUpdate,
  statusUpdateSchema,
} from '../mapper/define-mapper.js';

export interface ValidMapperCase {
  readonly name?: string;
  readonly record: unknown;
  /** Fields the update must have (checked with toMatchObject), or the skip reason this valid record gives. */
  readonly expect?: Partial<StatusUpdate> | { readonly skip: string };
}

export interface InvalidMapperCase {
  readonly name?: string;
  /** A record the mapper's input schema must reject. */
  readonly record: unknown;
}

/**
 * Records of ONE source object (one subscription's webhook events), oldest first, each newer than the one
 * before, and the newest mapping differently from an older one (a downgrade, then a cancellation).
 */
export interface HistoryMapperCase {
  readonly name?: string;
  readonly records: readonly unknown[];
}

export interface MapperConformanceCases {
  /** Catalog the mapped statuses must belong to (default: `defaultCatalog`). */
  readonly catalog?: Catalog;
  readonly valid: readonly ValidMapperCase[];
  readonly invalid: readonly InvalidMapperCase[];
  /**
   * Required when the mapper has `combine`: the kit shuffles each history and checks that the newest
   * record wins, so two events of one subscription are never combined as two subscriptions.
   */
  readonly history?: readonly HistoryMapperCase[];
}

/** Every order of a few items, or a fixed set of shuffles of many (deterministic: the same on every run). */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 5) {
    if (items.length <= 1) return [[...items]];
    return items.flatMap((item, i) =>
      orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
    );
  }
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  return Array.from({ length: 50 }, (_, n) => {
    const order = n === 0 ? [...items].reverse() : [...items];
    for (let i = order.length - 1; n > 1 && i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as T, order[i] as T];
    }
    return order;
  });
}

const outcome = (r: MapResult) => (r.kind === 'update' ? `update ${r.update.status}` : `skip ${r.reason}`);

const HOSTILE: readonly unknown[] = [
  null,
  undefined,
  0,
  42,
  '',
  'text',
  true,
  [],
  [{}],
  {},
  { __proto__: { polluted: 1 } },
];

const label = (c: { name?: string }, i: number) => c.name ?? `case ${i + 1}`;

/**
 * The history check of the kit, on its own: maps the records of one object, then checks that every order
 * of them combines to the newest record's outcome (its update, or nothing when it is a skip). Throws (an
 * assertion error naming what is wrong) otherwise.
 */
export function expectNewestWins(
  mapper: Mapper,
  history: HistoryMapperCase,
  catalog: Catalog = defaultCatalog,
): void {
  const results = history.records.map((record) => mapper.map(structuredClone(record), { catalog }));
  expect(results.length, 'a history needs at least two records').toBeGreaterThan(1);
  const objects = new Set(results.map((r) => r.observation?.object));
  expect(
    [...objects],
    'every record of a history must map with an observation (defineMapper `observe`) of one object',
  ).toEqual([expect.any(String)]);
  const at = results.map((r) => r.observation?.at ?? []);
  for (let k = 1; k < at.length; k++)
    expect(
      compareObservedAt(at[k] as number[], at[k - 1] as number[]),
      `record ${k + 1} must be observed after record ${k} (oldest first)`,
    ).toBeGreaterThan(0);
  const newest = results[results.length - 1] as MapResult;
  expect(
    results.slice(0, -1).some((r) => outcome(r) !== outcome(newest)),
    'the newest record must map differently from an older one, or order cannot show',
  ).toBe(true);
  const expected = newest.kind === 'update' ? [newest.update] : [];
  for (const order of orders(results)) expect(combineUpdates(mapper, order)).toEqual(expected);
}

/** Registers the conformance tests every mapper package runs. */
export function describeMapperConformance(mapper: Mapper, cases: MapperConformanceCases): void {
  const catalog = cases.catalog ?? defaultCatalog;
  const ctx = { catalog };

  describe(`mapper conformance: ${mapper.name}`, () => {
    it('has a usable name', () => {
      expect(mapper.name).toMatch(/^[a-z0-9][a-z0-9@/._-]*$/);
    });

    it('brings at least one valid and one invalid case', () => {
      expect(cases.valid.length).toBeGreaterThan(0);
      expect(cases.invalid.length).toBeGreaterThan(0);
    });

    cases.valid.forEach((c, i) => {
      it(`maps a valid record to a catalog status: ${label(c, i)}`, () => {
        const result = mapper.map(structuredClone(c.record), ctx);
        const expected = c.expect;
        if (expected && 'skip' in expected) {
          expect(result).toMatchObject({ kind: 'skip', reason: expected.skip });
          return;
        }
        if (result.kind !== 'update')
          throw new Error(`expected an update, got skip ${JSON.stringify(result)}`);
        expect(statusUpdateSchema.safeParse(result.update).success).toBe(true);
        expect(
          catalog.find(result.update.status),
          `"${result.update.status}" is not in the catalog`,
        ).toBeDefined();
        expect(result.update.source).toBe(`mapper:${mapper.name}`);
        if (expected) expect(result.update).toMatchObject(expected);
      });
    });

    it('is deterministic and does not change its input', () => {
      for (const c of cases.valid) {
        const record = structuredClone(c.record);
        const before = structuredClone(record);
        const first = mapper.map(record, ctx);
        const second = mapper.map(structuredClone(c.record), ctx);
        expect(second).toEqual(first);
        expect(record).toEqual(before);
      }
    });

    cases.invalid.forEach((c, i) => {
      it(`rejects invalid input with the schema's issues: ${label(c, i)}`, () => {
        let result: MapResult | undefined;
        expect(() => {
          result = mapper.map(structuredClone(c.record), ctx);
        }).not.toThrow();
        expect(result).toMatchObject({ kind: 'skip', reason: 'invalid-input' });
        expect(result?.kind === 'skip' && result.issues && result.issues.length > 0).toBe(true);
      });
    });

    it('never throws, whatever it is given', () => {
      for (const record of HOSTILE) {
        const result = mapper.map(record, ctx);
        expect(['update', 'skip']).toContain(result.kind);
        if (result.kind === 'update') expect(statusUpdateSchema.safeParse(result.update).success).toBe(true);
      }
    });

    it.runIf(mapper.combine !== undefined)("combines one account's updates the same way in any order", () => {
      const combine = mapper.combine as NonNullable<Mapper['combine']>;
      const updates = cases.valid
        .map((c) => mapper.map(structuredClone(c.record), ctx))
        .flatMap((r) => (r.kind === 'update' ? [{ ...r.update, accountId: 'same-account' }] : []));
      if (updates.length < 2) return;
      const forward = combine(updates);
      expect(combine([...updates].reverse())).toEqual(forward);
      expect(statusUpdateSchema.safeParse(forward).success).toBe(true);
      expect(updates).toContainEqual(forward);
    });

    it.runIf(mapper.combine !== undefined)(
      'brings a history of one object, since it combines (cases.history)',
      () => {
        expect(
          cases.history?.length ?? 0,
          "a mapper with combine must pass `history`: one subscription's records, oldest first",
        ).toBeGreaterThan(0);
      },
    );

    (cases.history ?? []).forEach((c, i) => {
      it(`keeps the newest record of one object, in any order: ${label(c, i)}`, () => {
        expectNewestWins(mapper, c, catalog);
      });
    });

    it('works without a context', () => {
      const first = cases.valid[0];
      if (first) expect(() => mapper.map(structuredClone(first.record))).not.toThrow();
    });
  });
}
