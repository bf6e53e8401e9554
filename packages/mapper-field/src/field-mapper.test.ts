import { defaultCatalog } from '@statuskit/core';
import { describeMapperConformance } from '@statuskit/core/testing';
import { describe, expect, it } from 'vitest';
import { fieldMapper } from './field-mapper.js';

const sfdc = fieldMapper({
  field: 'Customer_Status__c',
  idField: 'Id',
  nameField: 'Name',
  observedAtField: 'SystemModstamp',
  attributeFields: ['Industry'],
  values: {
    'Paying - Gold': 'Enterprise',
    'Paying - Silver': 'Pro',
    'Free Trial': 'Trial',
    Churned: 'Cancelled',
    Demo: 'Internal-use',
  },
});

// A Salesforce REST query row, as the API returns it.
const row = (status: string | null, id = '0015g00000XyZabAAB') => ({
  attributes: { type: 'Account', url: `/services/data/v61.0/sobjects/Account/${id}` },
  Id: id,
  Name: 'Acme Corp',
  Customer_Status__c: status,
  Industry: 'Manufacturing',
  SystemModstamp: '2026-11-20T08:15:02.000+0000',
});

describeMapperConformance(sfdc, {
  valid: [
    {
      name: 'gold',
      record: row('Paying - Gold'),
      expect: {
        accountId: '0015g00000XyZabAAB',
        status: 'Enterprise',
        name: 'Acme Corp',
        observedAt: '2026-11-20T08:15:02.000Z',
        attributes: { Industry: 'Manufacturing' },
      },
    },
    { name: 'trial', record: row('Free Trial'), expect: { status: 'Trial' } },
    { name: 'churned', record: row('Churned'), expect: { status: 'Cancelled' } },
    { name: 'unmapped picklist value', record: row('Paying - Bronze'), expect: { skip: 'unmapped-value' } },
    { name: 'empty field', record: row(null), expect: { skip: 'missing-value' } },
  ],
  invalid: [{ record: 'not a record' }, { record: [row('Churned')] }],
});

describe('fieldMapper', () => {
  it('reads CSV columns and JSON paths, optionally ignoring case', () => {
    const csv = fieldMapper({
      field: 'plan',
      idField: 'account',
      values: { gold: 'Enterprise' },
      caseInsensitive: true,
    });
    expect(csv.map({ account: 'a1', plan: ' GOLD ' })).toMatchObject({
      kind: 'update',
      update: { accountId: 'a1', status: 'Enterprise' },
    });
    const json = fieldMapper({ field: 'billing.plan.name', values: { Gold: 'Enterprise' } });
    expect(json.map({ id: 7, billing: { plan: { name: 'Gold' } } })).toMatchObject({
      kind: 'update',
      update: { accountId: '7', status: 'Enterprise' },
    });
    expect(json.map({ id: 7, billing: { plan: { name: 'gold' } } })).toMatchObject({
      kind: 'skip',
      reason: 'unmapped-value',
      detail: 'gold',
      accountId: '7',
    });
  });

  it('falls back to the default status', () => {
    const m = fieldMapper({ field: 'tier', values: { Gold: 'Enterprise' }, default: 'Pro' });
    expect(m.map({ id: 'x', tier: 'Platinum' })).toMatchObject({ kind: 'update', update: { status: 'Pro' } });
    expect(m.map({ id: 'x' })).toMatchObject({ kind: 'update', update: { status: 'Pro' } });
    expect(m.map({ tier: 'Gold' })).toMatchObject({ kind: 'skip', reason: 'missing-account-id' });
  });

  it('reports which source values have no mapping and which targets are not in the catalog', () => {
    const m = fieldMapper({
      field: 'Type',
      values: { Customer: 'Pro', Partner: 'Partner', Prospect: 'Trial' },
    });
    expect(m.coverage(['Customer', 'Prospect', 'Other', 'Customer'], defaultCatalog)).toEqual({
      mapped: [
        { value: 'Customer', status: 'Pro' },
        { value: 'Prospect', status: 'Trial' },
      ],
      unmapped: ['Other'],
      notInCatalog: [{ value: 'Partner', status: 'Partner' }],
    });
  });

  it('rejects a broken config with a clear message', () => {
    expect(() => fieldMapper({ field: '', values: {} })).toThrow(/field/);
    expect(() =>
      fieldMapper({ field: 'x', values: { Gold: 'A', gold: 'B' }, caseInsensitive: true }),
    ).toThrow(/twice/);
  });
});
