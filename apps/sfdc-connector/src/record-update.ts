import type { StatusUpdateInput } from '@statuskit/client';
import type { ObjectFields } from './object-fields.js';
import { toId18 } from './salesforce-id.js';

/** The longest status the statuskit API accepts. */
export const MAX_STATUS_LENGTH = 200;

export interface UpdatePlan {
  readonly fields: ObjectFields;
  /** The status a Salesforce value maps to (the config's `values`, through mapper-field), if any. */
  readonly lookup: (value: string) => string | undefined;
  readonly default: string | undefined;
  readonly unmapped: 'raw' | 'skip';
}

export type RecordUpdate = { readonly update: StatusUpdateInput } | { readonly skip: string };

/**
 * One typed record (see typedRecord) as a status update: the 18-character id when the id field holds
 * Salesforce ids, the mapped status (a value with no mapping as it is, or the default, or a skip; an empty
 * value as null, so the account becomes Unknown), observedAt = SystemModstamp, the name, and the attributes
 * typed. `status` overrides the field (a deleted record's `deletedStatus`).
 */
export function recordUpdate(
  record: Readonly<Record<string, unknown>>,
  plan: UpdatePlan,
  status?: string,
): RecordUpdate {
  const { fields } = plan;
  const rawId = record[fields.id.name];
  if (rawId === null || rawId === undefined || String(rawId).trim() === '')
    return { skip: 'missing-account-id' };
  let accountId = String(rawId).trim();
  if (fields.id.type === 'id' || fields.id.type === 'reference') {
    try {
      accountId = toId18(accountId);
    } catch {
      return { skip: 'invalid-id' };
    }
  }
  let value: string | null;
  if (status !== undefined) value = status;
  else {
    const raw = record[fields.status.name];
    if (raw === null || raw === undefined) value = null;
    else if (typeof raw === 'object') return { skip: 'invalid-value' };
    else {
      const text = String(raw);
      const mapped = plan.lookup(text) ?? plan.default;
      if (mapped === undefined && plan.unmapped === 'skip') return { skip: 'unmapped-value' };
      value = mapped ?? text;
    }
  }
  if (value !== null && value.length > MAX_STATUS_LENGTH) return { skip: 'value-too-long' };
  const update: { -readonly [K in keyof StatusUpdateInput]: StatusUpdateInput[K] } = {
    accountId,
    status: value,
    observedAt: record[fields.modstamp.name] as string,
    source: 'sfdc',
  };
  const name = fields.name ? record[fields.name.name] : undefined;
  if (typeof name === 'string' && name !== '') update.name = name;
  if (fields.attributes.length > 0)
    update.attributes = Object.fromEntries(fields.attributes.map((f) => [f.name, record[f.name] ?? null]));
  return { update };
}
