import type { Account, Classification, ClassifiedType, UnknownReason } from '@statuskit/core';
import { type Catalog, classifyStatus } from '@statuskit/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ChunkSizer } from './chunking.js';
import type { AccountsTable, Database } from './schema.js';
import { rawStatusCounts } from './status-counts.js';

export interface StoredAccount {
  readonly id: string;
  readonly name: string | null;
  /** The raw status as last sent (null: none). */
  readonly status: string | null;
  readonly attributes: Record<string, unknown>;
  /** When the current status was first observed (it feeds daysInStatus). */
  readonly statusObservedAt: Date;
  /** The newest observation applied; updates observed before it are stale. */
  readonly lastObservedAt: Date;
  readonly source: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StatusEvent {
  readonly id: number;
  readonly kind: 'change' | 'stale';
  readonly from: string | null;
  readonly to: string | null;
  readonly fromType: string | null;
  readonly toType: string;
  readonly source: string;
  readonly observedAt: Date;
  readonly receivedAt: Date;
}

type AccountRow = Selectable<AccountsTable>;

function toAccount(r: AccountRow): StoredAccount {
  return {
    id: r.account_id,
    name: r.name,
    status: r.raw_status,
    attributes: r.attributes,
    statusObservedAt: r.status_observed_at,
    lastObservedAt: r.last_observed_at,
    source: r.source,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The core view of a stored account, for classification and eligibility. */
export function coreAccount(a: StoredAccount): Account {
  return {
    id: a.id,
    name: a.name ?? undefined,
    status: a.status ?? undefined,
    attributes: a.attributes,
    statusObservedAt: a.statusObservedAt,
  };
}

export async function getAccount(
  db: Kysely<Database>,
  tenantId: string,
  accountId: string,
): Promise<StoredAccount | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row ? toAccount(row) : undefined;
}

export async function accountHistory(
  db: Kysely<Database>,
  tenantId: string,
  accountId: string,
  limit = 100,
): Promise<StatusEvent[]> {
  const rows = await db
    .selectFrom('status_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .orderBy('event_id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.event_id),
    kind: r.kind,
    from: r.from_status,
    to: r.to_status,
    fromType: r.from_type,
    toType: r.to_type,
    source: r.source,
    observedAt: r.observed_at,
    receivedAt: r.received_at,
  }));
}

export interface AccountFilter {
  readonly statusType?: ClassifiedType;
  /** Canonical status value (as in the catalog). */
  readonly status?: string;
  /** Unknown reason, for Unknown accounts. */
  readonly unknownReason?: UnknownReason;
}

const hasClassFilter = (f: AccountFilter) =>
  f.statusType !== undefined || f.status !== undefined || f.unknownReason !== undefined;

/**
 * One page of accounts in id order, after `cursor` (an account id). A filter by class (type, canonical
 * status, Unknown reason) is read as the raw values of that class: the catalog (`catalogOf`), the
 * per-raw-status counts and the page all in one snapshot, so the page answers what that catalog says of
 * those accounts.
 */
export async function listAccounts(
  db: Kysely<Database>,
  tenantId: string,
  filter: AccountFilter,
  cursor: string | undefined,
  limit: number,
  catalogOf?: (db: Kysely<Database>) => Promise<Catalog>,
): Promise<StoredAccount[]> {
  const page = async (trx: Kysely<Database>, raws?: readonly (string | null)[]) => {
    let q = trx.selectFrom('accounts').selectAll().where('tenant_id', '=', tenantId);
    if (raws) {
      const values = raws.filter((r): r is string => r !== null);
      const missing = raws.length > values.length;
      q = q.where(
        sql<boolean>`(raw_status = ANY(${values}::text[])${missing ? sql` OR raw_status IS NULL` : sql``})`,
      );
    }
    if (cursor !== undefined) q = q.where('account_id', '>', cursor);
    const rows = await q.orderBy('account_id').limit(limit).execute();
    return rows.map((r) => toAccount(r));
  };
  if (!hasClassFilter(filter)) return page(db);
  if (!catalogOf) throw new Error('listAccounts: a filter by class needs the catalog');
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const raws = (await rawStatusCounts(trx, tenantId, await catalogOf(trx)))
        .filter(({ classification: c }) => matchesFilter(c, filter))
        .map((r) => r.raw);
      return raws.length === 0 ? [] : page(trx, raws);
    });
}

function matchesFilter(c: Classification, f: AccountFilter): boolean {
  return (
    (f.statusType === undefined || c.statusType === f.statusType) &&
    (f.status === undefined || c.status === f.status) &&
    (f.unknownReason === undefined || c.unknownReason === f.unknownReason)
  );
}

/**
 * Every account of a tenant, in id order, read in pages (constant memory): of `pageSize` rows, or sized by a
 * ChunkSizer so each page's statement takes about its target time.
 */
export async function* iterateAccounts(
  db: Kysely<Database>,
  tenantId: string,
  pageSize: number | ChunkSizer = 10_000,
): AsyncGenerator<StoredAccount[]> {
  let cursor: string | undefined;
  for (;;) {
    const n = typeof pageSize === 'number' ? pageSize : pageSize.size;
    const read = () => listAccounts(db, tenantId, {}, cursor, n);
    const page = typeof pageSize === 'number' ? await read() : await pageSize.time('read', n, read);
    if (page.length === 0) return;
    yield page;
    cursor = page[page.length - 1]?.id;
    if (page.length < n) return;
  }
}

export function classifyStored(a: StoredAccount, catalog: Catalog): Classification {
  return classifyStatus(a.status ?? undefined, catalog);
}
