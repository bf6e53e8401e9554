import { issue, type ValidationIssue } from './validation-issue.js';

/** The key statuses are compared by: case and surrounding whitespace ignored. */
export function normalizeStatus(value: string): string {
  return value.trim().toLowerCase();
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
/** A spelling the shape check accepts (anything else is reported there, not compared here). */
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' && v.trim() === v && v.length <= 200 ? v : undefined;

/** The index that claimed `key` first; undefined when `index` is the first, which then claims it. */
function claim<K>(owners: Map<K, number>, key: K, index: number): number | undefined {
  const first = owners.get(key);
  if (first === undefined) owners.set(key, index);
  return first;
}

/**
 * The checks that compare statuses with each other (values and aliases unique, plans unique when asked)
 * and each status's type with its flags. They read the raw input and skip whatever the shape check already
 * refuses, so one save reports every problem, not the shape's first and the rest next time.
 */
export function crossCheckCatalog(input: unknown): ValidationIssue[] {
  const found: ValidationIssue[] = [];
  if (!isRecord(input) || !Array.isArray(input.statuses)) return found;
  const statuses = input.statuses.map((s) => (isRecord(s) ? s : {}));
  const exact = input.matching === 'exact';
  const valueOwner = new Map<string, number>();
  statuses.forEach((def, index) => {
    const value = text(def.value);
    if (value === undefined) return;
    const first = claim(valueOwner, normalizeStatus(value), index);
    if (first !== undefined)
      found.push(
        issue(
          ['statuses', index, 'value'],
          'duplicate_value',
          `duplicate status "${value}": statuses[${first}] is "${String(statuses[first]?.value)}" (values are compared ignoring case and surrounding whitespace)`,
        ),
      );
  });
  // Values first: an alias never takes a spelling from a value, whichever status comes first.
  const aliasOwner = new Map<string, { index: number; alias: number }>();
  statuses.forEach((def, index) => {
    if (!Array.isArray(def.aliases)) return;
    const value = text(def.value);
    def.aliases.forEach((raw: unknown, a) => {
      const alias = text(raw);
      if (alias === undefined) return;
      const path = ['statuses', index, 'aliases', a];
      const key = normalizeStatus(alias);
      const same = (other: string) => (exact ? other === alias : normalizeStatus(other) === key);
      if (value !== undefined && same(value)) {
        found.push(
          issue(
            path,
            'alias_is_value',
            `alias "${alias}" is already this status's value "${value}"${exact ? '' : ' (matching ignores case and surrounding whitespace)'}`,
          ),
        );
        return;
      }
      const holder = valueOwner.get(key);
      if (holder !== undefined && holder !== index) {
        found.push(
          issue(
            path,
            'alias_taken',
            `alias "${alias}" is the value of statuses[${holder}] ("${String(statuses[holder]?.value)}"); a spelling can belong to one status only`,
          ),
        );
        return;
      }
      const earlier = aliasOwner.get(key);
      if (earlier !== undefined && earlier.index !== index) {
        found.push(
          issue(
            path,
            'alias_taken',
            `alias "${alias}" is already an alias of statuses[${earlier.index}] ("${String(statuses[earlier.index]?.value)}"), at statuses[${earlier.index}].aliases[${earlier.alias}]; a spelling can belong to one status only`,
          ),
        );
        return;
      }
      if (earlier !== undefined) {
        const before = (def.aliases as unknown[]).slice(0, a).some((b) => typeof b === 'string' && same(b));
        if (before) {
          found.push(issue(path, 'alias_repeated', `alias "${alias}" is listed twice for this status`));
          return;
        }
      }
      if (earlier === undefined) aliasOwner.set(key, { index, alias: a });
    });
  });
  const plans = new Map<string, number>();
  statuses.forEach((def, index) => {
    const value = typeof def.value === 'string' ? def.value : '';
    if (def.trial === true && (def.type === 'paying' || def.type === 'cancelled'))
      found.push(
        issue(
          ['statuses', index, 'trial'],
          'trial_not_free',
          `trial is only allowed on free statuses ("${value}" is ${def.type})`,
        ),
      );
    if (def.plan !== undefined && def.type === 'cancelled')
      found.push(
        issue(
          ['statuses', index, 'plan'],
          'plan_on_cancelled',
          `a cancelled status has no plan ("${value}")`,
        ),
      );
    if (input.uniquePlans === true && def.type === 'paying') {
      const plan =
        (typeof def.plan === 'string' && def.plan.trim() !== '' ? def.plan.trim() : undefined) ??
        text(def.value);
      if (plan === undefined) return;
      const owner = claim(plans, plan, index);
      if (owner !== undefined)
        found.push(
          issue(
            ['statuses', index, 'plan'],
            'plan_taken',
            `plan "${plan}" is already claimed by statuses[${owner}] ("${String(statuses[owner]?.value)}") and this catalog has uniquePlans`,
          ),
        );
    }
  });
  return found;
}

const FIELD_ORDER = ['value', 'aliases', 'type', 'plan', 'trial', 'nonCustomer', 'description'];

/** Statuses in order, and within one status the fields in the order a person reads them. */
export function byPlace(a: ValidationIssue, b: ValidationIssue): number {
  const place = (i: ValidationIssue) => {
    if (i.path[0] !== 'statuses' || typeof i.path[1] !== 'number') return [-1, 0, 0];
    const field = FIELD_ORDER.indexOf(String(i.path[2]));
    return [
      i.path[1],
      field === -1 ? (i.path.length > 2 ? FIELD_ORDER.length : -1) : field,
      typeof i.path[3] === 'number' ? i.path[3] : 0,
    ];
  };
  const [pa, pb] = [place(a), place(b)];
  for (let k = 0; k < pa.length; k++) if (pa[k] !== pb[k]) return (pa[k] as number) - (pb[k] as number);
  return 0;
}
