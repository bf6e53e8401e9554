import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '../catalog.js';
import { type Account, classify } from '../classify.js';
import { type Eligibility, evaluate, evaluateAsync } from '../eligibility.js';
import { HealthTally } from '../summarize.js';
import { compileRules } from './compile-rules.js';
import { engineEvaluator } from './engine-evaluator.js';
import { FACT_NAMES, OPERATOR_NAMES } from './rule-types.js';
import { validateRules } from './validate-rules.js';

/**
 * An accepted rule set never makes eligibility throw: on any account (hostile attributes and observation
 * times included) `evaluate` and `evaluateAsync` answer, a rule that fails on an account is listed as a
 * `ruleErrors` of the account's eligibility, and both evaluators agree on the decision and on which rules failed.
 * FC_NUM_RUNS raises or lowers the case count.
 */
const NUM_RUNS = Math.max(200, Math.floor(Number(process.env.FC_NUM_RUNS ?? 10_000) / 5));
const asOf = Date.parse('2026-03-01T00:00:00Z');

const text = fc.oneof(
  fc.constantFrom('Pro', 'pro', 'Trial', 'Professional', '', '10', '9', 'EU', 'toString', '__proto__'),
  fc.string({ maxLength: 6 }),
);
const scalar = fc.oneof(
  text,
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1.5, -0.5, 1e300),
  fc.boolean(),
  fc.constant(null),
);
const path = fc.constantFrom(
  '$.region',
  '$.seats',
  '$.tags[0]',
  '$',
  '$.nested.level',
  "$['odd key']",
  '$.toString',
  '$.__proto__',
  '$..level',
  '$.*',
  '$.tags[*]',
  '$[?(@.x.y)]',
  '$[?(@.a > 1)]',
  '$..[?(@.level)]',
  '$.tags[?(@.length > 2)]',
  '$[(@.length-1)]',
  '$.nested[?(@.deeper.x.y == 1)]',
);
const operator = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...OPERATOR_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('not:in', 'not:equal', 'someFact:equal', 'everyFact:lessThan', 'someValue:in'),
  },
);
const value = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 4, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ fact: fc.constant('attributes'), path }) },
);
const factCondition = fc.record(
  {
    fact: fc.constantFrom(...FACT_NAMES),
    operator,
    value,
    path,
    priority: fc.integer({ min: 1, max: 3 }),
  },
  { requiredKeys: ['fact', 'operator', 'value'] },
);
const { condition } = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    factCondition,
    fc.record({ all: fc.array(tie('condition'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('condition'), { maxLength: 3 }) }),
    fc.record({ not: tie('condition') }),
  ),
}));
const ruleSet = fc
  .array(
    fc.record(
      {
        priority: fc.integer({ min: 1, max: 4 }),
        conditions: fc.oneof(
          fc.record({ all: fc.array(condition, { minLength: 1, maxLength: 3 }) }),
          fc.record({ any: fc.array(condition, { minLength: 1, maxLength: 3 }) }),
        ),
        type: fc.constantFrom('include', 'exclude'),
      },
      { requiredKeys: ['conditions', 'type'] },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((rules) =>
    rules.map(({ type, ...r }, i) => ({
      name: `r${i}`,
      ...r,
      event: { type, params: { reason: `why ${i}` } },
    })),
  );

/** Keys that change how a value converts or is looked up, with values that are not functions. */
const trap = fc.dictionary(
  fc.constantFrom('toString', 'valueOf', 'constructor', 'hasOwnProperty', 'length', 'x', 'y', 'level'),
  scalar,
  { maxKeys: 3 },
);
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    trap,
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'a', 'level', 'deeper', 'toString', 'valueOf'), tie('json'), {
      maxKeys: 3,
    }),
  ),
}));
const deep = fc.integer({ min: 1, max: 32 }).map((depth) => {
  let v: unknown = { x: { y: 1 } };
  for (let i = 0; i < depth; i++) v = { level: v };
  return v;
});
const attributes = fc.oneof(
  fc.record(
    {
      region: json,
      seats: json,
      tags: fc.array(json, { maxLength: 3 }),
      nested: json,
      'odd key': json,
      toString: scalar,
      valueOf: scalar,
      x: json,
      a: json,
    },
    { requiredKeys: [] },
  ),
  fc.constant(JSON.parse('{"__proto__":{"x":1},"x":{"toString":1}}')),
  deep.map((d) => ({ nested: d })),
  fc.constantFrom(undefined, {}),
);
const observedAt = fc.oneof(
  fc.constantFrom('2026-01-01T00:00:00.000Z', '0050-06-01T00:00:00Z', 'not a date', ''),
  fc.constantFrom(1e20, -1e20, Number.NaN, 0, Number.POSITIVE_INFINITY),
  fc.constantFrom(new Date(Number.NaN), new Date('9999-12-31T00:00:00Z')),
  fc.constant(undefined),
);
const account: fc.Arbitrary<Account> = fc.record({
  id: fc.constantFrom('a1', 'a2'),
  status: fc.constantFrom('Pro', 'Trial', 'Cancelled', 'Internal-use', 'Gold', undefined, 5),
  attributes,
  statusObservedAt: observedAt,
}) as fc.Arbitrary<Account>;

const failed = (e: Eligibility) => (e.ruleErrors ?? []).map((r) => r.index);
const decision = (e: Eligibility) => ({
  eligible: e.eligible,
  reason: e.reason,
  rule: e.rule,
  failed: failed(e),
});

describe('an accepted rule set never makes eligibility throw', () => {
  it(`on ${NUM_RUNS} rule sets that validateRules accepts, with hostile accounts`, async () => {
    let ruleErrors = 0;
    let fired = 0;
    await fc.assert(
      fc.asyncProperty(
        ruleSet,
        fc.array(account, { minLength: 1, maxLength: 4 }),
        async (rules, accounts) => {
          const check = validateRules(rules);
          fc.pre(check.ok);
          const compiled = compileRules(rules);
          const engine = engineEvaluator(rules);
          const tally = new HealthTally(defaultCatalog, compiled, { asOf });
          for (const a of accounts) {
            const c = classify(a, defaultCatalog);
            const mine = evaluate(c, a, compiled, { asOf });
            const reference = await evaluateAsync(c, a, engine, { asOf });
            expect(decision(mine)).toEqual(decision(reference));
            tally.add(a);
            if (failed(mine).length > 0) ruleErrors++;
            if (mine.decidedBy === 'rule') fired++;
          }
          const summary = tally.summary();
          expect(summary.ruleErrors.reduce((n, r) => n + r.accounts, 0)).toBeGreaterThanOrEqual(
            accounts.some((a) => failed(evaluate(classify(a, defaultCatalog), a, compiled, { asOf })).length)
              ? 1
              : 0,
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The generators must produce both failing rules and rules that decide, or the property proves little.
    expect(ruleErrors).toBeGreaterThan(NUM_RUNS / 50);
    expect(fired).toBeGreaterThan(NUM_RUNS / 20);
  }, 600_000);
});
