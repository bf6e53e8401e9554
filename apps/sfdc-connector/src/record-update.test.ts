import { describe, expect, it } from 'vitest';
import type { ObjectFields } from './object-fields.js';
import { MAX_STATUS_LENGTH, recordUpdate, type UpdatePlan } from './record-update.js';

const field = (name: string, type: string) => ({ name, label: name, type });
const fields = (idType = 'id'): ObjectFields => {
  const id = field('Id', idType);
  const status = field('Status__c', 'picklist');
  const modstamp = field('SystemModstamp', 'datetime');
  const deleted = field('IsDeleted', 'boolean');
  const name = field('Name', 'string');
  const attributes = [field('NumberOfEmployees', 'int')];
  return { object: 'Account', id, status, name, attributes, modstamp, deleted, select: [] };
};
const plan = (over: Partial<UpdatePlan> = {}): UpdatePlan => ({
  fields: fields(),
  lookup: (v) => ({ Gold: 'Enterprise' })[v],
  default: undefined,
  unmapped: 'raw',
  ...over,
});
const record = (over: Record<string, unknown> = {}) => ({
  Id: '001A0000006Vm9r',
  Status__c: 'Gold',
  SystemModstamp: '2027-01-01T00:00:00.000Z',
  IsDeleted: false,
  Name: 'Acme',
  NumberOfEmployees: 12,
  ...over,
});

describe('recordUpdate', () => {
  it('maps a record: 18-character id, mapped status, observedAt, name and typed attributes', () => {
    expect(recordUpdate(record(), plan())).toEqual({
      update: {
        accountId: '001A0000006Vm9rIAC',
        status: 'Enterprise',
        observedAt: '2027-01-01T00:00:00.000Z',
        source: 'sfdc',
        name: 'Acme',
        attributes: { NumberOfEmployees: 12 },
      },
    });
  });

  it('pushes an empty value as null, an unmapped one as it is, or the default, or skips it when told', () => {
    expect(recordUpdate(record({ Status__c: null }), plan())).toMatchObject({ update: { status: null } });
    expect(recordUpdate(record({ Status__c: 'Platinum' }), plan())).toMatchObject({
      update: { status: 'Platinum' },
    });
    expect(recordUpdate(record({ Status__c: 'Platinum' }), plan({ default: 'Pro' }))).toMatchObject({
      update: { status: 'Pro' },
    });
    expect(recordUpdate(record({ Status__c: 'Platinum' }), plan({ unmapped: 'skip' }))).toEqual({
      skip: 'unmapped-value',
    });
    expect(recordUpdate(record({ Status__c: 42 }), plan())).toMatchObject({ update: { status: '42' } });
  });

  it('keeps the value of an id field that does not hold Salesforce ids (an external id), and checks one that does', () => {
    expect(recordUpdate(record({ Id: ' tenant-42 ' }), plan({ fields: fields('string') }))).toMatchObject({
      update: { accountId: 'tenant-42' },
    });
    expect(recordUpdate(record({ Id: 'tenant-42' }), plan())).toEqual({ skip: 'invalid-id' });
    expect(recordUpdate(record({ Id: null }), plan())).toEqual({ skip: 'missing-account-id' });
  });

  it('skips, never sends, a status longer than the API accepts; a deleted record gets the status given', () => {
    const long = 'x'.repeat(MAX_STATUS_LENGTH + 1);
    expect(recordUpdate(record({ Status__c: long }), plan())).toEqual({ skip: 'value-too-long' });
    expect(recordUpdate(record({ IsDeleted: true }), plan(), 'Cancelled')).toMatchObject({
      update: { status: 'Cancelled', name: 'Acme' },
    });
  });
});
