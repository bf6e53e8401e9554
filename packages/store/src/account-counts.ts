import type { Catalog, StatusType, UnknownReason } from '@statuskit/core';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { rawStatusCounts } from './status-counts.js';

type TypeCounts = Record<StatusType, number>;

/** One catalog status (or a stored one the catalog no longer lists) with its accounts. */
export interface StatusCount {
  readonly status: string;
  readonly type: StatusType;
  readonly plan: string | null;
  readonly trial: boolean;
  readonly nonCustomer: boolean;
  readonly count: number;
}

/** Where a tenant's accounts are now: the "Now" picture of the dashboard. */
export interface AccountCounts {
  readonly total: number;
  /** Every account by status-type, non-customers included (what `/v1/metrics` counts per day). */
  readonly byType: Readonly<TypeCounts & { unknown: number }>;
  /** Customers: known statuses that are not marked as non-customers. */
  readonly customers: {
    readonly total: number;
    readonly byType: Readonly<TypeCounts>;
    /** Customers on a trial status. */
    readonly trial: number;
    /** Paying customers per plan; every paying plan of the catalog is listed, with 0 when empty. */
    readonly byPlan: readonly { readonly plan: string; readonly count: number }[];
  };
  /** Demo, sandbox and internal accounts (statuses marked `nonCustomer`), apart from the customers. */
  readonly nonCustomers: { readonly total: number; readonly byType: Readonly<TypeCounts> };
  readonly unknown: { readonly total: number; readonly byReason: Readonly<Record<UnknownReason, number>> };
  /** Every catalog status in catalog order (0 when no account has it), then any other stored status. */
  readonly statuses: readonly StatusCount[];
}

const types = (): TypeCounts => ({ free: 0, paying: 0, cancelled: 0 });

/**
 * Counts a tenant's accounts by their current classification, from the per-raw-status counts (one row
 * per distinct raw value, not a scan of the accounts).
 */
export async function accountCounts(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
): Promise<AccountCounts> {
  // Each raw value classified with the catalog the accounts are classified with (re-classification
  // follows every catalog change in its transaction), so these are the counts of their stored classes.
  const rows = (await rawStatusCounts(db, tenantId, catalog)).map(({ accounts, classification: c }) => ({
    status_type: c.statusType,
    status: c.status ?? null,
    plan: c.plan ?? null,
    trial: c.trial,
    non_customer: c.nonCustomer,
    unknown_reason: c.unknownReason ?? null,
    n: accounts,
  }));

  const byType = { ...types(), unknown: 0 };
  const customers = { total: 0, byType: types(), trial: 0 };
  const nonCustomers = { total: 0, byType: types() };
  const byReason: Record<UnknownReason, number> = {
    missing: 0,
    empty: 0,
    'not-in-catalog': 0,
    'not-a-string': 0,
  };
  const plans = new Map<string, number>();
  const statuses = new Map<string, StatusCount>();
  for (const s of catalog.statuses) {
    if (s.type === 'paying' && !s.nonCustomer) plans.set(s.plan ?? s.value, 0);
    statuses.set(s.value, {
      status: s.value,
      type: s.type,
      plan: s.plan ?? null,
      trial: s.trial === true,
      nonCustomer: s.nonCustomer === true,
      count: 0,
    });
  }
  let total = 0;
  for (const r of rows) {
    total += r.n;
    byType[r.status_type] += r.n;
    if (r.status_type === 'unknown') {
      byReason[r.unknown_reason ?? 'missing'] += r.n;
      continue;
    }
    const type: StatusType = r.status_type;
    const group = r.non_customer ? nonCustomers : customers;
    group.total += r.n;
    group.byType[type] += r.n;
    if (!r.non_customer && r.trial) customers.trial += r.n;
    if (!r.non_customer && type === 'paying' && r.plan !== null)
      plans.set(r.plan, (plans.get(r.plan) ?? 0) + r.n);
    const status = r.status ?? '';
    const known = statuses.get(status);
    statuses.set(status, {
      status,
      type,
      plan: r.plan,
      trial: r.trial,
      nonCustomer: r.non_customer,
      ...known,
      count: (known?.count ?? 0) + r.n,
    });
  }
  return {
    total,
    byType,
    customers: { ...customers, byPlan: [...plans].map(([plan, count]) => ({ plan, count })) },
    nonCustomers,
    unknown: { total: byType.unknown, byReason },
    statuses: [...statuses.values()],
  };
}
