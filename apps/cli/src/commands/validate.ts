import { existsSync, writeFileSync } from 'node:fs';
import { checkCatalog, defaultCatalog, validateRules } from '@statuskit/core';
import { CliError, EXIT } from '../cli-error.js';
import { CONFIG_FILE, issueLines, readJson } from '../config.js';
import { count } from '../words.js';

/** `catalog validate [file]`: a catalog file, or the `catalog` of a config file. */
export function catalogValidateCommand(file: string | undefined): number {
  const path = file ?? CONFIG_FILE;
  const json = readJson(path, 'catalog');
  const input =
    json !== null && typeof json === 'object' && !Array.isArray(json) && 'catalog' in json
      ? (json as { catalog: unknown }).catalog
      : json;
  const checked = checkCatalog(input);
  if (!checked.ok) {
    process.stderr.write(`${path}: the catalog is not valid:\n${issueLines(checked.issues)}\n`);
    return EXIT.badRecords;
  }
  const byType = (t: string) =>
    checked.catalog.statuses
      .filter((s) => s.type === t)
      .map((s) => (s.aliases?.length ? `${s.value} (also ${s.aliases.join(', ')})` : s.value))
      .join(', ') || '-';
  process.stdout.write(
    `${path}: ${count(checked.catalog.statuses.length, 'status', 'statuses')}. free: ${byType('free')}; paying: ${byType('paying')}; cancelled: ${byType('cancelled')}\n`,
  );
  return EXIT.ok;
}

/** `rules validate [file]`: a rules file (an array), or the `rules` of a config file. */
export function rulesValidateCommand(file: string | undefined): number {
  const path = file ?? CONFIG_FILE;
  const json = readJson(path, 'rules');
  const input =
    json !== null && typeof json === 'object' && !Array.isArray(json) && 'rules' in json
      ? (json as { rules: unknown }).rules
      : json;
  const checked = validateRules(input);
  for (const w of checked.warnings) process.stderr.write(`${path}: warning: ${w.at}: ${w.message}\n`);
  if (!checked.ok) {
    process.stderr.write(`${path}: the rules are not valid:\n${issueLines(checked.errors)}\n`);
    return EXIT.badRecords;
  }
  process.stdout.write(
    `${path}: ${count(checked.rules.length, 'rule')}, valid${checked.warnings.length ? ` (${count(checked.warnings.length, 'warning')})` : ''}\n`,
  );
  return EXIT.ok;
}

export function initCommand(options: { force?: boolean }): number {
  if (existsSync(CONFIG_FILE) && !options.force)
    throw new CliError(`${CONFIG_FILE} exists already (use --force to replace it)`);
  const config = {
    catalog: defaultCatalog.toJSON(),
    rules: [],
    fields: { id: 'id', status: 'status', name: 'name', observedAt: 'statusObservedAt' },
  };
  writeFileSync(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
  process.stdout.write(
    `wrote ${CONFIG_FILE}: the default catalog (${defaultCatalog.statuses.map((s) => s.value).join(', ')}), no rules, and the field names of your files.\n` +
      'Next: edit the catalog and field names, then run `statuskit report accounts.csv` to see who is paying, on trial, churned or Unknown.\n',
  );
  return EXIT.ok;
}
