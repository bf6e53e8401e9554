import { readFileSync } from 'node:fs';
import { z } from 'zod';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable');
const apiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a Salesforce API name');

/** The connector's config file. Secrets are never in it: only the names of the variables holding them. */
export const connectorConfigSchema = z
  .object({
    /** Name under which statuskit keeps this connector's watermark (one per org and object). */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/)
      .default('sfdc'),
    salesforce: z
      .object({
        /** https://login.salesforce.com, https://test.salesforce.com, or the My Domain URL. */
        loginUrl: z.url(),
        apiVersion: z
          .string()
          .regex(/^\d{2,3}\.0$/, 'like "61.0"')
          .default('61.0'),
        /** Seconds the connector waits for one complete answer (headers and body) before trying again. */
        timeoutSeconds: z.number().int().min(1).max(3600).default(120),
        /** Retries of a request that failed for a passing reason (network, 5xx, cut-off body, timeout, limit). */
        retries: z.number().int().min(0).max(20).default(5),
        auth: z.discriminatedUnion('flow', [
          z
            .object({ flow: z.literal('client-credentials'), clientIdEnv: envName, clientSecretEnv: envName })
            .strict(),
          z
            .object({
              flow: z.literal('refresh-token'),
              clientIdEnv: envName,
              clientSecretEnv: envName.optional(),
              refreshTokenEnv: envName,
            })
            .strict(),
          z
            .object({
              flow: z.literal('password'),
              clientIdEnv: envName,
              clientSecretEnv: envName,
              usernameEnv: envName,
              passwordEnv: envName,
            })
            .strict(),
        ]),
      })
      .strict(),
    object: apiName.default('Account'),
    idField: apiName.default('Id'),
    statusField: apiName,
    nameField: apiName.optional(),
    /** Fields copied into the account's attributes. */
    attributeFields: z.array(apiName).default([]),
    /** Picklist API value -> statuskit status. */
    values: z.record(z.string(), z.string().min(1)),
    /** Status for a value with no entry in `values` (instead of the raw value). */
    default: z.string().min(1).optional(),
    /**
     * A value with no entry in `values` (and no `default`): `raw` pushes it as it is (the account is Unknown,
     * not in the catalog, and shows in the Unknown report); `skip` leaves the account as it was.
     */
    unmapped: z.enum(['raw', 'skip']).default('raw'),
    caseInsensitive: z.boolean().optional(),
    /** A SOQL condition ANDed to every query, e.g. "IsTest__c = false". */
    where: z.string().max(2000).optional(),
    /**
     * Records re-read behind the watermark, in seconds (harmless: updates carry observedAt). The watermark
     * never passes a group of records sharing one SystemModstamp until the whole group is pushed, so 0 loses
     * nothing; a margin covers records whose SystemModstamp is committed late.
     */
    overlapSeconds: z.number().int().min(0).max(86_400).default(300),
    /** Use Bulk API 2.0 for a full read above this many records. */
    bulkThreshold: z.number().int().min(0).default(50_000),
    /** Share of the org's daily API allowance a sync may use (0-1). */
    apiShare: z.number().gt(0).max(1).default(0.1),
    /**
     * Status to set on accounts deleted in Salesforce (within `where`); without it deletions are only
     * reported. Records deleted before the first sync are only reported (statuskit never had them).
     */
    deletedStatus: z.string().min(1).optional(),
    /** Updates per push to statuskit. */
    batchSize: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConnectorConfig(path: string): ConnectorConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  const parsed = connectorConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid config ${path}:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** Reads a secret from the environment, by the name the config gives. */
export function secret(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}
