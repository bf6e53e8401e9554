/**
 * The records of a list object as billing APIs return them, so a saved API answer can be mapped as it is:
 * Stripe's list and search results (`{ "object": "list", "data": [...], "has_more": ... }`) and Chargebee's
 * list pages (`{ "list": [...], "next_offset": ... }`). Anything else is one record (a webhook body).
 */
export interface ListedRecord {
  readonly record: unknown;
  /** Where in its list the record sits (` data[3]`), or empty for a record that is not in a list. */
  readonly at: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Stripe: `object` is `list` or `search_result`, and `data` an array. */
const isStripeList = (v: Record<string, unknown>) =>
  (v.object === 'list' || v.object === 'search_result') && Array.isArray(v.data);

/** Chargebee: `list` an array, and no other key but `next_offset`. */
const isChargebeePage = (v: Record<string, unknown>) =>
  Array.isArray(v.list) && Object.keys(v).every((k) => k === 'list' || k === 'next_offset');

export function recordsOf(value: unknown): ListedRecord[] {
  if (isObject(value)) {
    const key = isStripeList(value) ? 'data' : isChargebeePage(value) ? 'list' : undefined;
    if (key) return (value[key] as unknown[]).map((record, i) => ({ record, at: ` ${key}[${i}]` }));
  }
  return [{ record: value, at: '' }];
}
