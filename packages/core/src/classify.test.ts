import { describe, expect, it } from 'vitest';
import { defaultCatalog, defineCatalog } from './catalog.js';
import { classify, describeClassification } from './classify.js';

describe('classify', () => {
  it('classifies each default status', () => {
    expect(classify({ status: 'Pro' }, defaultCatalog)).toMatchObject({
      statusType: 'paying',
      status: 'Pro',
      plan: 'Pro',
      trial: false,
      nonCustomer: false,
    });
    expect(classify({ status: 'Trial' }, defaultCatalog)).toMatchObject({
      statusType: 'free',
      trial: true,
      plan: undefined,
    });
    expect(classify({ status: 'Internal-use' }, defaultCatalog)).toMatchObject({
      statusType: 'free',
      nonCustomer: true,
    });
    expect(classify({ status: 'Cancelled' }, defaultCatalog)).toMatchObject({ statusType: 'cancelled' });
  });

  it('ignores case and surrounding whitespace by default and records the canonical value', () => {
    const c = classify({ status: '  pro ' }, defaultCatalog);
    expect(c).toMatchObject({ statusType: 'paying', status: 'Pro', rawStatus: '  pro ' });
  });

  it('matches exactly when the catalog says so', () => {
    const exact = defineCatalog({ statuses: [{ value: 'Pro', type: 'paying' }], matching: 'exact' });
    expect(classify({ status: 'Pro' }, exact).statusType).toBe('paying');
    expect(classify({ status: 'pro' }, exact)).toMatchObject({
      statusType: 'unknown',
      unknownReason: 'not-in-catalog',
    });
    expect(classify({ status: ' Pro' }, exact)).toMatchObject({
      statusType: 'unknown',
      unknownReason: 'not-in-catalog',
    });
  });

  it.each([
    [undefined, 'missing'],
    [null, 'missing'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['Gold', 'not-in-catalog'],
    [42, 'not-a-string'],
    [{ value: 'Pro' }, 'not-a-string'],
    [['Pro'], 'not-a-string'],
    [true, 'not-a-string'],
  ])('is Unknown for %j (%s) and never throws', (status, reason) => {
    const c = classify({ status }, defaultCatalog);
    expect(c).toMatchObject({
      statusType: 'unknown',
      unknownReason: reason,
      status: undefined,
      plan: undefined,
    });
    expect(c.rawStatus).toEqual(status);
  });

  it('does not confuse values across catalogs that share a raw value', () => {
    const other = defineCatalog({ statuses: [{ value: 'Pro', type: 'free' }] });
    expect(classify({ status: 'Pro' }, defaultCatalog).statusType).toBe('paying');
    expect(classify({ status: 'Pro' }, other).statusType).toBe('free');
  });

  it('describes every kind of classification', () => {
    expect(describeClassification(classify({ status: 'pro' }, defaultCatalog))).toBe('Pro: paying, plan Pro');
    expect(describeClassification(classify({ status: 'Trial' }, defaultCatalog))).toBe('Trial: free trial');
    expect(describeClassification(classify({}, defaultCatalog))).toBe('Unknown (missing)');
  });
});
