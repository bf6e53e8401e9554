import { describe, expect, it } from 'vitest';
import { compileRules } from './compile-rules.js';
import { engineEvaluator } from './engine-evaluator.js';
import type { RuleFacts } from './rule-types.js';

const facts = (over: Partial<RuleFacts> = {}): RuleFacts => ({
  status: 'Pro',
  statusType: 'paying',
  plan: 'Pro',
  trial: false,
  nonCustomer: false,
  attributes: { region: 'EU', seats: '10', tags: ['vip'], nested: { level: 3 } },
  statusObservedAt: '2026-01-01T00:00:00.000Z',
  daysInStatus: 12,
  ...over,
});

const one = (conditions: unknown, priority?: number) => [
  {
    name: 'r',
    conditions,
    event: { type: 'exclude', params: { reason: 'x' } },
    ...(priority ? { priority } : {}),
  },
];

/** Runs both evaluators; returns the compiled answer after checking the engine gives the same. */
async function both(rules: unknown[], f: RuleFacts): Promise<boolean | 'error'> {
  const run = async (fn: () => Promise<readonly unknown[]> | readonly unknown[]) => {
    try {
      return (await fn()).length > 0;
    } catch {
      return 'error' as const;
    }
  };
  const compiled = await run(() => compileRules(rules).fire(f));
  const engine = await run(() => engineEvaluator(rules).fire(f));
  expect(compiled).toBe(engine);
  return compiled;
}

const cond = (fact: string, operator: string, value: unknown, path?: string) => ({
  all: [{ fact, operator, value, ...(path ? { path } : {}) }],
});

describe('compiled rules keep json-rules-engine semantics', () => {
  it('in / notIn with a string value is a substring test', async () => {
    expect(await both(one(cond('plan', 'in', 'Professional')), facts())).toBe(true);
    expect(await both(one(cond('plan', 'notIn', 'Professional')), facts())).toBe(false);
    expect(await both(one(cond('plan', 'in', ['Professional'])), facts())).toBe(false);
  });

  it('in with a number, boolean or null value fails the whole run', async () => {
    for (const value of [5, true, null])
      expect(await both(one(cond('plan', 'in', value)), facts())).toBe('error');
  });

  it('contains / doesNotContain are both false on a non-array fact', async () => {
    expect(await both(one(cond('plan', 'contains', 'P')), facts())).toBe(false);
    expect(await both(one(cond('plan', 'doesNotContain', 'P')), facts())).toBe(false);
    expect(await both(one(cond('attributes', 'contains', 'vip', '$.tags')), facts())).toBe(true);
  });

  it('numeric operators accept what parseFloat reads and compare with plain JavaScript', async () => {
    // "10" < "9" between two strings
    expect(await both(one(cond('attributes', 'lessThan', '9', '$.seats')), facts())).toBe(true);
    expect(await both(one(cond('attributes', 'lessThan', 9, '$.seats')), facts())).toBe(false);
    expect(await both(one(cond('status', 'greaterThan', 0)), facts())).toBe(false);
    expect(await both(one(cond('daysInStatus', 'greaterThanInclusive', 12)), facts())).toBe(true);
  });

  it('empty all and any are true', async () => {
    expect(await both(one({ all: [] }), facts())).toBe(true);
    expect(await both(one({ any: [] }), facts())).toBe(true);
    expect(await both(one({ not: { any: [] } }), facts())).toBe(false);
  });

  it('path is JSONPath on object facts only, own properties only', async () => {
    expect(await both(one(cond('attributes', 'equal', 3, '$.nested.level')), facts())).toBe(true);
    expect(await both(one(cond('attributes', 'equal', 'vip', '$.tags[0]')), facts())).toBe(true);
    expect(await both(one(cond('attributes', 'equal', undefined, '$.toString')), facts())).toBe(true);
    // recursive descent yields a list ([3]), never the bare value
    expect(await both(one(cond('attributes', 'equal', 3, '$..level')), facts())).toBe(false);
    expect(await both(one(cond('attributes', 'contains', 3, '$..level')), facts())).toBe(true);
    expect(await both(one(cond('plan', 'equal', 'Pro', '$.anything')), facts())).toBe(true);
  });

  it('an unknown fact fails the run, even in a lower-priority rule after a higher one fired', async () => {
    const rules = [
      ...one({ all: [] }, 10),
      {
        name: 'low',
        conditions: cond('mrr', 'equal', 1),
        event: { type: 'include', params: { reason: 'y' } },
      },
    ];
    expect(await both(rules, facts())).toBe('error');
  });

  it('skips lower-priority condition sets once the answer is known', async () => {
    const shortCircuit = {
      all: [
        { fact: 'plan', operator: 'equal', value: 'nope', priority: 5 },
        { fact: 'mrr', operator: 'equal', value: 1 },
      ],
    };
    expect(await both(one(shortCircuit), facts())).toBe(false);
    const sameSet = {
      all: [
        { fact: 'plan', operator: 'equal', value: 'nope' },
        { fact: 'mrr', operator: 'equal', value: 1 },
      ],
    };
    expect(await both(one(sameSet), facts())).toBe('error');
  });

  it('reports rule priorities as the engine uses them', () => {
    const compiled = compileRules([
      ...one({ all: [] }, 2.7),
      { ...one({ all: [] })[0], name: 'zero', priority: 0 },
    ]);
    expect(compiled.fire(facts()).map((r) => r.priority)).toEqual([2, 1]);
  });

  it('rejects what the engine rejects when rules are built', () => {
    expect(() => compileRules(one({ all: [] }, -1))).toThrow(/Priority must be greater than zero/);
    expect(() => compileRules([{ name: 'x', conditions: { all: [] } }])).toThrow(/event/);
    expect(() => compileRules([{ name: 'x', conditions: { foo: [] }, event: { type: 'exclude' } }])).toThrow(
      /conditions/,
    );
  });

  it('handles more than 30 rules', async () => {
    const rules = Array.from({ length: 40 }, (_, i) => ({
      name: `r${i}`,
      conditions: cond('daysInStatus', 'equal', i),
      event: { type: 'exclude', params: { reason: 'x' } },
    }));
    const compiled = compileRules(rules);
    expect(compiled.fire(facts({ daysInStatus: 35 })).map((r) => r.index)).toEqual([35]);
    expect((await engineEvaluator(rules).fire(facts({ daysInStatus: 35 }))).map((r) => r.index)).toEqual([
      35,
    ]);
  });
});

describe('generated code', () => {
  const hostile = [
    "'); globalThis.__pwned = true; ('",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile rule value, deliberately
    '`${globalThis.__pwned = true}`',
    '"; globalThis.__pwned = true; "',
    '*/ globalThis.__pwned = true; /*',
    '\\u0027); globalThis.__pwned = true; //',
    '\n}; globalThis.__pwned = true; function x() {',
  ];

  it('never splices rule values, names, facts, paths or operators into source', () => {
    const g = globalThis as { __pwned?: boolean };
    delete g.__pwned;
    for (const s of hostile) {
      const rules = [
        {
          name: s,
          priority: 1,
          conditions: {
            any: [
              { fact: 'plan', operator: 'equal', value: s },
              { fact: 'attributes', path: `$.${s}`, operator: 'in', value: [s] },
              { fact: 'attributes', path: `$['${s}']`, operator: 'equal', value: s },
              { fact: s, operator: 'equal', value: 1, priority: 2 },
              { fact: 'plan', operator: s, value: s, priority: 3 },
              { fact: 'plan', operator: 'equal', value: { fact: s } },
            ],
          },
          event: { type: 'exclude', params: { reason: s } },
        },
      ];
      const compiled = compileRules(rules);
      expect(() => compiled.fire(facts({ plan: s, attributes: { [s]: s } }))).toThrow();
      expect(g.__pwned).toBeUndefined();
      const hit = compileRules([
        { ...rules[0], conditions: { all: [{ fact: 'plan', operator: 'equal', value: s }] } },
      ]);
      expect(hit.fire(facts({ plan: s }))).toMatchObject([{ name: s, reason: s }]);
      expect(hit.fire(facts({ plan: 'Pro' }))).toEqual([]);
    }
    expect(g.__pwned).toBeUndefined();
  });
});
