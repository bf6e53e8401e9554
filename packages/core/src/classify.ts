import { match } from 'ts-pattern';
import type { Catalog, StatusDefinition, StatusType } from './catalog.js';

/** Why an account is Unknown. */
export type UnknownReason = 'missing' | 'empty' | 'not-in-catalog' | 'not-a-string';
/** A status-type, plus `unknown` for accounts whose status is missing, empty or not configured. */
export type ClassifiedType = StatusType | 'unknown';

/** An account as core sees it. Only `status` matters to classification. */
export interface Account {
  readonly id: string;
  readonly name?: string | undefined;
  /** The raw value from the source. Anything may arrive here; classification never throws on it. */
  readonly status?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
  /** When the source saw the current status (ISO 8601 string, Date, or epoch ms). Feeds `daysInStatus`. */
  readonly statusObservedAt?: string | Date | number | undefined;
}

export interface KnownClassification {
  readonly statusType: StatusType;
  /** The catalog's canonical spelling (`"Pro"` for a raw `" pro "`). */
  readonly status: string;
  readonly rawStatus: string;
  readonly plan: string | undefined;
  readonly trial: boolean;
  readonly nonCustomer: boolean;
  readonly unknownReason?: undefined;
}

export interface UnknownClassification {
  readonly statusType: 'unknown';
  readonly status: undefined;
  readonly rawStatus: unknown;
  readonly plan: undefined;
  readonly trial: false;
  readonly nonCustomer: false;
  readonly unknownReason: UnknownReason;
}

export type Classification = KnownClassification | UnknownClassification;

const CACHE_LIMIT = 10_000;
const caches = new WeakMap<Catalog, Map<string, Classification>>();
// Batch work classifies millions of accounts against one catalog: remember the last one looked up.
let lastCatalog: Catalog | undefined;
let lastCache: Map<string, Classification> = new Map();

function unknown(reason: UnknownReason, rawStatus: unknown): UnknownClassification {
  return Object.freeze({
    statusType: 'unknown',
    status: undefined,
    rawStatus,
    plan: undefined,
    trial: false,
    nonCustomer: false,
    unknownReason: reason,
  });
}

const MISSING_UNDEFINED = unknown('missing', undefined);
const MISSING_NULL = unknown('missing', null);

function known(def: StatusDefinition, rawStatus: string): KnownClassification {
  return Object.freeze({
    statusType: def.type,
    status: def.value,
    rawStatus,
    plan: def.plan,
    trial: def.trial === true,
    nonCustomer: def.nonCustomer === true,
  });
}

function classifyString(raw: string, catalog: Catalog): Classification {
  if (raw.trim() === '') return unknown('empty', raw);
  const def = catalog.find(raw);
  return def ? known(def, raw) : unknown('not-in-catalog', raw);
}

/**
 * Classifies one status value (the raw value of `account.status`) against a catalog. Pure, synchronous,
 * never throws. Results are immutable and shared between equal raw values.
 */
export function classifyStatus(rawStatus: unknown, catalog: Catalog): Classification {
  if (typeof rawStatus !== 'string') {
    if (rawStatus === undefined) return MISSING_UNDEFINED;
    if (rawStatus === null) return MISSING_NULL;
    return unknown('not-a-string', rawStatus);
  }
  let cache: Map<string, Classification> | undefined;
  if (catalog === lastCatalog) cache = lastCache;
  else {
    cache = caches.get(catalog);
    if (cache === undefined) {
      cache = new Map();
      caches.set(catalog, cache);
    }
    lastCatalog = catalog;
    lastCache = cache;
  }
  const hit = cache.get(rawStatus);
  if (hit !== undefined) return hit;
  const result = classifyString(rawStatus, catalog);
  if (cache.size < CACHE_LIMIT) cache.set(rawStatus, result);
  return result;
}

/** Classifies an account: its status-type, canonical status, plan, flags, and why it is Unknown if it is. */
export function classify(account: Pick<Account, 'status'>, catalog: Catalog): Classification {
  return classifyStatus(account.status, catalog);
}

/** Human wording of a classification, handled exhaustively for every type. */
export function describeClassification(c: Classification): string {
  return match(c)
    .with({ statusType: 'unknown' }, (u) => `Unknown (${u.unknownReason})`)
    .with({ statusType: 'free', trial: true }, (k) => `${k.status}: free trial`)
    .with({ statusType: 'free', nonCustomer: true }, (k) => `${k.status}: not a customer`)
    .with({ statusType: 'free' }, (k) => `${k.status}: free`)
    .with({ statusType: 'paying' }, (k) => `${k.status}: paying, plan ${k.plan}`)
    .with({ statusType: 'cancelled' }, (k) => `${k.status}: cancelled`)
    .exhaustive();
}
