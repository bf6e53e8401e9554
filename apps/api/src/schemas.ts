import { z } from '@hono/zod-openapi';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.array(z.union([z.string(), z.number()])),
          at: z.string(),
          message: z.string(),
          code: z.string(),
        }),
      )
      .optional(),
  })
  .openapi('Problem');

export const UpdateResultSchema = z
  .object({
    accountId: z.string(),
    outcome: z.enum(['created', 'changed', 'unchanged', 'stale']),
    status: z.string().nullable(),
    statusType: z.enum(['free', 'paying', 'cancelled', 'unknown']),
    observedAt: z.string(),
    currentObservedAt: z.string().optional(),
  })
  .openapi('UpdateResult');

export const BatchResultSchema = z
  .object({
    counts: z.object({ created: z.number(), changed: z.number(), unchanged: z.number(), stale: z.number() }),
    results: z.array(UpdateResultSchema),
  })
  .openapi('BatchResult');

export const ClassificationSchema = z
  .object({
    statusType: z.enum(['free', 'paying', 'cancelled', 'unknown']),
    status: z.string().nullable(),
    plan: z.string().nullable(),
    trial: z.boolean(),
    nonCustomer: z.boolean(),
    unknownReason: z.enum(['missing', 'empty', 'not-in-catalog', 'not-a-string']).nullable(),
  })
  .openapi('Classification');

export const EligibilitySchema = z
  .object({
    eligible: z.boolean(),
    decidedBy: z.enum(['built-in', 'rule']),
    reason: z.string(),
    rule: z.string().optional(),
    reasons: z.array(z.record(z.string(), z.unknown())),
    ruleErrors: z
      .array(
        z.object({
          rule: z.string(),
          index: z.number(),
          type: z.string(),
          reason: z.string(),
          priority: z.number(),
          message: z.string(),
        }),
      )
      .optional()
      .openapi({ description: 'Rules that failed on this account; it was decided without them.' }),
  })
  .openapi('Eligibility');

export const StatusEventSchema = z
  .object({
    id: z.number(),
    kind: z.enum(['change', 'stale']),
    from: z.string().nullable(),
    to: z.string().nullable(),
    fromType: z.string().nullable(),
    toType: z.string(),
    source: z.string(),
    observedAt: z.string(),
    receivedAt: z.string(),
  })
  .openapi('StatusEvent');

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    status: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    statusObservedAt: z.string(),
    lastObservedAt: z.string(),
    source: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    classification: ClassificationSchema,
    eligibility: EligibilitySchema,
    history: z.array(StatusEventSchema).optional(),
  })
  .openapi('Account');

export const StatusUpdateResponseSchema = z
  .object({ result: UpdateResultSchema, account: AccountSchema })
  .openapi('StatusUpdateResponse');

export const AccountPageSchema = z
  .object({ accounts: z.array(AccountSchema), nextCursor: z.string().nullable() })
  .openapi('AccountPage');

export const StatusDefinitionSchema = z
  .object({
    value: z.string(),
    type: z.enum(['free', 'paying', 'cancelled']),
    plan: z.string().optional(),
    trial: z.boolean().optional(),
    nonCustomer: z.boolean().optional(),
    description: z.string().optional(),
    aliases: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Other spellings that classify as this status, by the same matching.' }),
  })
  .openapi('StatusDefinition');

export const CatalogResponseSchema = z
  .object({
    catalog: z.object({
      statuses: z.array(StatusDefinitionSchema),
      matching: z.enum(['insensitive', 'exact']).optional(),
      uniquePlans: z.boolean().optional(),
    }),
    version: z.number(),
    updatedAt: z.string(),
  })
  .openapi('Catalog');

export const IssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  at: z.string(),
  message: z.string(),
  code: z.string(),
});

export const RulesResponseSchema = z
  .object({
    rules: z.array(z.unknown()),
    version: z.number(),
    updatedAt: z.string(),
    warnings: z.array(IssueSchema),
  })
  .openapi('RuleSet');

/** A rule that failed on some accounts (they were decided without it). */
export const RuleErrorSchema = z
  .object({
    rule: z.string(),
    index: z.number(),
    message: z.string(),
    accounts: z.number(),
    sampleAccountIds: z.array(z.string()),
  })
  .openapi('RuleError');

export const RulesPreviewSchema = z
  .object({
    total: z.number(),
    eligibleNow: z.number(),
    eligibleWithProposed: z.number(),
    entering: z.number(),
    leaving: z.number(),
    samples: z.object({
      entering: z.array(
        z.object({ accountId: z.string(), status: z.string().nullable(), eligibility: EligibilitySchema }),
      ),
      leaving: z.array(
        z.object({ accountId: z.string(), status: z.string().nullable(), eligibility: EligibilitySchema }),
      ),
    }),
    ruleErrors: z.array(RuleErrorSchema),
    warnings: z.array(IssueSchema),
  })
  .openapi('RulesPreview');

export const UnknownReportSchema = z
  .object({
    total: z.number(),
    byReason: z.record(z.string(), z.number()),
    values: z.array(
      z.object({
        value: z.string().nullable(),
        reason: z.string(),
        count: z.number(),
        sampleAccountIds: z.array(z.string()),
      }),
    ),
  })
  .openapi('UnknownReport');

export const MetricsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(
      z.object({
        day: z.string(),
        byStatus: z.record(z.string(), z.number()),
        byType: z.record(z.string(), z.number()),
        unknown: z.number(),
        conversions: z.number(),
        churn: z.number(),
        reactivations: z.number(),
        planChanges: z.number(),
      }),
    ),
  })
  .openapi('Metrics');

export const HealthRunSummarySchema = z
  .object({
    total: z.number(),
    byStatus: z.record(z.string(), z.number()),
    byType: z.object({ free: z.number(), paying: z.number(), cancelled: z.number(), unknown: z.number() }),
    unknown: z.object({
      total: z.number(),
      byReason: z.record(z.string(), z.number()),
      byValue: z.array(z.object({ value: z.string(), reason: z.string(), count: z.number() })),
      untrackedValues: z.number(),
    }),
    eligible: z.number(),
    excluded: z.number(),
    excludedByReason: z.record(z.string(), z.number()).openapi({
      description:
        'Excluded accounts per deciding reason; /v1/health-runs/{runId}/exclusions?reason= lists them.',
    }),
    decisions: z
      .array(EligibilitySchema)
      .openapi({ description: "The run's distinct eligibility decisions (each with its reasons)." }),
  })
  .openapi('HealthRunSummary');

export const HealthRunSchema = z
  .object({
    id: z.string(),
    trigger: z.enum(['scheduled', 'manual']),
    day: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    catalogVersion: z.number(),
    rulesVersion: z.number(),
    summary: HealthRunSummarySchema.nullable(),
    error: z.string().nullable(),
  })
  .openapi('HealthRun');

export const ExclusionPageSchema = z
  .object({
    exclusions: z.array(
      z.object({ accountId: z.string(), reason: z.string(), eligibility: EligibilitySchema }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('HealthRunExclusions');

export const ApiKeySchema = z
  .object({
    id: z.string(),
    prefix: z.string(),
    name: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('ApiKey');
export const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'shown once' }),
}).openapi('NewApiKey');

export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string() })
  .openapi('Tenant');
