import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRules } from './compile-rules.js';
import { engineEvaluator } from './engine-evaluator.js';
import { FACT_NAMES, OPERATOR_NAMES, type RuleFacts } from './rule-types.js';

/**
 * json-rules-engine is the reference; the compiled evaluator must give the same fired rules, or fail
 * where the engine fails, on any rules and facts. FC_NUM_RUNS raises or lowers the case count.
 */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 10_000);
// The cases run as parts of at most 2,500 (each its own random seed, printed by fast-check on a failure), so no
// single test runs long enough to meet a time limit on a busy machine, whatever FC_NUM_RUNS is.
const PART_RUNS = 2_500;
const PARTS = Array.from({ length: Math.max(1, Math.ceil(NUM_RUNS / PART_RUNS)) }, (_, i) =>
  Math.min(PART_RUNS, NUM_RUNS - i * PART_RUNS),
).filter((runs) => runs > 0);
// vitest.shared.ts sets the run's time-limit scale (core depends on no other workspace package, even in tests).
const TIMEOUT_SCALE = Number(process.env.STATUSKIT_TEST_TIMEOUT_SCALE ?? 1);

const strings = [
  'Pro',
  'pro',
  'Trial',
  'Professional',
  'paying',
  'free',
  '',
  '10',
  '9',
  '2',
  'EU',
  'a1',
  '2026-01-01',
];
const scalar = fc.oneof(
  fc.constantFrom(...strings),
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1.5, -0.5, Number.NaN),
  fc.boolean(),
  fc.constant(null),
);
const factName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...FACT_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('nope', 'constructor') },
);
const path = fc.constantFrom(
  '$.region',
  '$.seats',
  '$.tags',
  '$.tags[0]',
  '$.tags[5]',
  '$',
  '$.nested.level',
  '$.nested.deeper.x',
  "$['odd key']",
  '$.tags.length',
  '$.region.length',
  '$.missing',
  '$.constructor',
  '$.toString',
  '$.nested.constructor',
  '$.tags.map',
  '$..level',
  '$.*',
  '$.tags[*]',
  'region',
  '',
);
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 3, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { fact: factName, path: fc.option(path, { nil: undefined }) },
      { requiredKeys: ['fact'] },
    ),
  },
);
const operator = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...OPERATOR_NAMES) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'not:in',
      'not:equal',
      'someFact:equal',
      'everyFact:lessThan',
      'someValue:in',
      'everyValue:equal',
      'swap:in',
      'swap:contains',
      'not:someFact:in',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('bogus', 'not:bogus', ':equal') },
);
const conditionPriority = fc.option(fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom(1.5, '2')), {
  nil: undefined,
});

const factCondition = fc.record(
  { fact: factName, operator, value, path: path, priority: conditionPriority },
  { requiredKeys: ['fact', 'operator', 'value'] },
);

const { condition } = fc.letrec<{ condition: unknown; group: unknown }>((tie) => ({
  condition: fc.oneof({ depthSize: 'small', withCrossShrink: true }, factCondition, tie('group')),
  group: fc.oneof(
    fc.record(
      { all: fc.array(tie('condition'), { maxLength: 4 }), priority: conditionPriority },
      { requiredKeys: ['all'] },
    ),
    fc.record(
      { any: fc.array(tie('condition'), { maxLength: 4 }), priority: conditionPriority },
      { requiredKeys: ['any'] },
    ),
    fc.record({ not: tie('condition') }),
  ),
}));

const root = fc.oneof(
  fc.record({ all: fc.array(condition, { maxLength: 4 }) }),
  fc.record({ any: fc.array(condition, { maxLength: 4 }) }),
  fc.record({ not: condition }),
);

const rule = fc.record(
  {
    name: fc.constantFrom('r1', 'r2', 'r3', 'trial-too-long', 'win-back'),
    priority: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(2.5, -1)), {
      nil: undefined,
    }),
    conditions: root,
    event: fc.record({
      type: fc.constantFrom('include', 'exclude'),
      params: fc.record({ reason: fc.constantFrom('a', 'b') }),
    }),
  },
  { requiredKeys: ['name', 'conditions', 'event'] },
);

const attributeValue = fc.oneof(
  fc.constantFrom(...strings),
  fc.integer({ min: -5, max: 50 }),
  fc.boolean(),
  fc.constant(null),
);
const facts: fc.Arbitrary<RuleFacts> = fc.record({
  status: fc.option(fc.constantFrom('Pro', 'Trial', 'Cancelled', 'Enterprise', 'Professional'), {
    nil: undefined,
  }),
  statusType: fc.constantFrom('free', 'paying', 'cancelled'),
  plan: fc.option(fc.constantFrom('Pro', 'Enterprise', '10'), { nil: undefined }),
  trial: fc.boolean(),
  nonCustomer: fc.boolean(),
  attributes: fc.record(
    {
      region: attributeValue,
      seats: attributeValue,
      tags: fc.array(attributeValue, { maxLength: 4 }),
      nested: fc.record(
        { level: attributeValue, deeper: fc.record({ x: attributeValue }) },
        { requiredKeys: [] },
      ),
      'odd key': attributeValue,
      constructor: attributeValue,
    },
    { requiredKeys: [] },
  ),
  statusObservedAt: fc.option(fc.constantFrom('2026-01-01T00:00:00.000Z', '2025-06-30T12:00:00.000Z'), {
    nil: undefined,
  }),
  daysInStatus: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
});

type Outcome = { error: true } | { fired: number[] };

async function engineOutcome(rules: unknown[], f: RuleFacts): Promise<Outcome | 'construction-error'> {
  let evaluator: ReturnType<typeof engineEvaluator>;
  try {
    evaluator = engineEvaluator(rules);
  } catch {
    return 'construction-error';
  }
  try {
    return { fired: (await evaluator.fire(f)).map((r) => r.index) };
  } catch {
    return { error: true };
  }
}

function compiledOutcome(rules: unknown[], f: RuleFacts): Outcome | 'construction-error' {
  let evaluator: ReturnType<typeof compileRules>;
  try {
    evaluator = compileRules(rules);
  } catch {
    return 'construction-error';
  }
  try {
    return { fired: evaluator.fire(f).map((r) => r.index) };
  } catch {
    return { error: true };
  }
}

describe('compiled evaluator vs json-rules-engine', () => {
  it.each(PARTS.map((runs, i) => ({ runs, part: i + 1 })))(
    `agrees on generated rule sets and accounts: $runs cases, part $part of ${PARTS.length} (${NUM_RUNS} in all)`,
    async ({ runs }) => {
      let fired = 0;
      let errors = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(rule, { minLength: 1, maxLength: 5 }),
          fc.array(facts, { minLength: 1, maxLength: 3 }),
          async (rules, accounts) => {
            for (const f of accounts) {
              const expected = await engineOutcome(rules, f);
              const actual = compiledOutcome(rules, f);
              expect(actual).toEqual(expected);
              if (typeof expected === 'object' && 'fired' in expected && expected.fired.length > 0) fired++;
              if (typeof expected === 'object' && 'error' in expected) errors++;
            }
          },
        ),
        { numRuns: runs },
      );
      // The generator must exercise both firing rules and failing runs, or the comparison proves little.
      expect(fired).toBeGreaterThan(runs / 20);
      if (runs >= 500) expect(errors).toBeGreaterThan(0);
    },
    Math.ceil(TIMEOUT_SCALE * Math.max(20_000, PART_RUNS * 4)),
  );
});
