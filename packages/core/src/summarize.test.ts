import { describe, expect, it } from 'vitest';
import { defaultCatalog } from './catalog.js';
import { type Account, classify } from './classify.js';
import { evaluate } from './eligibility.js';
import { compileRules } from './rules/compile-rules.js';
import { engineEvaluator } from './rules/engine-evaluator.js';
import type { EligibilityRule } from './rules/rule-types.js';
import { HealthTally, summarize } from './summarize.js';

const accounts: Account[] = [
  { id: '1', status: 'Pro' },
  { id: '2', status: ' pro' },
  { id: '3', status: 'Trial', attributes: { demo: true } },
  { id: '4', status: 'Cancelled' },
  { id: '5', status: 'Internal-use' },
  { id: '6', status: 'Gold' },
  { id: '7', status: 'Gold' },
  { id: '8', status: '' },
  { id: '9' },
  { id: '10', status: 7 },
];
const rules: EligibilityRule[] = [
  {
    name: 'demo',
    conditions: { all: [{ fact: 'attributes', path: '$.demo', operator: 'equal', value: true }] },
    event: { type: 'exclude', params: { reason: 'demo-tenant' } },
  },
];

async function* stream(list: Account[]) {
  for (const a of list) yield a;
}

describe('summarize', () => {
  it('counts statuses, types, Unknown values and exclusions from a stream', async () => {
    const s = await summarize(stream(accounts), defaultCatalog, compileRules(rules));
    expect(s).toEqual({
      total: 10,
      byStatus: { Pro: 2, Trial: 1, Cancelled: 1, 'Internal-use': 1 },
      byType: { free: 2, paying: 2, cancelled: 1, unknown: 5 },
      unknown: {
        total: 5,
        byReason: { missing: 1, empty: 1, 'not-in-catalog': 2, 'not-a-string': 1 },
        byValue: [
          { value: 'Gold', reason: 'not-in-catalog', count: 2 },
          { value: '', reason: 'empty', count: 1 },
          { value: '7', reason: 'not-a-string', count: 1 },
        ],
        untrackedValues: 0,
      },
      eligible: 2,
      excluded: 8,
      excludedByReason: { 'demo-tenant': 1, cancelled: 1, 'non-customer': 1, 'unknown-status': 5 },
      ruleErrors: [],
    });
  });

  it('counts a rule that fails on some accounts per rule, and decides those accounts without it', async () => {
    const failing = [
      {
        name: 'filter',
        conditions: { all: [{ fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 }] },
        event: { type: 'exclude', params: { reason: 'x' } },
      },
    ];
    const some = [
      { id: 'a', status: 'Pro', attributes: { x: 1 } },
      { id: 'b', status: 'Pro', attributes: {} },
      { id: 'c', status: 'Pro', attributes: { z: null } },
    ];
    const s = await summarize(some, defaultCatalog, compileRules(failing));
    expect(s).toMatchObject({ eligible: 3, ruleErrors: [{ rule: 'filter', index: 0, accounts: 2 }] });
    expect(s.ruleErrors[0]?.sampleAccountIds).toEqual(['a', 'c']);
    expect(s.ruleErrors[0]?.message).toMatch(/^jsonPath: Cannot read properties of /);
    expect(await summarize(some, defaultCatalog, engineEvaluator(failing))).toEqual(s);
  });

  it('gives the same summary with the engine evaluator', async () => {
    const compiled = await summarize(accounts, defaultCatalog, compileRules(rules));
    expect(await summarize(stream(accounts), defaultCatalog, engineEvaluator(rules))).toEqual(compiled);
  });
});

describe('HealthTally.record with a weight', () => {
  it('counts a group of n alike accounts as n accounts, and takes failed-rule samples from the caller', () => {
    // A rule whose filter path throws on accounts where `x` is missing or not an object (contained: those
    // accounts are decided without it).
    const failing: EligibilityRule[] = [
      {
        name: 'filter',
        conditions: { all: [{ fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 }] },
        event: { type: 'exclude', params: { reason: 'x' } },
      },
    ];
    const evaluator = compileRules(failing);
    const people: Account[] = [
      ...accounts,
      { id: '11', status: 'Pro', attributes: { x: 1 } },
      { id: '12', status: 'Pro', attributes: { z: null } },
    ];
    const one = new HealthTally(defaultCatalog, evaluator, { asOf: 0 });
    const weighted = new HealthTally(defaultCatalog, evaluator, { asOf: 0 });
    for (const a of people) {
      one.add(a);
      const c = classify(a, defaultCatalog);
      const e = evaluate(c, a, evaluator, { asOf: 0 });
      // Each account as a group of 3 of its kind: every count triples.
      weighted.record(a, c, e, 3, { sample: false });
    }
    const single = one.summary();
    const grouped = weighted.summary();
    expect(grouped.total).toBe(3 * single.total);
    expect(grouped.eligible).toBe(3 * single.eligible);
    expect(grouped.byType).toEqual(
      Object.fromEntries(Object.entries(single.byType).map(([k, v]) => [k, 3 * v])),
    );
    expect(grouped.unknown.byValue).toEqual(
      single.unknown.byValue.map((v) => ({ ...v, count: 3 * v.count })),
    );
    expect(grouped.excludedByReason).toEqual(
      Object.fromEntries(Object.entries(single.excludedByReason).map(([k, v]) => [k, 3 * v])),
    );
    const failed = single.ruleErrors[0];
    expect(failed?.accounts).toBeGreaterThanOrEqual(2);
    expect(grouped.ruleErrors).toEqual([
      { ...failed, accounts: 3 * (failed?.accounts ?? 0), sampleAccountIds: [] },
    ]);
    expect(weighted.ruleErrorSamplesWanted(0)).toBe(5);
    weighted.addRuleErrorSamples(0, ['11', '11b', '11c', '12', '12b', '12c']);
    expect(weighted.summary().ruleErrors[0]?.sampleAccountIds).toEqual(['11', '11b', '11c', '12', '12b']);
    expect(weighted.ruleErrorSamplesWanted(0)).toBe(0);
  });
});
