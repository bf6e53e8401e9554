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
import { rawStatusCounts } from './status-counts.js';

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
   * Saves a catalog. Accounts are classified when read (their raw status with the current catalog), so
   * every reader sees the new meaning from this transaction's commit, at once, with no account rewritten.
   * Returns the new version and how many accounts it re-classifies: those whose raw status now classifies
   * differently (from the per-raw-status counts). With `expectedVersion`, saves only over that version
   * (VersionConflictError otherwise).
   */
  async saveCatalog(
    db: Db,
    tenantId: string,
    catalog: Catalog,
    expectedVersion?: number,
  ): Promise<{ version: number; reclassified: number }> {
    // Ingest classifies its events with the catalog it read under this lock: a batch is wholly before or
    // wholly after the change.
    await lockTenant(db, tenantId);
    const previous = await this.catalog(db, tenantId).catch(() => undefined);
    const version = await saveVersioned(
      db,
      'catalogs',
      tenantId,
      { catalog: JSON.stringify(catalog) },
      expectedVersion,
    );
    const same = (a: Classification, b: Classification) =>
      a.status === b.status &&
      a.statusType === b.statusType &&
      a.plan === b.plan &&
      a.trial === b.trial &&
      a.nonCustomer === b.nonCustomer &&
      a.unknownReason === b.unknownReason;
    let reclassified = 0;
    for (const { raw, accounts, classification } of await rawStatusCounts(db, tenantId, catalog)) {
      if (!previous || !same(classification, classifyStatus(raw ?? undefined, previous.catalog)))
        reclassified += accounts;
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

/** Serializes writers of one tenant's accounts (ingest, catalog changes) until the transaction ends. */
export async function lockTenant(db: Db, tenantId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`statuskit:${tenantId}`}))`.execute(db);
}
