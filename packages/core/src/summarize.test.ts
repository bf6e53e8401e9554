import { describe, expect, it } from 'vitest';
import { defaultCatalog } from './catalog.js';
import type { Account } from './classify.js';
import { compileRules } from './rules/compile-rules.js';
import { engineEvaluator } from './rules/engine-evaluator.js';
import type { EligibilityRule } from './rules/rule-types.js';
import { summarize } from './summarize.js';

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
