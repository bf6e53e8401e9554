import type {
  CatalogInput,
  EligibilityReason,
  HealthSummary,
  RuleErrorCount,
  StatusDefinitionInput,
  ValidationIssue,
} from '@statuskit/core';

export type StatusTypeName = 'free' | 'paying' | 'cancelled' | 'unknown';

/** One status update (the body of PUT /v1/accounts/{id}/status, plus accountId in a batch). */
export interface StatusUpdateInput {
  readonly accountId: string;
  /** The raw value from the source; values not in the catalog are stored and reported as Unknown. */
  readonly status: string | null;
  /** When the source saw it (ISO 8601). Older than the account's newest observation: stale, not applied. */
  readonly observedAt?: string;
  readonly source?: string;
  readonly name?: string;
  readonly attributes?: Record<string, unknown>;
}

export interface UpdateResult {
  readonly accountId: string;
  readonly outcome: 'created' | 'changed' | 'unchanged' | 'stale';
  readonly status: string | null;
  readonly statusType: StatusTypeName;
  readonly observedAt: string;
  readonly currentObservedAt?: string;
}

export interface BatchResult {
  readonly counts: {
    readonly created: number;
    readonly changed: number;
    readonly unchanged: number;
    readonly stale: number;
  };
  readonly results: readonly UpdateResult[];
}

export interface Classification {
  readonly statusType: StatusTypeName;
  readonly status: string | null;
  readonly plan: string | null;
  readonly trial: boolean;
  readonly nonCustomer: boolean;
  readonly unknownReason: 'missing' | 'empty' | 'not-in-catalog' | 'not-a-string' | null;
}

export interface Eligibility {
  readonly eligible: boolean;
  readonly decidedBy: 'built-in' | 'rule';
  readonly reason: string;
  readonly rule?: string;
  readonly reasons: readonly EligibilityReason[];
}

export interface StatusEvent {
  readonly id: number;
  readonly kind: 'change' | 'stale';
  readonly from: string | null;
  readonly to: string | null;
  readonly fromType: string | null;
  readonly toType: string;
  readonly source: string;
  readonly observedAt: string;
  readonly receivedAt: string;
}

export interface AccountView {
  readonly id: string;
  readonly name: string | null;
  readonly status: string | null;
  readonly attributes: Record<string, unknown>;
  readonly statusObservedAt: string;
  readonly lastObservedAt: string;
  readonly source: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly classification: Classification;
  readonly eligibility: Eligibility;
  readonly history?: readonly StatusEvent[];
}

export interface AccountQuery {
  readonly statusType?: StatusTypeName;
  readonly status?: string;
  /** Unknown accounts of one reason. */
  readonly unknownReason?: 'missing' | 'empty' | 'not-in-catalog' | 'not-a-string';
  readonly eligible?: boolean;
  readonly cursor?: string;
  readonly limit?: number;
}

export interface CatalogView {
  readonly catalog: {
    readonly statuses: readonly StatusDefinitionInput[];
    readonly matching?: 'insensitive' | 'exact';
    readonly uniquePlans?: boolean;
  };
  readonly version: number;
  readonly updatedAt: string;
}

export interface RuleSetView {
  readonly rules: readonly unknown[];
  readonly version: number;
  readonly updatedAt: string;
  readonly warnings: readonly ValidationIssue[];
}

export interface RulesPreview {
  readonly total: number;
  readonly eligibleNow: number;
  readonly eligibleWithProposed: number;
  readonly entering: number;
  readonly leaving: number;
  readonly samples: {
    readonly entering: readonly { accountId: string; status: string | null; eligibility: Eligibility }[];
    readonly leaving: readonly { accountId: string; status: string | null; eligibility: Eligibility }[];
  };
  /** Rules that would fail on some accounts (those would be decided without them). */
  readonly ruleErrors: readonly RuleErrorCount[];
  readonly warnings: readonly ValidationIssue[];
}

export interface UnknownReport {
  readonly total: number;
  readonly byReason: Readonly<Record<string, number>>;
  readonly values: readonly {
    value: string | null;
    reason: string;
    count: number;
    sampleAccountIds: readonly string[];
  }[];
}

export interface DayMetrics {
  readonly day: string;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  readonly unknown: number;
  readonly conversions: number;
  readonly churn: number;
  readonly reactivations: number;
  readonly planChanges: number;
}

/** What a finished health run counted (core's summary), with the run's distinct decisions. */
export interface HealthRunSummary extends HealthSummary {
  /** Excluded accounts per deciding reason; `healthRunExclusions(runId, { reason })` lists them. */
  readonly excludedByReason: Readonly<Record<string, number>>;
  readonly decisions: readonly Eligibility[];
}

export interface HealthRunExclusion {
  readonly accountId: string;
  readonly reason: string;
  readonly eligibility: Eligibility;
}

export interface HealthRunView {
  readonly id: string;
  readonly trigger: 'scheduled' | 'manual';
  readonly day: string;
  readonly state: 'running' | 'done' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly catalogVersion: number;
  readonly rulesVersion: number;
  readonly summary: HealthRunSummary | null;
  readonly error: string | null;
}

type TypeCounts = { readonly free: number; readonly paying: number; readonly cancelled: number };

/** Where the accounts are now (`GET /v1/reports/accounts`). */
export interface AccountCounts {
  readonly total: number;
  /** Every account by status-type, non-customers included. */
  readonly byType: TypeCounts & { readonly unknown: number };
  readonly customers: {
    readonly total: number;
    readonly byType: TypeCounts;
    readonly trial: number;
    /** Paying customers per plan; every paying plan of the catalog, 0 when empty. */
    readonly byPlan: readonly { plan: string; count: number }[];
  };
  /** Accounts on statuses marked `nonCustomer` (demo, sandbox, internal). */
  readonly nonCustomers: { readonly total: number; readonly byType: TypeCounts };
  readonly unknown: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  /** Every catalog status in catalog order, 0 when no account has it. */
  readonly statuses: readonly {
    status: string;
    type: 'free' | 'paying' | 'cancelled';
    plan: string | null;
    trial: boolean;
    nonCustomer: boolean;
    count: number;
  }[];
}

export interface ApiKeyView {
  readonly id: string;
  readonly prefix: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export type { CatalogInput };

export type WebhookEventType =
  | 'account.status_changed'
  | 'account.converted'
  | 'account.churned'
  | 'account.reactivated'
  | 'account.unknown'
  | 'health_run.completed';

export interface WebhookSubscriptionInput {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
  readonly enabled?: boolean;
}

export interface WebhookSubscriptionView {
  readonly id: string;
  readonly url: string;
  readonly events: WebhookEventType[];
  readonly description: string;
  readonly enabled: boolean;
  readonly status: 'active' | 'failing' | 'disabled';
  readonly consecutiveFailures: number;
  readonly failingSince: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SubscriptionDeliveryView {
  readonly id: string;
  readonly subscriptionId: string;
  /** The `webhook-id` header, the same on every attempt and replay. */
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
  readonly createdAt: string;
  readonly payload: { type: WebhookEventType; timestamp: string; data: Record<string, unknown> };
}

export interface SubscriptionDeliveryDetailView extends SubscriptionDeliveryView {
  readonly attemptLog: {
    readonly attempt: number;
    readonly startedAt: string;
    readonly durationMs: number;
    readonly statusCode: number | null;
    readonly error: string | null;
  }[];
}
