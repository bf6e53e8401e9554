// Everything a client sends, as zod schemas built on the limits of @statuskit/core (INPUT_LIMITS): what these
// accept, the store can store. The store checks the same limits again for code that uses it directly.
import { z } from '@hono/zod-openapi';
import {
  ATTRIBUTES_LIMITS,
  CONNECTOR_STATE_LIMITS,
  DOCUMENT_LIMITS,
  INPUT_LIMITS,
  type JsonLimits,
  jsonProblems,
  textProblem,
  timestampProblem,
} from '@statuskit/core';
import { TENANT_ID_PATTERN } from '@statuskit/store';

type Ctx = z.RefinementCtx;

const addIssues = (
  ctx: Ctx,
  issues: readonly { path: readonly (string | number)[]; code: string; message: string }[],
) => {
  for (const i of issues)
    ctx.addIssue({ code: 'custom', message: i.message, path: [...i.path], params: { code: i.code } });
};

/** Text PostgreSQL can store (no NUL, no unpaired surrogate), at most `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      const p = textProblem(value);
      if (p) addIssues(ctx, [{ path: [], ...p }]);
    });

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A JSON object kept exactly as sent (a key named `__proto__` included: zod's record would drop it),
 * within `limits` of depth and size, with storable text in every key and value and finite numbers.
 */
export const jsonObject = (limits: JsonLimits, description: string) =>
  z
    .custom<Record<string, unknown>>(isObject, { message: 'must be a JSON object' })
    .superRefine((value, ctx) => addIssues(ctx, jsonProblems(value, limits)))
    .openapi({
      type: 'object',
      additionalProperties: true,
      description: `${description} At most ${limits.maxDepth} levels deep and ${limits.maxBytes} bytes of JSON.`,
    });

/** A JSON document (rules, catalog) within the document limits, whatever else its schema says. */
export const document = <T extends z.ZodType>(schema: T) =>
  schema.superRefine((value, ctx) => addIssues(ctx, jsonProblems(value, DOCUMENT_LIMITS)));

/** ISO 8601 with an offset, in years 1..9999 once the offset is applied. */
export const timestamp = z.iso
  .datetime({ offset: true })
  .superRefine((value, ctx) => {
    // Not a date at all is the format check's to say.
    const p = timestampProblem(value);
    if (p && p.code !== 'invalid_date') addIssues(ctx, [{ path: [], ...p }]);
  })
  .openapi({ example: '2026-11-25T10:00:00Z' });

/** A UTC day, YYYY-MM-DD, that exists (no 2026-02-30), in years 1..9999. */
export const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day is YYYY-MM-DD')
  .superRefine((value, ctx) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return; // the format check's to say
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
      addIssues(ctx, [{ path: [], code: 'invalid_date', message: `${value} is not a day of the calendar` }]);
    else {
      const p = timestampProblem(d);
      if (p) addIssues(ctx, [{ path: [], ...p }]);
    }
  });

/** Page cursors are account ids. */
export const cursor = text(INPUT_LIMITS.accountIdLength).optional();
export const limit = z.coerce.number().int().min(1).max(1000).default(100);

export const AccountIdSchema = text(INPUT_LIMITS.accountIdLength)
  .min(1)
  .openapi({ example: '0015g00000XyZabAAB' });

export const SourceSchema = z
  .string()
  .regex(/^(api|sfdc|file|mapper:[a-z0-9@/._-]+)$/, 'source is api, sfdc, file or mapper:<name>')
  .openapi({ example: 'api' });

const statusFields = {
  /** The raw value from the source of truth; values not in the catalog are stored and reported as Unknown. null clears it. */
  status: text(INPUT_LIMITS.statusLength).nullable().openapi({ example: 'Pro' }),
  observedAt: timestamp.optional(),
  source: SourceSchema.optional(),
  name: text(INPUT_LIMITS.accountNameLength).optional(),
  attributes: jsonObject(ATTRIBUTES_LIMITS, 'Free-form attributes rules can read.').optional(),
};

export const StatusUpdateBodySchema = z.object(statusFields).strict().openapi('StatusUpdateBody');
export const BatchUpdateSchema = z
  .object({ accountId: AccountIdSchema, ...statusFields })
  .strict()
  .openapi('BatchStatusUpdate');
export const MAX_BATCH = 10_000;
export const BatchBodySchema = z
  .object({ updates: z.array(BatchUpdateSchema).min(1).max(MAX_BATCH) })
  .strict()
  .openapi('StatusBatch');

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Catalog bodies are checked by core (`checkCatalog`), which reports every problem with its path. */
export const CatalogBodySchema = document(
  z
    .object({
      statuses: z.array(z.unknown()),
      matching: z.unknown().optional(),
      uniquePlans: z.unknown().optional(),
    })
    .passthrough(),
).openapi('CatalogInput', {
  description: 'statuses: StatusDefinition[]; matching: insensitive | exact; uniquePlans: boolean',
});

export const RulesBodySchema = document(z.array(z.unknown())).openapi('Rules', {
  description: 'json-rules-engine rules with include/exclude events',
});

/** `If-Match` on the catalog and the rules: the ETag of the version the writer read (or `*`). */
export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(
      /^\s*(\*|(W\/)?"[\x21\x23-\x7e]*"(\s*,\s*(W\/)?"[\x21\x23-\x7e]*")*)\s*$/,
      'If-Match is `*` or a list of entity tags such as "3"',
    )
    .optional()
    .openapi({ description: 'The ETag of the version read (`"3"`); a save over another version is a 412.' }),
});

export const TenantBodySchema = z
  .object({
    id: z.string().regex(TENANT_ID_PATTERN).optional(),
    name: text(INPUT_LIMITS.tenantNameLength).min(1),
  })
  .strict();

export const ApiKeyBodySchema = z.object({ name: text(INPUT_LIMITS.apiKeyNameLength).default('') }).strict();

export const ConnectorStateSchema = jsonObject(CONNECTOR_STATE_LIMITS, "A connector's saved state.").openapi(
  'ConnectorState',
);
export const ConnectorParams = z.object({ connector: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/) });
export const RunParams = z.object({ runId: z.string().regex(/^hr_[0-9a-z]+$/) });
export const KeyParams = z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/) });
