import { describe, expect, it } from 'vitest';
import { defaultCatalog } from './catalog.js';
import { type Account, classify } from './classify.js';
import { evaluate, evaluateAsync } from './eligibility.js';
import { compileRules } from './rules/compile-rules.js';
import { engineEvaluator } from './rules/engine-evaluator.js';
import type { EligibilityRule } from './rules/rule-types.js';

const asOf = new Date('2026-03-01T00:00:00Z');
const noRules = compileRules([]);

function check(account: Account, rules: EligibilityRule[]) {
  const c = classify(account, defaultCatalog);
  return evaluate(c, account, compileRules(rules), { asOf });
}

/** Both evaluators must give the same decision. */
async function checkBoth(account: Account, rules: EligibilityRule[]) {
  const c = classify(account, defaultCatalog);
  const compiled = evaluate(c, account, compileRules(rules), { asOf });
  expect(await evaluateAsync(c, account, engineEvaluator(rules), { asOf })).toEqual(compiled);
  return compiled;
}

const rule = (
  name: string,
  type: 'include' | 'exclude',
  conditions: EligibilityRule['conditions'],
  priority?: number,
): EligibilityRule => ({
  name,
  conditions,
  event: { type, params: { reason: name } },
  ...(priority ? { priority } : {}),
});

describe('built-in eligibility', () => {
  it.each([
    ['Pro', true, 'active-customer'],
    ['Trial', true, 'active-customer'],
    ['Cancelled', false, 'cancelled'],
    ['Internal-use', false, 'non-customer'],
    ['Gold', false, 'unknown-status'],
    [undefined, false, 'unknown-status'],
  ])('%s -> eligible %s (%s)', (status, eligible, reason) => {
    const account = { id: 'a', status };
    const e = evaluate(classify(account, defaultCatalog), account, noRules);
    expect(e).toMatchObject({ eligible, reason, decidedBy: 'built-in' });
    expect(e.reasons[0]).toMatchObject({ source: 'built-in', code: reason });
  });

  it('says why an Unknown account is out', () => {
    const account = { id: 'a', status: '' };
    expect(evaluate(classify(account, defaultCatalog), account, noRules).reasons).toEqual([
      {
        source: 'built-in',
        code: 'unknown-status',
        unknownReason: 'empty',
        eligible: false,
        overridden: false,
      },
    ]);
  });
});

describe('rules on top of the built-in verdict', () => {
  const everything = { all: [] };

  it('no rule can include an Unknown account', async () => {
    const e = await checkBoth({ id: 'a', status: 'Gold' }, [rule('all-in', 'include', everything, 100)]);
    expect(e).toMatchObject({ eligible: false, reason: 'unknown-status' });
  });

  it('a rule may include a cancelled account (win-back grace period)', async () => {
    const winBack = rule('win-back', 'include', {
      all: [{ fact: 'daysInStatus', operator: 'lessThanInclusive', value: 30 }],
    });
    const recent = await checkBoth(
      { id: 'a', status: 'Cancelled', statusObservedAt: '2026-02-15T00:00:00Z' },
      [winBack],
    );
    expect(recent).toMatchObject({ eligible: true, decidedBy: 'rule', reason: 'win-back', rule: 'win-back' });
    expect(recent.reasons).toEqual([
      { source: 'built-in', code: 'cancelled', eligible: false, overridden: true },
      {
        source: 'rule',
        rule: 'win-back',
        index: 0,
        type: 'include',
        reason: 'win-back',
        priority: 1,
        overridden: false,
      },
    ]);
    const old = await checkBoth({ id: 'a', status: 'Cancelled', statusObservedAt: '2025-01-01T00:00:00Z' }, [
      winBack,
    ]);
    expect(old).toMatchObject({ eligible: false, reason: 'cancelled', decidedBy: 'built-in' });
  });

  it('at equal priority an exclude beats an include', async () => {
    const e = await checkBoth({ id: 'a', status: 'Pro' }, [
      rule('in', 'include', everything),
      rule('out', 'exclude', everything),
    ]);
    expect(e).toMatchObject({ eligible: false, reason: 'out' });
    expect(
      e.reasons.filter((r) => r.source === 'rule').map((r) => [r.source === 'rule' && r.rule, r.overridden]),
    ).toEqual([
      ['in', true],
      ['out', false],
    ]);
  });

  it('the highest priority decides; lower ones are listed as overridden, highest first', async () => {
    const e = await checkBoth({ id: 'a', status: 'Pro', attributes: { region: 'EU' } }, [
      rule('out', 'exclude', everything, 1),
      rule(
        'eu-in',
        'include',
        { all: [{ fact: 'attributes', path: '$.region', operator: 'equal', value: 'EU' }] },
        5,
      ),
    ]);
    expect(e).toMatchObject({ eligible: true, rule: 'eu-in' });
    expect(e.reasons.map((r) => (r.source === 'rule' ? `${r.rule}:${r.overridden}` : r.code))).toEqual([
      'active-customer',
      'eu-in:false',
      'out:true',
    ]);
  });

  it('excludes demo tenants flagged in attributes', async () => {
    const demo = rule('demo', 'exclude', {
      any: [{ fact: 'attributes', path: '$.tags', operator: 'contains', value: 'demo' }],
    });
    expect(await checkBoth({ id: 'a', status: 'Pro', attributes: { tags: ['demo'] } }, [demo])).toMatchObject(
      { eligible: false, reason: 'demo' },
    );
    expect(await checkBoth({ id: 'b', status: 'Pro', attributes: { tags: [] } }, [demo])).toMatchObject({
      eligible: true,
    });
  });

  it('reuses one decision object for accounts that fire the same rules', () => {
    const rules = [
      rule('trial-out', 'exclude', { all: [{ fact: 'trial', operator: 'equal', value: true }] }),
    ];
    const compiled = compileRules(rules);
    const a = { id: 'a', status: 'Trial' };
    const b = { id: 'b', status: 'trial' };
    expect(evaluate(classify(a, defaultCatalog), a, compiled)).toBe(
      evaluate(classify(b, defaultCatalog), b, compiled),
    );
    expect(check(a, rules)).toMatchObject({ eligible: false, reason: 'trial-out' });
  });

  it('counts daysInStatus to asOf', async () => {
    const longTrial = rule('long-trial', 'exclude', {
      all: [
        { fact: 'statusType', operator: 'equal', value: 'free' },
        { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
      ],
    });
    const account = { id: 'a', status: 'Trial', statusObservedAt: new Date('2026-01-15T00:00:00Z') };
    expect(await checkBoth(account, [longTrial])).toMatchObject({ eligible: false });
    const c = classify(account, defaultCatalog);
    expect(
      evaluate(c, account, compileRules([longTrial]), { asOf: new Date('2026-02-01T00:00:00Z') }),
    ).toMatchObject({ eligible: true });
  });

  it('contains a rule that fails on an account: the others decide, the failure is listed with its reason', async () => {
    const rules = [
      rule('filter-out', 'exclude', {
        all: [{ fact: 'attributes', path: '$[?(@.x.y)]', operator: 'equal', value: 1 }],
      }),
      rule('eu-in', 'include', {
        all: [{ fact: 'attributes', path: '$.region', operator: 'equal', value: 'EU' }],
      }),
      rule('seats', 'exclude', {
        all: [{ fact: 'attributes', path: '$.seats', operator: 'greaterThan', value: 5 }],
      }),
    ];
    // {"toString": 1} cannot become a number, so the numeric comparison throws in the engine as well.
    const account = {
      id: 'a',
      status: 'Cancelled',
      attributes: { region: 'EU', x: 1, seats: { toString: 1 } },
    };
    const e = await checkBoth(account, rules);
    expect(e).toMatchObject({ eligible: true, decidedBy: 'rule', rule: 'eu-in' });
    expect(e.reasons).toEqual([
      { source: 'built-in', code: 'cancelled', eligible: false, overridden: true },
      expect.objectContaining({ source: 'rule', rule: 'eu-in', overridden: false }),
    ]);
    expect(e.ruleErrors).toEqual([
      expect.objectContaining({ rule: 'filter-out', index: 0, message: expect.stringContaining('@.x.y') }),
      expect.objectContaining({
        rule: 'seats',
        index: 2,
        message: 'Cannot convert object to primitive value',
      }),
    ]);
    const fine = { id: 'b', status: 'Pro', attributes: { region: 'US', seats: 9 } };
    expect(await checkBoth(fine, rules)).toMatchObject({ eligible: false, rule: 'seats' });
  });

  it('never throws on observation times a Date cannot hold', async () => {
    const days = rule('days', 'exclude', {
      all: [{ fact: 'daysInStatus', operator: 'greaterThan', value: 1 }],
    });
    const since = rule('since', 'exclude', {
      all: [{ fact: 'statusObservedAt', operator: 'equal', value: 'x' }],
    });
    for (const statusObservedAt of [1e20, Number.POSITIVE_INFINITY, new Date(Number.NaN), 'soon'])
      expect(await checkBoth({ id: 'a', status: 'Pro', statusObservedAt }, [days, since])).toMatchObject({
        eligible: true,
        decidedBy: 'built-in',
      });
  });
});
