import type { StatuskitClient } from '@statuskit/client';
import { type Catalog, defineCatalog } from '@statuskit/core';
import type { ConnectorConfig } from './config.js';
import { resolveFields } from './object-fields.js';
import type { SalesforceClient } from './salesforce-client.js';
import { valueTable } from './sync.js';

export interface CheckedValue {
  readonly value: string;
  readonly label: string;
  /** In the field's picklist definition (describe), and whether active there. */
  readonly inDefinition: boolean;
  readonly active: boolean;
  /** Records (within `where`) holding the value. */
  readonly count: number;
  /** The status it maps to, or null (no mapping and no default). */
  readonly status: string | null;
}

export interface CheckReport {
  readonly object: string;
  readonly statusField: { readonly name: string; readonly type: string; readonly picklist: boolean };
  /** Configured fields the object does not have, as the config names them. */
  readonly missingFields: string[];
  /** The picklist definition's values (none for a field that is not a picklist). */
  readonly picklist: CheckedValue[];
  /** The values records hold (within `where`), empty ones aside. */
  readonly inRecords: CheckedValue[];
  /** Records (within `where`) whose status field is empty: they arrive as Unknown (missing). */
  readonly empty: number;
  /** Values records hold that the picklist definition lacks (deleted from it, or set through the API). */
  readonly notInDefinition: { value: string; count: number }[];
  /** Values with no mapping that would be skipped, or arrive as an Unknown the catalog does not know. */
  readonly unmapped: { value: string; label: string }[];
  /** Table entries whose status the catalog lacks (they would arrive as Unknown). */
  readonly notInCatalog: { value: string; status: string }[];
  /** Why the values in records could not be counted, if they could not. */
  readonly recordsError?: string;
  readonly complete: boolean;
}

/**
 * Logs in, describes the object, verifies the configured fields exist (in any case), and checks mapping
 * coverage over both the picklist definition and the values records actually hold (a GROUP BY query within
 * `where`): values with no mapping, values in records that the definition lacks, mappings to statuses the
 * tenant's catalog lacks, and a status field that is not a picklist (any value can appear at any time, so
 * coverage is never complete). Values are API values; labels are shown beside them.
 */
export async function check(
  config: ConnectorConfig,
  salesforce: SalesforceClient,
  statuskit: StatuskitClient | undefined,
): Promise<CheckReport> {
  const describe = await salesforce.describe(config.object);
  const { fields, missing } = resolveFields(config, describe);
  const statusField = describe.fields.find((f) => f.name.toLowerCase() === config.statusField.toLowerCase());
  const picklist = statusField?.type === 'picklist';
  const table = valueTable(config);
  const catalog: Catalog | undefined = statuskit
    ? defineCatalog((await statuskit.getCatalog()).catalog as Parameters<typeof defineCatalog>[0])
    : undefined;

  const counts = new Map<string, number>();
  let empty = 0;
  let recordsError: string | undefined;
  if (statusField) {
    const soql = `SELECT ${statusField.name}, COUNT(Id) FROM ${describe.name}${config.where ? ` WHERE (${config.where})` : ''} GROUP BY ${statusField.name}`;
    try {
      for await (const page of salesforce.query<Record<string, unknown>>(soql))
        for (const group of page) {
          const value = group[statusField.name];
          const n = Number(group.expr0 ?? 0);
          if (value === null || value === undefined || value === '') empty += n;
          else counts.set(String(value), (counts.get(String(value)) ?? 0) + n);
        }
    } catch (error) {
      recordsError = (error as Error).message;
    }
  }
  const status = (value: string) => table.lookup(value) ?? config.default ?? null;
  const definition = (statusField?.picklistValues ?? []).map((p) => ({
    value: p.value,
    label: p.label,
    inDefinition: true,
    active: p.active,
    count: counts.get(p.value) ?? 0,
    status: status(p.value),
  }));
  const defined = new Set(definition.map((d) => d.value));
  const inRecords = [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, count]) => ({
      ...(definition.find((d) => d.value === value) ?? {
        value,
        label: value,
        inDefinition: false,
        active: false,
        status: status(value),
      }),
      count,
    }));
  const notInDefinition = picklist
    ? inRecords.filter((v) => !v.inDefinition).map((v) => ({ value: v.value, count: v.count }))
    : [];
  // A value with no mapping is a gap when it would be skipped, or arrive as a status the catalog lacks.
  const gap = (v: CheckedValue) =>
    v.status === null &&
    (config.unmapped === 'skip' || catalog === undefined || catalog.find(v.value) === undefined);
  const unmapped = [...definition, ...inRecords.filter((v) => !defined.has(v.value))]
    .filter(gap)
    .map((v) => ({ value: v.value, label: v.label }));
  const notInCatalog = [...table.coverage([], catalog).notInCatalog];
  const missingFields = missing.map((m) => m.name);
  return {
    object: describe.name,
    statusField: {
      name: statusField?.name ?? config.statusField,
      type: statusField?.type ?? 'missing',
      picklist,
    },
    missingFields,
    picklist: definition,
    inRecords,
    empty,
    notInDefinition,
    unmapped,
    notInCatalog,
    ...(recordsError !== undefined ? { recordsError } : {}),
    complete:
      fields !== undefined &&
      picklist &&
      recordsError === undefined &&
      unmapped.length === 0 &&
      notInCatalog.length === 0,
  };
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function describeCheck(config: ConnectorConfig, r: CheckReport): string {
  const field = `${r.object}.${r.statusField.name}`;
  const recordsTotal = r.inRecords.reduce((sum, v) => sum + v.count, 0) + r.empty;
  const lines = [
    r.statusField.picklist
      ? `${field} (picklist): ${plural(r.picklist.length, 'value')} defined, ${plural(r.inRecords.length, 'value')} found in ${plural(recordsTotal, 'record')}`
      : `${field} (${r.statusField.type}): ${plural(r.inRecords.length, 'value')} found in ${plural(recordsTotal, 'record')}`,
  ];
  const outcome = (v: CheckedValue) => {
    if (v.status !== null) return v.status;
    if (config.unmapped === 'skip') return 'no mapping: skipped';
    return `no mapping: arrives as ${JSON.stringify(v.value)} (Unknown unless the catalog has it)`;
  };
  const shown = [...r.picklist, ...r.inRecords.filter((v) => !v.inDefinition)];
  for (const v of shown) {
    const notes = [
      ...(v.label !== v.value ? [`label ${JSON.stringify(v.label)}`] : []),
      ...(v.inDefinition && !v.active ? ['inactive'] : []),
      ...(r.statusField.picklist && !v.inDefinition ? ['not in the picklist definition'] : []),
    ];
    lines.push(
      `  ${v.status !== null ? 'ok ' : 'NO '} ${JSON.stringify(v.value)}${notes.length ? ` (${notes.join(', ')})` : ''}: ${plural(v.count, 'record')} -> ${outcome(v)}`,
    );
  }
  if (r.empty > 0) lines.push(`  --  (empty): ${plural(r.empty, 'record')} -> Unknown (missing)`);
  if (r.missingFields.length)
    lines.push(
      `missing fields on ${r.object} (or not readable by the integration user): ${r.missingFields.join(', ')}`,
    );
  if (r.recordsError) lines.push(`could not count the values in records: ${r.recordsError}`);
  if (r.unmapped.length)
    lines.push(
      `${plural(r.unmapped.length, 'value has', 'values have')} no mapping: ${r.unmapped.map((u) => u.value).join(', ')}`,
    );
  if (r.notInDefinition.length)
    lines.push(
      `${plural(r.notInDefinition.length, 'value')} found in records ${r.notInDefinition.length === 1 ? 'is' : 'are'} missing from the picklist definition (deleted from it, or set through the API): ${r.notInDefinition.map((v) => v.value).join(', ')}`,
    );
  if (r.notInCatalog.length)
    lines.push(
      `mapped to statuses not in the catalog (they would be Unknown): ${r.notInCatalog.map((v) => `${v.value} -> ${v.status}`).join(', ')}`,
    );
  if (!r.statusField.picklist && r.statusField.type !== 'missing')
    lines.push(
      `${r.statusField.name} is a ${r.statusField.type} field, not a picklist: any value can appear at any time, so coverage is never complete (the values above are those in records today)`,
    );
  lines.push(r.complete ? 'coverage complete' : 'coverage incomplete');
  return lines.join('\n');
}
