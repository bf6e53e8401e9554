import type { StatuskitClient } from '@statuskit/client';
import { defineCatalog } from '@statuskit/core';
import type { ConnectorConfig } from './config.js';
import type { SalesforceClient } from './salesforce-client.js';
import { mapperFor, queryFields } from './sync.js';

export interface CheckReport {
  readonly missingFields: string[];
  readonly picklist: { value: string; label: string; active: boolean; status: string | null }[];
  readonly unmapped: { value: string; label: string }[];
  readonly notInCatalog: { value: string; status: string }[];
  readonly complete: boolean;
}

/**
 * Logs in, describes the object, verifies the configured fields exist, and checks mapping coverage:
 * picklist values with no mapping (they would be skipped) and mappings to statuses the tenant's catalog
 * lacks (they would arrive as Unknown). Values are API values; labels are shown beside them.
 */
export async function check(
  config: ConnectorConfig,
  salesforce: SalesforceClient,
  statuskit: StatuskitClient | undefined,
): Promise<CheckReport> {
  const describe = await salesforce.describe(config.object);
  const fields = new Map(describe.fields.map((f) => [f.name, f]));
  const missingFields = queryFields(config).filter((f) => !fields.has(f));
  const statusField = fields.get(config.statusField);
  const values = (statusField?.picklistValues ?? []).map((p) => ({
    value: p.value,
    label: p.label,
    active: p.active,
  }));
  const mapper = mapperFor(config);
  const catalog = statuskit
    ? defineCatalog((await statuskit.getCatalog()).catalog as Parameters<typeof defineCatalog>[0])
    : undefined;
  const coverage = mapper.coverage(
    values.map((v) => v.value),
    catalog,
  );
  const unmapped = coverage.unmapped.map((value) => ({
    value,
    label: values.find((v) => v.value === value)?.label ?? value,
  }));
  return {
    missingFields,
    picklist: values.map((v) => ({ ...v, status: mapper.lookup(v.value) ?? config.default ?? null })),
    unmapped,
    notInCatalog: [...coverage.notInCatalog],
    complete: missingFields.length === 0 && unmapped.length === 0 && coverage.notInCatalog.length === 0,
  };
}

export function describeCheck(config: ConnectorConfig, r: CheckReport): string {
  const lines = [`${config.object}.${config.statusField}: ${r.picklist.length} picklist values`];
  for (const p of r.picklist)
    lines.push(
      `  ${p.status ? 'ok ' : 'NO '} ${JSON.stringify(p.value)}${p.label !== p.value ? ` (label ${JSON.stringify(p.label)})` : ''}${p.active ? '' : ' [inactive]'} -> ${p.status ?? 'no mapping: skipped'}`,
    );
  if (r.missingFields.length) lines.push(`missing fields on ${config.object}: ${r.missingFields.join(', ')}`);
  if (r.unmapped.length)
    lines.push(
      `${r.unmapped.length} picklist values have no mapping: ${r.unmapped.map((u) => u.value).join(', ')}`,
    );
  if (r.notInCatalog.length)
    lines.push(
      `mapped to statuses not in the catalog (they would be Unknown): ${r.notInCatalog.map((n) => `${n.value} -> ${n.status}`).join(', ')}`,
    );
  lines.push(r.complete ? 'coverage complete' : 'coverage incomplete');
  return lines.join('\n');
}
