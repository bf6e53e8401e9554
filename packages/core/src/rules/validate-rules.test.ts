import { describe, expect, it } from 'vitest';
import { StatuskitValidationError } from '../validation-issue.js';
import { parseRules, validateRules } from './validate-rules.js';

const rule = (conditions: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'r',
  conditions,
  event: { type: 'exclude', params: { reason: 'why' } },
  ...extra,
});

function errorsOf(rules: unknown) {
  const result = validateRules(rules);
  if (result.ok) throw new Error('expected errors');
  return result.errors.map((e) => [e.at, e.code]);
}

describe('validateRules', () => {
  it('accepts a realistic rule set without warnings', () => {
    const result = validateRules([
      rule({
        all: [
          { fact: 'statusType', operator: 'equal', value: 'free' },
          { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
        ],
      }),
      rule(
        {
          any: [
            { fact: 'attributes', path: '$.region', operator: 'in', value: ['EU', 'UK'] },
            { not: { fact: 'trial', operator: 'equal', value: true } },
          ],
        },
        { name: 'other', priority: 5, event: { type: 'include', params: { reason: 'eu' } } },
      ),
    ]);
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('rejects unknown facts, operators and events with the path of the bad part', () => {
    expect(errorsOf([rule({ all: [{ fact: 'mrr', operator: 'equal', value: 1 }] })])).toEqual([
      ['[0].conditions.all[0].fact', 'unknown_fact'],
    ]);
    expect(errorsOf([rule({ all: [{ fact: 'plan', operator: 'startsWith', value: 'P' }] })])).toEqual([
      ['[0].conditions.all[0].operator', 'unknown_operator'],
    ]);
    expect(errorsOf([rule({ all: [] }, { event: { type: 'flag', params: { reason: 'x' } } })])).toEqual([
      ['[0].event.type', 'invalid_event'],
    ]);
    expect(errorsOf([rule({ all: [] }, { event: { type: 'exclude' } })])).toEqual([
      ['[0].event.params.reason', 'required'],
    ]);
  });

  it('rejects in / notIn against a non-list, which would fail every run', () => {
    expect(
      errorsOf([
        rule({
          any: [
            { fact: 'plan', operator: 'in', value: 5 },
            { fact: 'plan', operator: 'notIn', value: null },
          ],
        }),
      ]),
    ).toEqual([
      ['[0].conditions.any[0].value', 'invalid_value'],
      ['[0].conditions.any[1].value', 'invalid_value'],
    ]);
    expect(
      errorsOf([
        rule({ all: [{ fact: 'plan', operator: 'in', value: { fact: 'attributes', path: '$.plans' } }] }),
      ]),
    ).toEqual([['[0].conditions.all[0].value', 'invalid_value']]);
  });

  it('rejects bad priorities, names and shapes', () => {
    expect(errorsOf([rule({ all: [] }, { priority: -1 })])).toEqual([['[0].priority', 'invalid_priority']]);
    expect(errorsOf([rule({ all: [] }, { priority: 0.5 })])).toEqual([['[0].priority', 'invalid_priority']]);
    expect(errorsOf([rule({ all: [] }, { priority: 'high' })])).toEqual([
      ['[0].priority', 'invalid_priority'],
    ]);
    expect(errorsOf([rule({ all: [] }), rule({ any: [] })])).toEqual([['[1].name', 'duplicate']]);
    expect(errorsOf([rule({ fact: 'plan', operator: 'equal', value: 'x' })])).toEqual([
      ['[0].conditions', 'invalid_conditions'],
    ]);
    expect(errorsOf([rule({ all: [{ condition: 'shared' }] })])).toEqual([
      ['[0].conditions.all[0].condition', 'unsupported'],
    ]);
    expect(errorsOf({})).toEqual([['(root)', 'invalid_type']]);
  });

  it('warns about legal but surprising rules', () => {
    const result = validateRules([
      rule(
        {
          all: [
            { fact: 'plan', operator: 'in', value: 'Professional' },
            { fact: 'daysInStatus', operator: 'lessThan', value: '9' },
            { fact: 'status', path: '$.x', operator: 'equal', value: 1 },
            { fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 },
          ],
        },
        { priority: 0 },
      ),
    ]);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => [w.at, w.code])).toEqual([
      ['[0].priority', 'priority_raised'],
      ['[0].conditions.all[0].value', 'substring_test'],
      ['[0].conditions.all[1].value', 'string_comparison'],
      ['[0].conditions.all[2].path', 'path_ignored'],
      ['[0].conditions.all[3].path', 'path_may_fail'],
    ]);
  });

  it('parseRules throws with every error listed', () => {
    expect(() => parseRules([rule({ all: [{ fact: 'x', operator: 'y', value: 1 }] })])).toThrow(
      StatuskitValidationError,
    );
  });
});
