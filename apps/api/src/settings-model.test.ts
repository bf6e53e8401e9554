// The settings page's pure modules (static/settings/*.js), run in Node: the rule builder's model reads and
// writes the same JSON, problems read as sentences, Unknown values suggest the likely status.
import { describe, expect, it } from 'vitest';
import { catalogProblem, problemLine, ruleProblem } from '../static/settings/problems.js';
import {
  adjustCondition,
  checkBuilder,
  describeRule,
  readRule,
  readRules,
  writeRule,
  writeRules,
} from '../static/settings/rule-model.js';
import { distance, likelyStatus } from '../static/settings/spelling.js';

type RuleItem = Extract<ReturnType<typeof readRule>, { model: unknown }>;
type JsonItem = Extract<ReturnType<typeof readRule>, { why: unknown }>;
const modelOf = (raw: unknown) => (readRule(raw) as RuleItem).model;

const rule = (conditions: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'long-trial',
  conditions,
  event: { type: 'exclude', params: { reason: 'trial longer than 30 days' } },
  ...extra,
});

describe('rule builder model', () => {
  const shown = [
    rule({
      all: [
        { fact: 'trial', operator: 'equal', value: true },
        { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
      ],
    }),
    rule(
      { any: [{ fact: 'status', operator: 'in', value: ['Pro', 'Enterprise'] }, { all: [] }] },
      { priority: 5 },
    ),
    rule({ all: [{ fact: 'attributes', path: '$.region', operator: 'equal', value: 'TEST' }] }),
    rule({ all: [{ fact: 'attributes', path: '$.seats', operator: 'greaterThanInclusive', value: 10.5 }] }),
    rule({ all: [{ fact: 'attributes', path: "$['odd key']", operator: 'notIn', value: [1, 2] }] }),
    rule({ all: [{ fact: 'attributes', path: '$.beta', operator: 'equal', value: false }] }),
    rule({ all: [{ fact: 'attributes', path: '$.tags', operator: 'contains', value: 'vip' }] }),
    rule({ all: [{ fact: 'plan', operator: 'notIn', value: ['gold', 'silver'] }] }),
    rule({ all: [{ fact: 'statusObservedAt', operator: 'lessThan', value: '2026-01-01' }] }),
    rule(
      { any: [{ any: [{ fact: 'statusType', operator: 'equal', value: 'cancelled' }] }] },
      { event: { type: 'include', params: { reason: 'win-back' } } },
    ),
    {
      event: { params: { reason: 'r' }, type: 'exclude' },
      conditions: { all: [] },
      name: 'keys in another order',
    },
  ];

  it('shows every builder-shaped rule in the builder and writes it back unchanged, touched or not', () => {
    const items = readRules(shown);
    expect(items.map((i: { kind: string }) => i.kind)).toEqual(shown.map(() => 'rule'));
    expect(writeRules(items)).toEqual(shown);
    const touched = items.map((i: object) => ({ ...i, touched: true }));
    expect(writeRules(touched)).toEqual(shown);
    // Untouched rules keep their key order too.
    expect(JSON.stringify(writeRules(items))).toBe(JSON.stringify(shown));
  });

  it('keeps what it cannot show as JSON, saying why, and never drops it', () => {
    const cases: [unknown, RegExp][] = [
      [rule({ not: { fact: 'trial', operator: 'equal', value: true } }), /"not" condition/],
      [rule({ all: [{ fact: 'plan', operator: 'not:in', value: ['x'] }] }), /operator "not:in"/],
      [rule({ all: [{ fact: 'trial', operator: 'equals', value: true }] }), /operator "equals" with trial/],
      [rule({ all: [{ fact: 'colour', operator: 'equal', value: 'red' }] }), /fact "colour"/],
      [
        rule({ all: [{ fact: 'plan', operator: 'equal', value: { fact: 'status' } }] }),
        /value \{"fact":"status"\}/,
      ],
      [rule({ all: [{ fact: 'plan', operator: 'in', value: ['a, b'] }] }), /value \["a, b"\]/],
      [rule({ all: [{ fact: 'attributes', operator: 'equal', value: 1 }] }), /without a path/],
      [rule({ all: [{ fact: 'trial', operator: 'equal', value: true, priority: 2 }] }), /"priority"/],
      [rule({ all: [] }, { onSuccess: 'x' }), /"onSuccess"/],
      [
        rule({ all: [] }, { event: { type: 'exclude', params: { reason: 'r', extra: 1 } } }),
        /params besides/,
      ],
      ['not a rule', /not an object/],
    ];
    for (const [raw, why] of cases) {
      const item = readRule(raw) as JsonItem;
      expect(item.kind, JSON.stringify(raw)).toBe('json');
      expect(item.why.join('; ')).toMatch(why);
      expect(writeRules([item])).toEqual([raw]);
    }
  });

  it('writes a rule built field by field as json-rules-engine JSON, and reads it back the same', () => {
    const model = modelOf(rule({ all: [] }));
    model.name = 'test tenants';
    model.priority = '10';
    model.effect = 'exclude';
    model.reason = 'test tenant';
    const condition = {
      kind: 'condition',
      fact: 'attributes',
      path: 'region',
      operator: 'in',
      valueKind: '',
      input: '',
    };
    adjustCondition(condition);
    expect(condition.valueKind).toBe('textList');
    condition.input = 'TEST, QA ';
    model.root.children.push(condition);
    const json = writeRule(model);
    expect(json).toEqual({
      name: 'test tenants',
      priority: 10,
      conditions: { all: [{ fact: 'attributes', path: '$.region', operator: 'in', value: ['TEST', 'QA'] }] },
      event: { type: 'exclude', params: { reason: 'test tenant' } },
    });
    expect(writeRule(modelOf(json))).toEqual(json);
    expect(describeRule(model)).toBe(
      'Exclude when attribute region is one of “TEST”, “QA”, because test tenant (priority 10)',
    );
  });

  it('offers only the operators a fact has, keeping the value when it still fits', () => {
    const c = {
      kind: 'condition',
      fact: 'daysInStatus',
      path: '',
      operator: 'greaterThan',
      valueKind: 'number',
      input: '30',
    };
    c.fact = 'trial';
    adjustCondition(c);
    expect(c).toMatchObject({ operator: '', valueKind: '', input: '' });
    const d = {
      kind: 'condition',
      fact: 'attributes',
      path: 'seats',
      operator: 'equal',
      valueKind: 'number',
      input: '3',
    };
    d.operator = 'greaterThan';
    adjustCondition(d);
    expect(d).toMatchObject({ valueKind: 'number', input: '3' });
  });

  it('says which numbers of a list are not numbers, by the path of the field', () => {
    const items = readRules([
      rule({ all: [{ fact: 'attributes', path: '$.seats', operator: 'in', value: [1, 2] }] }),
    ]);
    const condition = (items[0] as RuleItem).model.root.children[0] as { input: string };
    condition.input = '1, two, 3';
    expect(checkBuilder(items)).toEqual([
      {
        path: [0, 'conditions', 'all', 0, 'value'],
        code: 'not_a_number',
        message: '“two” is not a number; separate numbers with commas',
      },
    ]);
    condition.input = '1, 2.5';
    expect(checkBuilder(items)).toEqual([]);
  });

  it('reads a rule as a sentence a person can check', () => {
    expect(describeRule(modelOf(shown[0]))).toBe(
      'Exclude when trial is true and days in status is greater than 30, because trial longer than 30 days',
    );
    expect(describeRule(modelOf(shown[1]))).toBe(
      'Exclude when status is one of “Pro”, “Enterprise” or always, because trial longer than 30 days (priority 5)',
    );
    expect(describeRule(modelOf(shown[8]))).toContain('status observed on is before 2026-01-01');
  });
});

describe('problems for people', () => {
  const catalog = {
    statuses: [
      { value: 'Trial', type: 'free', aliases: ['Trail'] },
      { value: 'Internal-use', type: 'free' },
      { value: 'Pro', type: 'paying' },
      { value: 'Pro annual', type: 'paying', plan: 'Pro' },
      { value: 'Gold', type: 'paying', aliases: ['trail'] },
      { type: 'free' },
    ],
  };
  const line = (path: (string | number)[], code: string, message = 'm') =>
    problemLine(catalogProblem({ path, at: '', code, message }, catalog));

  it('names the status by number and value, counting from 1, and says what is wrong in words', () => {
    expect(line(['statuses', 5, 'value'], 'invalid_type')).toBe('Status 6: the value is required');
    expect(line(['statuses', 2, 'type'], 'invalid_value')).toBe(
      'Status 3 (Pro): choose a type: free, paying or cancelled',
    );
    expect(line(['statuses', 3, 'plan'], 'plan_taken')).toMatch(
      /^Status 4 \(Pro annual\): the plan “Pro” is already the plan of Status 3 \(Pro\), and two paying statuses may not share a plan/,
    );
    expect(line(['statuses', 4, 'aliases', 0], 'alias_taken')).toBe(
      'Status 5 (Gold): the other spelling “trail” is already a spelling of Status 1 (Trial); a spelling can belong to one status only',
    );
    expect(line(['statuses', 1, 'trial'], 'trial_not_free')).toMatch(
      /^Status 2 \(Internal-use\): only free statuses/,
    );
  });

  it('explains a plan taken by an empty Plan box (which means the value)', () => {
    const twoPro = {
      statuses: [
        { value: 'Gold', type: 'paying', plan: 'Pro' },
        { value: 'Pro', type: 'paying' },
      ],
    };
    expect(
      problemLine(
        catalogProblem({ path: ['statuses', 1, 'plan'], at: '', code: 'plan_taken', message: '' }, twoPro),
      ),
    ).toBe(
      'Status 2 (Pro): the plan “Pro” (an empty plan means the value, “Pro”) is already the plan of Status 1 (Gold), and two paying statuses may not share a plan; give this one a plan of its own',
    );
  });

  it('lists the operators a fact offers when one is wrong', () => {
    const rules = [rule({ all: [{ fact: 'trial', operator: 'equals', value: true }] })];
    expect(
      problemLine(
        ruleProblem(
          { path: [0, 'conditions', 'all', 0, 'operator'], at: '', code: 'unknown_operator', message: '' },
          rules,
        ),
      ),
    ).toBe(
      'Rule 1 (long-trial), condition 1: “equals” is not an operator; for trial use: is (equal), is not (notEqual)',
    );
    expect(
      problemLine(
        ruleProblem(
          { path: [0, 'conditions', 'all', 0, 'any', 1, 'value'], at: '', code: 'required', message: '' },
          rules,
        ),
      ),
    ).toBe('Rule 1 (long-trial), condition 1.2: enter a value');
  });
});

describe('likely status of an Unknown value', () => {
  const statuses = [
    { value: 'Trial', aliases: ['Free trial'] },
    { value: 'Internal-use' },
    { value: 'Pro' },
    { value: 'Enterprise' },
    { value: 'Cancelled' },
  ];
  it('suggests the nearest spelling, and says when it is close enough to be the same word', () => {
    expect(distance('trail', 'trial')).toBe(1);
    expect(likelyStatus('Trail', statuses)).toMatchObject({ index: 0, close: true });
    expect(likelyStatus('internal use', statuses)).toMatchObject({ index: 1, distance: 0, close: true });
    expect(likelyStatus('Canceled', statuses)).toMatchObject({ index: 4, close: true });
    expect(likelyStatus('Enterprise plan', statuses)).toMatchObject({ index: 3, close: true });
    expect(likelyStatus('Gold', statuses)?.close).toBe(false);
    expect(likelyStatus('x', [])).toBeUndefined();
  });
});
