import {
  type Catalog,
  type CatalogInput,
  type Classification,
  type CompiledEvaluator,
  classifyStatus,
  compileRules,
  defaultCatalog,
  defineCatalog,
  type EligibilityRule,
} from '@statuskit/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

export interface VersionedCatalog {
  readonly catalog: Catalog;
  readonly version: number;
  readonly updatedAt: Date;
}

export interface VersionedRules {
  readonly rules: readonly EligibilityRule[];
  readonly evaluator: CompiledEvaluator;
  readonly version: number;
  readonly updatedAt: Date;
}

export class TenantNotFoundError extends Error {
  override readonly name = 'TenantNotFoundError';
}

/** A catalog or rule set was saved over a version other than the one the writer read. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly subject: 'catalog' | 'rules',
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `The ${subject} is at version ${currentVersion}, not ${expectedVersion}: someone saved it since it was read.`,
    );
  }
}

/**
 * Writes a new catalog or rule set and bumps its version, only over `expectedVersion` when given. Returns
 * the new version; TenantNotFoundError when the tenant has none, VersionConflictError when the version moved.
 */
async function saveVersioned(
  db: Db,
  table: 'catalogs' | 'rule_sets',
  tenantId: string,
  document: { readonly catalog: string } | { readonly rules: string },
  expectedVersion: number | undefined,
): Promise<number> {
  let update = db
    .updateTable(table)
    .set({ ...document, version: sql`version + 1`, updated_at: sql`now()` } as never)
    .where('tenant_id', '=', tenantId);
  if (expectedVersion !== undefined) update = update.where('version', '=', expectedVersion);
  const saved = await update.returning('version').executeTakeFirst();
  if (saved) return saved.version;
  const row = await db
    .selectFrom(table)
    .select('version')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row) throw new TenantNotFoundError(`tenant ${tenantId} not found`);
  throw new VersionConflictError(
    table === 'catalogs' ? 'catalog' : 'rules',
    expectedVersion as number,
    row.version,
  );
}

/**
 * Catalogs and rules per tenant, cached by version: every read checks the version in the database (so a
 * change made by another process is seen at once) and parses or compiles only when it moved.
 */
export class TenantConfig {
  readonly #catalogs = new Map<string, VersionedCatalog>();
  readonly #rules = new Map<string, VersionedRules>();

  async catalog(db: Db, tenantId: string): Promise<VersionedCatalog> {
    const head = await db
      .selectFrom('catalogs')
      .select(['version', 'updated_at'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!head) throw new TenantNotFoundError(`tenant ${tenantId} not found`);
    const cached = this.#catalogs.get(tenantId);
    if (cached && cached.version === head.version) return cached;
    const row = await db
      .selectFrom('catalogs')
      .select('catalog')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const fresh = {
      catalog: defineCatalog(row.catalog as CatalogInput),
      version: head.version,
      updatedAt: head.updated_at,
    };
    this.#catalogs.set(tenantId, fresh);
    return fresh;
  }

  async rules(db: Db, tenantId: string): Promise<VersionedRules> {
    const head = await db
      .selectFrom('rule_sets')
      .select(['version', 'updated_at'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!head) throw new TenantNotFoundError(`tenant ${tenantId} not found`);
    const cached = this.#rules.get(tenantId);
    if (cached && cached.version === head.version) return cached;
    const row = await db
      .selectFrom('rule_sets')
      .select('rules')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const rules = row.rules as EligibilityRule[];
    const fresh = {
      rules,
      evaluator: compileRules(rules),
      version: head.version,
      updatedAt: head.updated_at,
    };
    this.#rules.set(tenantId, fresh);
    return fresh;
  }

  /** Seeds a new tenant with the default catalog and no rules. */
  async seed(db: Db, tenantId: string, catalog: Catalog = defaultCatalog): Promise<void> {
    await db
      .insertInto('catalogs')
      .values({ tenant_id: tenantId, catalog: JSON.stringify(catalog), version: 1 })
      .execute();
    await db.insertInto('rule_sets').values({ tenant_id: tenantId, rules: '[]', version: 1 }).execute();
  }

  /**
   * Saves a catalog and re-classifies every account of the tenant in the same transaction (classification
   * derives from the raw status and the catalog). Returns the new version and how many accounts changed.
   * With `expectedVersion`, saves only over that version (VersionConflictError otherwise).
   */
  async saveCatalog(
    db: Db,
    tenantId: string,
    catalog: Catalog,
    expectedVersion?: number,
  ): Promise<{ version: number; reclassified: number }> {
    await lockTenant(db, tenantId);
    const previous = await this.catalog(db, tenantId).catch(() => undefined);
    const version = await saveVersioned(
      db,
      'catalogs',
      tenantId,
      { catalog: JSON.stringify(catalog) },
      expectedVersion,
    );
    // Classification derives from the raw status alone, so the work is per distinct raw status (tens of
    // values, read by a skip scan of accounts_by_raw_status), and only the accounts whose raw status now
    // classifies differently are rewritten, through the index.
    const raws = await distinctRawStatuses(db, tenantId);
    const same = (a: Classification, b: Classification) =>
      a.status === b.status &&
      a.statusType === b.statusType &&
      a.plan === b.plan &&
      a.trial === b.trial &&
      a.nonCustomer === b.nonCustomer &&
      a.unknownReason === b.unknownReason;
    const changed = raws
      .map((raw) => ({ raw, c: classifyStatus(raw ?? undefined, catalog) }))
      .filter(({ raw, c }) => !previous || !same(c, classifyStatus(raw ?? undefined, previous.catalog)));
    let reclassified = 0;
    for (let i = 0; i < changed.length; i += 5000) {
      const chunk = changed.slice(i, i + 5000);
      // NULL is matched by its own flag: both columns compare with `=`, so the join can hash.
      const result = await sql`
        UPDATE accounts a SET
          status = u.status, status_type = u.status_type, plan = u.plan, trial = u.trial,
          non_customer = u.non_customer, unknown_reason = u.unknown_reason
        FROM unnest(${chunk.map((r) => r.raw ?? '')}::text[], ${chunk.map((r) => r.raw === null)}::boolean[],
                    ${chunk.map((r) => r.c.status ?? null)}::text[],
                    ${chunk.map((r) => r.c.statusType)}::text[], ${chunk.map((r) => r.c.plan ?? null)}::text[],
                    ${chunk.map((r) => r.c.trial)}::boolean[], ${chunk.map((r) => r.c.nonCustomer)}::boolean[],
                    ${chunk.map((r) => r.c.unknownReason ?? null)}::text[])
             AS u(raw_key, raw_null, status, status_type, plan, trial, non_customer, unknown_reason)
        WHERE a.tenant_id = ${tenantId}
          AND (a.raw_status = ANY(${chunk.filter((r) => r.raw !== null).map((r) => r.raw)}::text[])
               OR (a.raw_status IS NULL AND ${chunk.some((r) => r.raw === null)}))
          AND coalesce(a.raw_status, '') = u.raw_key AND (a.raw_status IS NULL) = u.raw_null
          AND (a.status IS DISTINCT FROM u.status OR a.status_type <> u.status_type OR a.plan IS DISTINCT FROM u.plan
               OR a.trial <> u.trial OR a.non_customer <> u.non_customer OR a.unknown_reason IS DISTINCT FROM u.unknown_reason)
      `.execute(db);
      reclassified += Number(result.numAffectedRows ?? 0);
    }
    return { version, reclassified };
  }

  /** Saves a rule set; with `expectedVersion`, only over that version (VersionConflictError otherwise). */
  async saveRules(
    db: Db,
    tenantId: string,
    rules: readonly EligibilityRule[],
    expectedVersion?: number,
  ): Promise<{ version: number }> {
    return {
      version: await saveVersioned(
        db,
        'rule_sets',
        tenantId,
        { rules: JSON.stringify(rules) },
        expectedVersion,
      ),
    };
  }
}

/**
 * The distinct raw statuses of a tenant's accounts (NULL included), by a skip scan of the index
 * accounts_by_raw_status: one index probe per distinct value instead of a pass over every account.
 */
export async function distinctRawStatuses(db: Db, tenantId: string): Promise<(string | null)[]> {
  const rows = await sql<{ raw: string | null }>`
    WITH RECURSIVE r(raw) AS (
      SELECT min(raw_status) FROM accounts WHERE tenant_id = ${tenantId}
      UNION ALL
      SELECT (SELECT min(a.raw_status) FROM accounts a WHERE a.tenant_id = ${tenantId} AND a.raw_status > r.raw)
      FROM r WHERE r.raw IS NOT NULL
    )
    SELECT raw FROM r WHERE raw IS NOT NULL
    UNION ALL
    SELECT NULL WHERE EXISTS (SELECT 1 FROM accounts WHERE tenant_id = ${tenantId} AND raw_status IS NULL)
  `.execute(db);
  return rows.rows.map((r) => r.raw);
}

/** Serializes writers of one tenant's accounts (ingest, re-classification) until the transaction ends. */
export async function lockTenant(db: Db, tenantId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`statuskit:${tenantId}`}))`.execute(db);
}
