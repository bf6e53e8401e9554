/**
 * Shared test suites for statuskit plug-ins. Needs vitest (an optional peer dependency of core).
 *
 *   import { describeMapperConformance } from '@statuskit/core/testing';
 *   describeMapperConformance(myMapper, { valid: [...], invalid: [...] });
 */
import { describe, expect, it } from 'vitest';
import { type Catalog, defaultCatalog } from '../catalog.js';
import {
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

export interface MapperConformanceCases {
  /** Catalog the mapped statuses must belong to (default: `defaultCatalog`). */
  readonly catalog?: Catalog;
  readonly valid: readonly ValidMapperCase[];
  readonly invalid: readonly InvalidMapperCase[];
}

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

    it('works without a context', () => {
      const first = cases.valid[0];
      if (first) expect(() => mapper.map(structuredClone(first.record))).not.toThrow();
    });
  });
}
