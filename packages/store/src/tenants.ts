import { randomBytes } from 'node:crypto';
import type { Catalog } from '@statuskit/core';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TenantConfig } from './tenant-config.js';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export class TenantExistsError extends Error {
  override readonly name = 'TenantExistsError';
}

export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Creates a tenant with the default (or given) catalog and an empty rule set. */
export async function createTenant(
  db: Kysely<Database>,
  config: TenantConfig,
  input: { id?: string; name: string; catalog?: Catalog },
): Promise<Tenant> {
  const id = input.id ?? `t-${randomBytes(6).toString('hex')}`;
  if (!TENANT_ID_PATTERN.test(id))
    throw new TypeError(`tenant id must match ${TENANT_ID_PATTERN} (got ${JSON.stringify(id)})`);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('tenants')
      .values({ tenant_id: id, name: input.name })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .returning(['tenant_id', 'name', 'created_at'])
      .executeTakeFirst();
    if (!row) throw new TenantExistsError(`tenant ${id} already exists`);
    await config.seed(trx, id, input.catalog);
    return { id: row.tenant_id, name: row.name, createdAt: row.created_at };
  });
}

export async function getTenant(db: Kysely<Database>, id: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('tenant_id', '=', id).executeTakeFirst();
  return row ? { id: row.tenant_id, name: row.name, createdAt: row.created_at } : undefined;
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('tenant_id').execute();
  return rows.map((r) => ({ id: r.tenant_id, name: r.name, createdAt: r.created_at }));
}
