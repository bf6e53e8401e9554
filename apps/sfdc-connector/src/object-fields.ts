import type { ConnectorConfig } from './config.js';
import { ConfigError } from './config.js';
import type { DescribedField, ObjectDescribe } from './salesforce-client.js';

/**
 * The config's fields as Salesforce names them. Field names are case-insensitive in SOQL and canonical in
 * answers (REST JSON keys, describe), so every name in the config is mapped to its canonical spelling through
 * the object's describe before a query is written, and values are typed by the field's describe type.
 */
export interface ObjectFields {
  /** The object's canonical name. */
  readonly object: string;
  readonly id: DescribedField;
  readonly status: DescribedField;
  readonly name: DescribedField | undefined;
  readonly attributes: DescribedField[];
  readonly modstamp: DescribedField;
  readonly deleted: DescribedField;
  /** Every field a sync selects, each once, in a fixed order. */
  readonly select: DescribedField[];
}

export interface MissingField {
  /** Where the config names it (`attributeFields[1]`), or `(connector)` for a field the connector needs. */
  readonly key: string;
  readonly name: string;
}

/** Maps the config's field names to the object's fields; lists the names the object does not have. */
export function resolveFields(
  config: ConnectorConfig,
  describe: ObjectDescribe,
): { fields: ObjectFields | undefined; missing: MissingField[] } {
  const byName = new Map(describe.fields.map((f) => [f.name.toLowerCase(), f]));
  const missing: MissingField[] = [];
  const find = (key: string, name: string) => {
    const field = byName.get(name.toLowerCase());
    if (!field) missing.push({ key, name });
    return field;
  };
  const id = find('idField', config.idField);
  const status = find('statusField', config.statusField);
  const name = config.nameField === undefined ? undefined : find('nameField', config.nameField);
  const attributes = config.attributeFields.map((f, i) => find(`attributeFields[${i}]`, f));
  const modstamp = find('(connector)', 'SystemModstamp');
  const deleted = find('(connector)', 'IsDeleted');
  if (missing.length > 0 || !id || !status || !modstamp || !deleted) return { fields: undefined, missing };
  const present = attributes.filter((f): f is DescribedField => f !== undefined);
  const select = [...new Set([id, status, modstamp, deleted, ...(name ? [name] : []), ...present])];
  return {
    fields: { object: describe.name, id, status, name, attributes: present, modstamp, deleted, select },
    missing,
  };
}

/** resolveFields for a sync: a missing field is a config error naming the key and the object. */
export function requireFields(config: ConnectorConfig, describe: ObjectDescribe): ObjectFields {
  const { fields, missing } = resolveFields(config, describe);
  if (!fields)
    throw new ConfigError(
      missing.map((m) => `${m.key}: ${describe.name} has no field "${m.name}"`).join('; ') +
        ' (or the integration user cannot read it: check field-level security)',
    );
  return fields;
}

const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent', 'long']);

/**
 * A value typed as the field's describe type says, whichever API sent it: REST JSON (numbers, booleans,
 * null) or Bulk API 2.0 CSV (every value a string, null an empty one). Numbers and booleans become numbers
 * and booleans, datetimes ISO 8601 in UTC (`2027-01-01T00:00:00.000Z`), dates `YYYY-MM-DD`, anything empty
 * null, and the rest (text, picklists, ids) strings.
 */
export function typeValue(field: DescribedField, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') return value;
  if (NUMBER_TYPES.has(field.type)) {
    const n = Number(value);
    return Number.isNaN(n) ? value : n;
  }
  if (field.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (field.type === 'datetime') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : new Date(t).toISOString();
  }
  return value;
}

/** A record with the selected fields under their canonical names, typed. */
export function typedRecord(
  raw: Readonly<Record<string, unknown>>,
  fields: ObjectFields,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields.select) {
    let value = raw[f.name];
    if (value === undefined) {
      const key = Object.keys(raw).find((k) => k.toLowerCase() === f.name.toLowerCase());
      value = key === undefined ? undefined : raw[key];
    }
    out[f.name] = typeValue(f, value);
  }
  return out;
}
