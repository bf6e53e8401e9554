import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Small JSON state kept per tenant and connector (the Salesforce sync's watermark). */
export async function getConnectorState(
  db: Kysely<Database>,
  tenantId: string,
  connector: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('connector_state')
    .select('state')
    .where('tenant_id', '=', tenantId)
    .where('connector', '=', connector)
    .executeTakeFirst();
  return row?.state;
}

export async function putConnectorState(
  db: Kysely<Database>,
  tenantId: string,
  connector: string,
  state: Record<string, unknown>,
): Promise<void> {
  await db
    .insertInto('connector_state')
    .values({ tenant_id: tenantId, connector, state: JSON.stringify(state) })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'connector'])
        .doUpdateSet({ state: JSON.stringify(state), updated_at: new Date() }),
    )
    .execute();
}
