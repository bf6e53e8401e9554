import type { Catalog, StatusType, UnknownReason } from '@statuskit/core';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { rawStatusCounts } from './status-counts.js';

type TypeCounts = Record<StatusType, number>;

/** One catalog status with its accounts. */
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
  /** Every catalog status in catalog order (0 when no account has it). */
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
  for (const { accounts: n, classification: c } of await rawStatusCounts(db, tenantId, catalog)) {
    total += n;
    byType[c.statusType] += n;
    if (c.statusType === 'unknown') {
      byReason[c.unknownReason] += n;
      continue;
    }
    const group = c.nonCustomer ? nonCustomers : customers;
    group.total += n;
    group.byType[c.statusType] += n;
    if (!c.nonCustomer && c.trial) customers.trial += n;
    if (!c.nonCustomer && c.statusType === 'paying' && c.plan !== undefined)
      plans.set(c.plan, (plans.get(c.plan) ?? 0) + n);
    // A known class is always one of the catalog's statuses (classified with this catalog).
    const status = statuses.get(c.status);
    if (status) statuses.set(c.status, { ...status, count: status.count + n });
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
