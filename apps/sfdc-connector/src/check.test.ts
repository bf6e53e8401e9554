import type { StatuskitClient } from '@statuskit/client';
import { type CatalogInput, defaultCatalog } from '@statuskit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, describeCheck } from './check.js';
import { type ConnectorConfig, connectorConfigSchema } from './config.js';
import { SalesforceClient } from './salesforce-client.js';
import { ORG_MAPPED, org } from './testing/org.js';
import { type SalesforceDouble, startSalesforceDouble } from './testing/salesforce-double.js';

const env = { SF_CLIENT_ID: 'cid-check', SF_CLIENT_SECRET: 'secret-check' };

/** The part of the statuskit client `check` uses: the tenant's catalog. */
const statuskitWith = (catalog: CatalogInput) =>
  ({
    getCatalog: async () => ({ catalog, version: 1, updatedAt: new Date(0).toISOString() }),
  }) as unknown as StatuskitClient;

/** The default catalog, `aliases` added to the status `value`. */
const withAliases = (aliases: Record<string, string[]>): CatalogInput => ({
  statuses: defaultCatalog
    .toJSON()
    .statuses.map((s) => (aliases[s.value] ? { ...s, aliases: aliases[s.value] } : s)),
});

describe('check: mapping coverage against the catalog, aliases included', () => {
  let sf: SalesforceDouble;
  beforeAll(async () => {
    sf = await startSalesforceDouble({
      clientId: env.SF_CLIENT_ID,
      clientSecret: env.SF_CLIENT_SECRET,
      records: org('ALI', 12),
    });
  });
  afterAll(async () => {
    await sf?.close();
  });
  const cfg = (values: Record<string, string>, unmapped?: 'skip'): ConnectorConfig =>
    connectorConfigSchema.parse({
      name: 'aliases',
      salesforce: {
        loginUrl: sf.url,
        auth: {
          flow: 'client-credentials',
          clientIdEnv: 'SF_CLIENT_ID',
          clientSecretEnv: 'SF_CLIENT_SECRET',
        },
      },
      statusField: 'Customer_Status__c',
      values,
      ...(unmapped ? { unmapped } : {}),
    });
  const run = (c: ConnectorConfig, catalog: CatalogInput) =>
    check(c, new SalesforceClient(c, { env, retryBaseMs: 1 }), statuskitWith(catalog));

  it('counts a value mapped to an alias of a catalog status as covered', async () => {
    const c = cfg({ ...ORG_MAPPED, Partner: 'Partner plan', Legacy: 'Old' });
    const without = await run(c, defaultCatalog.toJSON());
    expect(without.notInCatalog).toEqual([
      { value: 'Partner', status: 'Partner plan' },
      { value: 'Legacy', status: 'Old' },
    ]);
    const covered = await run(c, withAliases({ Pro: ['partner plan'], Cancelled: ['Old'] }));
    expect(covered.notInCatalog).toEqual([]);
    expect(covered.unmapped).toEqual([]);
    expect(covered.complete).toBe(true);
    expect(describeCheck(c, covered)).toMatch(/coverage complete$/);
  });

  it('counts an unmapped value that arrives as it is and is an alias as covered, unless unmapped values are skipped', async () => {
    const aliases = withAliases({ Pro: ['Partner'], Cancelled: ['Legacy'] });
    const passThrough = await run(cfg(ORG_MAPPED), aliases);
    expect(passThrough.unmapped).toEqual([]);
    expect(passThrough.complete).toBe(true);
    const skipped = await run(cfg(ORG_MAPPED, 'skip'), aliases);
    expect(skipped.unmapped.map((u) => u.value)).toEqual(['Partner', 'Legacy']);
  });
});
