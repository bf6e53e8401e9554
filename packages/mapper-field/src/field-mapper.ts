import {
  type Catalog,
  defineMapper,
  type Mapper,
  parseMapperConfig,
  type StatusUpdate,
  skip,
} from '@statuskit/core/mapper';
import * as z from 'zod';

export interface FieldMapperConfig {
  /** The field holding the source value: a key (`Customer_Status__c`, a CSV column) or a dotted path (`plan.name`). */
  readonly field: string;
  /** Source value -> statuskit status. `{ "Gold": "Enterprise", "Free Trial": "Trial" }` */
  readonly values: Readonly<Record<string, string>>;
  /** Status for source values with no entry; without it they are skipped as `unmapped-value`. */
  readonly default?: string;
  /** Compare source values ignoring case (and surrounding whitespace). Default false. */
  readonly caseInsensitive?: boolean;
  /** Field with the account id. Default `id`. */
  readonly idField?: string;
  /** Field with when the source saw the value (ISO 8601 or epoch ms); e.g. `SystemModstamp`. */
  readonly observedAtField?: string;
  /** Field with the account's name. */
  readonly nameField?: string;
  /** Fields copied into the update's attributes. */
  readonly attributeFields?: readonly string[];
  /** The update's source. Default `mapper:field`. */
  readonly source?: 'api' | 'sfdc' | 'file' | `mapper:${string}`;
}

export const fieldMapperConfigSchema = z
  .object({
    field: z.string().min(1),
    values: z.record(z.string(), z.string().min(1)),
    default: z.string().min(1).optional(),
    caseInsensitive: z.boolean().optional(),
    idField: z.string().min(1).optional(),
    observedAtField: z.string().min(1).optional(),
    nameField: z.string().min(1).optional(),
    attributeFields: z.array(z.string().min(1)).optional(),
    source: z
      .string()
      .regex(/^(api|sfdc|file|mapper:[a-z0-9@/._-]+)$/)
      .optional(),
  })
  .strict();

/** A record's field by exact key first, then by dotted path. */
export function readField(record: Readonly<Record<string, unknown>>, field: string): unknown {
  if (Object.hasOwn(record, field)) return record[field];
  let v: unknown = record;
  for (const part of field.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const key = (value: string, insensitive: boolean) => (insensitive ? value.trim().toLowerCase() : value);

function toIso(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const d =
    typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
}

export interface Coverage {
  /** Source values the table maps. */
  readonly mapped: readonly { readonly value: string; readonly status: string }[];
  /** Source values with no entry (and no default): these would become skips. */
  readonly unmapped: readonly string[];
  /** Table entries whose status is not in the catalog (they would arrive as Unknown). */
  readonly notInCatalog: readonly { readonly value: string; readonly status: string }[];
}

export interface FieldMapper extends Mapper {
  /** The status a source value maps to, or undefined. */
  lookup(value: string): string | undefined;
  /** Which of the given source values (a picklist's values, a column's distinct values) the table covers. */
  coverage(sourceValues: Iterable<string>, catalog?: Catalog): Coverage;
}

/** A value table on one field of any record: the reference mapper, and the one the connector and CLI use. */
export function fieldMapper(config: FieldMapperConfig): FieldMapper {
  parseMapperConfig(fieldMapperConfigSchema, config, 'field');
  const insensitive = config.caseInsensitive === true;
  const table = new Map<string, string>();
  for (const [from, to] of Object.entries(config.values)) {
    const k = key(from, insensitive);
    const existing = table.get(k);
    if (existing !== undefined && existing !== to) {
      throw new TypeError(
        `values has "${from}" twice (ignoring case) with different statuses: "${existing}" and "${to}"`,
      );
    }
    table.set(k, to);
  }
  const idField = config.idField ?? 'id';
  const lookup = (value: string) => table.get(key(value, insensitive));

  const mapper = defineMapper({
    name: 'field',
    input: z.record(z.string(), z.unknown()),
    map(record) {
      const rawId = readField(record, idField);
      const accountId =
        typeof rawId === 'number' ? String(rawId) : typeof rawId === 'string' ? rawId.trim() : '';
      if (!accountId) return skip('missing-account-id', `no value in "${idField}"`);
      const raw = readField(record, config.field);
      let status: string | undefined;
      if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
        status = config.default;
        if (status === undefined) return skip('missing-value', `"${config.field}" is empty`, accountId);
      } else if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        return skip('invalid-value', `"${config.field}" is not a single value`, accountId);
      } else {
        status = lookup(String(raw)) ?? config.default;
        if (status === undefined) return skip('unmapped-value', String(raw), accountId);
      }
      const update: { -readonly [K in keyof StatusUpdate]: StatusUpdate[K] } = { accountId, status };
      const observedAt = config.observedAtField
        ? toIso(readField(record, config.observedAtField))
        : undefined;
      if (observedAt) update.observedAt = observedAt;
      if (config.nameField) {
        const name = readField(record, config.nameField);
        if (typeof name === 'string' && name !== '') update.name = name;
      }
      if (config.attributeFields?.length) {
        update.attributes = Object.fromEntries(
          config.attributeFields.map((f) => [f, readField(record, f) ?? null]),
        );
      }
      if (config.source) update.source = config.source;
      return update;
    },
  });

  return Object.freeze({
    ...mapper,
    lookup,
    coverage(sourceValues: Iterable<string>, catalog?: Catalog): Coverage {
      const mapped: { value: string; status: string }[] = [];
      const unmapped: string[] = [];
      for (const value of new Set(sourceValues)) {
        const status = lookup(value) ?? config.default;
        if (status === undefined) unmapped.push(value);
        else mapped.push({ value, status });
      }
      const notInCatalog = catalog
        ? Object.entries(config.values)
            .filter(([, s]) => catalog.find(s) === undefined)
            .map(([value, status]) => ({ value, status }))
        : [];
      return { mapped, unmapped, notInCatalog };
    },
  });
}
