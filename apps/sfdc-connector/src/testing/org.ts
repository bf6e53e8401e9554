import { toId18 } from '../salesforce-id.js';
import { accountFields, type SfRecord } from './salesforce-double.js';

/** Test orgs for the Salesforce double, and what statuskit should hold for each of their records. */

export const ORG_START = Date.parse('2026-11-01T00:00:00Z'); // in the past: statuskit refuses observations from the future

/** A SystemModstamp `seconds` after ORG_START, as Salesforce stores them (whole seconds). */
export const stamp = (seconds: number) =>
  new Date(ORG_START + seconds * 1000).toISOString().replace('.000Z', '.000+0000');

/** A record id unique to a test (`tag`: three letters or digits) and an index. */
export const orgId = (tag: string, i: number) => toId18(`001${tag}${String(i).padStart(9, '0')}`);

export const ORG_STATUSES = ['Paying - Gold', 'Paying - Silver', 'Free Trial', 'Churned', 'Partner', null];
export const ORG_MAPPED: Record<string, string> = {
  'Paying - Gold': 'Enterprise',
  'Paying - Silver': 'Pro',
  'Free Trial': 'Trial',
  Churned: 'Cancelled',
};
/** One attribute of each type: picklist, int, currency, double, boolean, date, datetime, long text. */
export const ORG_ATTRIBUTES = [
  'Industry',
  'NumberOfEmployees',
  'AnnualRevenue',
  'Score__c',
  'Active__c',
  'Renewal_Date__c',
  'Last_Login__c',
  'Description',
];

/**
 * `n` accounts: statuses mapped, unmapped (`Partner`) and empty; regions EMEA and APAC (one in three); every
 * attribute type with nulls; `tie` records share each SystemModstamp.
 */
export function org(tag: string, n: number, options: { tie?: number; from?: number } = {}): SfRecord[] {
  const tie = options.tie ?? 1;
  const from = options.from ?? 0;
  return Array.from({ length: n }, (_, i) => ({
    Id: orgId(tag, i),
    Name: `${tag} account ${i}`,
    Customer_Status__c: ORG_STATUSES[i % ORG_STATUSES.length] ?? null,
    Region__c: i % 3 === 0 ? 'APAC' : 'EMEA',
    Industry: i % 11 === 0 ? null : i % 2 ? 'Retail' : 'Software',
    NumberOfEmployees: i % 5 === 0 ? null : i * 3,
    AnnualRevenue: i % 7 === 0 ? null : i % 2 ? i * 1000 : i * 10.25,
    Score__c: i % 4 === 0 ? null : i / 8,
    Active__c: i % 3 === 1,
    Renewal_Date__c: i % 6 === 0 ? null : `2027-0${1 + (i % 9)}-1${i % 10}`,
    Last_Login__c: i % 8 === 0 ? null : stamp(-86_400 + i),
    Description: i % 10 === 0 ? `Line one\nline "two", three ${i}` : null,
    SystemModstamp: stamp(from + Math.floor(i / tie)),
    IsDeleted: false,
  }));
}

const TYPES = new Map(accountFields().map((f) => [f.name, f.type]));

/** A record's value as statuskit should hold it: typed as Salesforce's describe says, null when empty. */
export function typed(value: unknown, field: string): unknown {
  if (value === null || value === undefined || value === '') return null;
  if (TYPES.get(field) === 'datetime') return new Date(Date.parse(String(value))).toISOString();
  return value;
}

/** The account statuskit should hold for a record (unmapped values arrive raw, empty ones as null). */
export function expectedAccount(
  r: SfRecord,
  options: { attributes: string[]; deletedStatus?: string; values?: Record<string, string> },
) {
  const values = options.values ?? ORG_MAPPED;
  const raw = r.Customer_Status__c ?? null;
  return {
    status: r.IsDeleted ? (options.deletedStatus ?? null) : raw === null ? null : (values[raw] ?? raw),
    name: r.Name ?? null,
    lastObservedAt: new Date(Date.parse(r.SystemModstamp)).toISOString(),
    attributes: Object.fromEntries(options.attributes.map((f) => [f, typed(r[f], f)])),
  };
}
