import { describe, expect, it } from 'vitest';
import { matches, parseSoql, SoqlError } from './soql.js';

const record: Record<string, { value: unknown; type: string }> = {
  region__c: { value: 'EMEA', type: 'string' },
  numberofemployees: { value: 12, type: 'int' },
  systemmodstamp: { value: '2027-01-01T00:00:05.000+0000', type: 'datetime' },
  isdeleted: { value: false, type: 'boolean' },
  industry: { value: null, type: 'picklist' },
};
const field = (name: string) => record[name.toLowerCase()] as { value: unknown; type: string };
const where = (condition: string) =>
  matches(parseSoql(`SELECT Id FROM Account WHERE ${condition}`).where, field);

describe("the Salesforce double's SOQL", () => {
  it('reads the clauses the connector sends', () => {
    expect(
      parseSoql(
        "SELECT Id, Customer_Status__c FROM Account WHERE SystemModstamp > 2027-01-01T00:00:00Z AND (Region__c = 'EMEA') ORDER BY SystemModstamp ASC, Id ASC",
      ),
    ).toMatchObject({
      fields: ['Id', 'Customer_Status__c'],
      object: 'Account',
      orderBy: [
        { field: 'SystemModstamp', desc: false },
        { field: 'Id', desc: false },
      ],
    });
    expect(parseSoql('SELECT Status__c, COUNT(Id) FROM Account GROUP BY Status__c')).toMatchObject({
      fields: ['Status__c'],
      aggregates: ['COUNT(Id)'],
      groupBy: 'Status__c',
    });
    expect(parseSoql('SELECT COUNT() FROM Account').count).toBe(true);
  });

  it('evaluates conditions as Salesforce does: names and strings in any case, AND before OR', () => {
    expect(where("region__c = 'emea'")).toBe(true);
    expect(where("Region__c != 'EMEA' OR NumberOfEmployees > 10 AND IsDeleted = false")).toBe(true);
    expect(where("(Region__c != 'EMEA' OR NumberOfEmployees > 10) AND IsDeleted = true")).toBe(false);
    expect(where("Region__c IN ('APAC', 'EMEA')")).toBe(true);
    expect(where("Region__c NOT IN ('APAC')")).toBe(true);
    expect(where("Region__c LIKE 'EM%'")).toBe(true);
    expect(where('Industry = null')).toBe(true);
    expect(where('NOT Industry = null')).toBe(false);
    expect(where('SystemModstamp > 2027-01-01T00:00:04Z')).toBe(true);
    expect(where('SystemModstamp > 2027-01-01T00:00:05Z')).toBe(false);
  });

  it('refuses what it cannot read, as MALFORMED_QUERY', () => {
    expect(() => parseSoql("SELECT Id FROM Account WHERE Region__c = 'EMEA' AND")).toThrow(SoqlError);
    expect(() => parseSoql('SELEC Id FROM Account')).toThrow(/unexpected token/);
  });
});
