import { describe, expect, it } from 'vitest';
import { connectorConfigSchema } from './config.js';
import { requireFields, resolveFields, typeValue } from './object-fields.js';

const f = (name: string, type: string) => ({ name, label: name, type });
const describe_ = {
  name: 'Account',
  fields: [
    f('Id', 'id'),
    f('IsDeleted', 'boolean'),
    f('SystemModstamp', 'datetime'),
    f('Customer_Status__c', 'picklist'),
    f('NumberOfEmployees', 'int'),
  ],
};
const config = (over: Record<string, unknown> = {}) =>
  connectorConfigSchema.parse({
    salesforce: {
      loginUrl: 'https://login.salesforce.com',
      auth: { flow: 'client-credentials', clientIdEnv: 'A', clientSecretEnv: 'B' },
    },
    statusField: 'customer_status__C',
    idField: 'ID',
    attributeFields: ['numberofemployees'],
    values: {},
    ...over,
  });

describe('resolveFields', () => {
  it("maps the config's names, in any case, to Salesforce's", () => {
    const fields = requireFields(config(), describe_);
    expect(fields.select.map((x) => x.name)).toEqual([
      'Id',
      'Customer_Status__c',
      'SystemModstamp',
      'IsDeleted',
      'NumberOfEmployees',
    ]);
  });

  it('names every missing field with the config key that names it', () => {
    expect(
      resolveFields(config({ nameField: 'Nom', attributeFields: ['x', 'NumberOfEmployees'] }), describe_)
        .missing,
    ).toEqual([
      { key: 'nameField', name: 'Nom' },
      { key: 'attributeFields[0]', name: 'x' },
    ]);
    expect(() => requireFields(config({ statusField: 'Nope' }), describe_)).toThrow(
      /statusField: Account has no field "Nope"/,
    );
  });
});

describe('typeValue', () => {
  it('types CSV strings and REST values alike, by the describe type', () => {
    const cases: [string, unknown, unknown][] = [
      ['int', '7224', 7224],
      ['int', 7224, 7224],
      ['currency', '1000.0', 1000],
      ['double', '0.125', 0.125],
      ['percent', '', null],
      ['boolean', 'true', true],
      ['boolean', 'false', false],
      ['boolean', false, false],
      ['date', '2027-05-13', '2027-05-13'],
      ['datetime', '2027-01-01T10:00:00.000+0000', '2027-01-01T10:00:00.000Z'],
      ['datetime', '2027-01-01T10:00:00.000Z', '2027-01-01T10:00:00.000Z'],
      ['picklist', 'Gold', 'Gold'],
      ['string', '', null],
      ['string', null, null],
      ['textarea', 'a\nb', 'a\nb'],
    ];
    for (const [type, input, want] of cases)
      expect(typeValue(f('X', type), input), `${type} ${input}`).toEqual(want);
  });
});
