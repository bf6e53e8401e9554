import * as z from 'zod';
import { byPlace, crossCheckCatalog, normalizeStatus } from './catalog-checks.js';
import { issuesFromZod, StatuskitValidationError, type ValidationIssue } from './validation-issue.js';

export { normalizeStatus };

export const STATUS_TYPES = ['free', 'paying', 'cancelled'] as const;
/** The type every configured status belongs to. */
export type StatusType = (typeof STATUS_TYPES)[number];

/** A status value or one of its aliases: the same rules for both. */
const spelling = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(200, `${what} must be at most 200 characters`)
    .refine((v) => v.trim() === v, {
      message: `${what} must not start or end with whitespace`,
      params: { code: `${what.replace(/^an? /, '')}_whitespace` },
    });

export const statusDefinitionSchema = z
  .object({
    value: spelling('value'),
    type: z.enum(STATUS_TYPES),
    plan: z.string().trim().min(1, 'plan must not be empty').optional(),
    trial: z.boolean().optional(),
    nonCustomer: z.boolean().optional(),
    description: z.string().optional(),
    /** Other spellings that classify as this status (`Trail`, `Free trial` for `Trial`), by the same matching. */
    aliases: z.array(spelling('an alias')).optional(),
  })
  .strict();

/** One entry of a catalog, as written by a person (JSON, the settings page, `PUT /v1/catalog`). */
export type StatusDefinitionInput = z.input<typeof statusDefinitionSchema>;

const catalogShapeSchema = z
  .object({
    statuses: z.array(statusDefinitionSchema).min(1, 'a catalog needs at least one status'),
    /** `insensitive` (default): `" pro "` matches `Pro`. `exact`: only `Pro` matches `Pro`. */
    matching: z.enum(['insensitive', 'exact']).optional(),
    /** When true, two paying statuses may not claim the same plan. */
    uniquePlans: z.boolean().optional(),
  })
  .strict();

export const catalogInputSchema = catalogShapeSchema.superRefine((catalog, ctx) => {
  for (const i of crossCheckCatalog(catalog))
    ctx.addIssue({ code: 'custom', path: [...i.path], message: i.message, params: { code: i.code } });
});

export type CatalogInput = z.input<typeof catalogInputSchema>;

/** A validated status definition; `plan` is filled in for paying statuses. */
export interface StatusDefinition {
  readonly value: string;
  readonly type: StatusType;
  readonly plan?: string;
  readonly trial?: boolean;
  readonly nonCustomer?: boolean;
  readonly description?: string;
  /** Other spellings that classify as this status; absent when the catalog lists none. */
  readonly aliases?: readonly string[];
}

/** A tenant's validated set of status definitions. `JSON.stringify(catalog)` gives input that `defineCatalog` accepts. */
export interface Catalog {
  readonly statuses: readonly StatusDefinition[];
  readonly matching: 'insensitive' | 'exact';
  readonly uniquePlans: boolean;
  /** Finds the definition a raw status value matches, by the catalog's matching mode. */
  find(rawStatus: string): StatusDefinition | undefined;
  toJSON(): CatalogInput;
}

export type CatalogCheck = { ok: true; catalog: Catalog } | { ok: false; issues: ValidationIssue[] };

/** Validates a catalog without throwing: the settings page, the API and the CLI show `issues` as they are. */
export function checkCatalog(input: unknown): CatalogCheck {
  const parsed = catalogShapeSchema.safeParse(input);
  const issues = [...(parsed.success ? [] : issuesFromZod(parsed.error)), ...crossCheckCatalog(input)];
  if (!parsed.success || issues.length > 0) return { ok: false, issues: issues.sort(byPlace) };
  return { ok: true, catalog: buildCatalog(parsed.data) };
}

/** Validates and freezes a catalog; throws `StatuskitValidationError` listing every bad entry by path. */
export function defineCatalog(input: CatalogInput): Catalog {
  const result = checkCatalog(input);
  if (!result.ok) throw new StatuskitValidationError('catalog', result.issues);
  return result.catalog;
}

function buildCatalog(input: z.output<typeof catalogShapeSchema>): Catalog {
  const matching = input.matching ?? 'insensitive';
  const uniquePlans = input.uniquePlans ?? false;
  const statuses: StatusDefinition[] = input.statuses.map((def) =>
    Object.freeze({
      value: def.value,
      type: def.type,
      ...(def.type === 'paying'
        ? { plan: def.plan ?? def.value }
        : def.plan !== undefined
          ? { plan: def.plan }
          : {}),
      ...(def.trial !== undefined ? { trial: def.trial } : {}),
      ...(def.nonCustomer !== undefined ? { nonCustomer: def.nonCustomer } : {}),
      ...(def.description !== undefined ? { description: def.description } : {}),
      ...(def.aliases !== undefined ? { aliases: Object.freeze([...def.aliases]) } : {}),
    }),
  );
  // Keys: the canonical spelling always; in insensitive mode also the normalized one, so the common
  // case (a value sent exactly as configured) is one lookup with no string work.
  const byKey = new Map<string, StatusDefinition>();
  for (const def of statuses) {
    for (const spelling of [def.value, ...(def.aliases ?? [])]) {
      byKey.set(spelling, def);
      if (matching === 'insensitive') byKey.set(normalizeStatus(spelling), def);
    }
  }
  const find =
    matching === 'exact'
      ? (raw: string) => byKey.get(raw)
      : (raw: string) => byKey.get(raw) ?? byKey.get(normalizeStatus(raw));
  const toJSON = (): CatalogInput => ({
    statuses: input.statuses.map((def) => ({
      ...def,
      ...(def.aliases !== undefined ? { aliases: [...def.aliases] } : {}),
    })),
    ...(input.matching !== undefined ? { matching: input.matching } : {}),
    ...(input.uniquePlans !== undefined ? { uniquePlans: input.uniquePlans } : {}),
  });
  const catalog: Catalog = { statuses: Object.freeze(statuses), matching, uniquePlans, find, toJSON };
  return Object.freeze(catalog);
}

/** The recommended catalog every new tenant starts from. */
export const defaultCatalog: Catalog = defineCatalog({
  statuses: [
    { value: 'Trial', type: 'free', trial: true, description: 'Evaluating the product; not paying yet' },
    {
      value: 'Internal-use',
      type: 'free',
      nonCustomer: true,
      description: 'Demo, sandbox and internal tenants: not customers',
    },
    { value: 'Personal', type: 'paying', description: 'Paying, Personal plan' },
    { value: 'Pro', type: 'paying', description: 'Paying, Pro plan' },
    { value: 'Enterprise', type: 'paying', description: 'Paying, Enterprise plan' },
    { value: 'Cancelled', type: 'cancelled', description: 'Churned: was a customer, no longer is' },
  ],
});
