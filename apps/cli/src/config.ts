import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type Catalog,
  type CompiledEvaluator,
  checkCatalog,
  compileRules,
  defaultCatalog,
  type EligibilityRule,
  type ValidationIssue,
  validateRules,
} from '@statuskit/core';
import { CliError, EXIT } from './cli-error.js';
import type { RequiredColumn } from './columns.js';

export const CONFIG_FILE = 'statuskit.config.json';

export interface FieldNames {
  readonly id: string;
  readonly status: string;
  readonly name?: string;
  readonly observedAt?: string;
}

export interface LoadedConfig {
  readonly catalog: Catalog;
  readonly rules: EligibilityRule[];
  readonly evaluator: CompiledEvaluator;
  readonly fields: FieldNames;
  /** The columns a CSV input must have: the status column always, the id column when it was named. */
  readonly columns: readonly RequiredColumn[];
  readonly path: string | undefined;
}

export function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new CliError(`no such ${what} file: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

export const issueLines = (issues: readonly ValidationIssue[]) =>
  issues.map((i) => `  ${i.at}: ${i.message}`).join('\n');

/** A value that is either inline JSON or a path (relative to the config file) to a JSON file. */
function inlineOrFile(value: unknown, base: string, what: string): unknown {
  return typeof value === 'string' ? readJson(resolve(base, value), what) : value;
}

export function parseCatalog(input: unknown, where: string): Catalog {
  const checked = checkCatalog(input);
  if (!checked.ok)
    throw new CliError(`invalid catalog in ${where}:\n${issueLines(checked.issues)}`, EXIT.badRecords);
  return checked.catalog;
}

export function parseRulesOrFail(input: unknown, where: string): EligibilityRule[] {
  const checked = validateRules(input);
  for (const w of checked.warnings) process.stderr.write(`warning: ${where} ${w.at}: ${w.message}\n`);
  if (!checked.ok)
    throw new CliError(`invalid rules in ${where}:\n${issueLines(checked.errors)}`, EXIT.badRecords);
  return checked.rules;
}

/** Loads `--config` (or ./statuskit.config.json when present); defaults: the default catalog, no rules. */
export function loadConfig(options: {
  config?: string;
  idField?: string;
  statusField?: string;
  rules?: string;
}): LoadedConfig {
  const path = options.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const raw = path ? readJson(path, 'config') : {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CliError(`config ${path} must be a JSON object`);
  const c = raw as { catalog?: unknown; rules?: unknown; fields?: Partial<FieldNames> };
  const base = path ? dirname(resolve(path)) : process.cwd();
  const catalog =
    c.catalog === undefined
      ? defaultCatalog
      : parseCatalog(inlineOrFile(c.catalog, base, 'catalog'), path ?? 'config');
  const rulesInput = options.rules
    ? readJson(options.rules, 'rules')
    : c.rules === undefined
      ? []
      : inlineOrFile(c.rules, base, 'rules');
  const rules = parseRulesOrFail(rulesInput, options.rules ?? path ?? 'config');
  const fields: FieldNames = {
    id: options.idField ?? c.fields?.id ?? 'id',
    status: options.statusField ?? c.fields?.status ?? 'status',
    ...(c.fields?.name ? { name: c.fields.name } : {}),
    ...(c.fields?.observedAt ? { observedAt: c.fields.observedAt } : {}),
  };
  const named = (flag: string, key: 'id' | 'status') =>
    (key === 'id' ? options.idField : options.statusField) !== undefined
      ? flag
      : c.fields?.[key] !== undefined
        ? `fields.${key} in ${path}`
        : `the default; set ${flag}`;
  const columns: RequiredColumn[] = [{ name: fields.status, from: named('--status-field', 'status') }];
  if (options.idField !== undefined || c.fields?.id !== undefined)
    columns.push({ name: fields.id, from: named('--id-field', 'id') });
  return { catalog, rules, evaluator: compileRules(rules), fields, columns, path };
}
