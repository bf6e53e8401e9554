export type { AccountCounts, StatusCount } from './account-counts.js';
export type { AccountFilter, StatusEvent, StoredAccount } from './accounts.js';
export { coreAccount } from './accounts.js';
export type { ApiKeyInfo, NewApiKey } from './api-keys.js';
export type { CombineSubscriptions } from './billing-subscriptions.js';
export type { ConnectionStats } from './connection-stats.js';
export { DataDirLockedError } from './data-dir-lock.js';
export { isDatabaseUnavailable } from './database-unavailable.js';
export type { HealthRun, HealthRunExclusion, HealthRunSummary } from './health-runs.js';
export type {
  IncomingUpdate,
  IngestOptions,
  IngestOutcome,
  IngestResult,
  UpdateOutcome,
  UpdateResult,
} from './ingest.js';
export { InvalidInputError } from './input-checks.js';
export { migrations } from './migrations.js';
export {
  DEFAULT_STATEMENT_TIMEOUT_MS,
  openStore,
  type Store,
  type StoreOptions,
  storeOptionsFromEnv,
  type VersionedWrite,
  WEBHOOK_DESCRIPTION_LENGTH,
  WEBHOOK_URL_LENGTH,
} from './open-store.js';
export type {
  AttemptOutcome,
  ClaimedDelivery,
  OutboundAttempt,
  OutboundDelivery,
  OutboundDeliveryDetail,
  RetryPolicy,
} from './outbound-deliveries.js';
export type { DayMetrics, UnknownReport } from './reports.js';
export type { RuleInputGroup, RuleReads } from './rule-groups.js';
export type { Database } from './schema.js';
export {
  TenantNotFoundError,
  VersionConflictError,
  type VersionedCatalog,
  type VersionedRules,
} from './tenant-config.js';
export { TENANT_ID_PATTERN, type Tenant, TenantExistsError } from './tenants.js';
export type {
  WebhookDelivery,
  WebhookDeliveryCounts,
  WebhookDeliveryOutcome,
  WebhookEventInput,
  WebhookEventOutcome,
} from './webhook-deliveries.js';
export {
  checkWebhookCredentials,
  type NewWebhookEndpoint,
  WEBHOOK_ENDPOINT_ID_PATTERN,
  type WebhookEndpoint,
  type WebhookEndpointChange,
  type WebhookEndpointSecrets,
  type WebhookProvider,
} from './webhook-endpoints.js';
export {
  statusEventTypes,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  type WebhookStatusSide,
} from './webhook-outbox.js';
export {
  MAX_WEBHOOK_SUBSCRIPTIONS,
  type NewWebhookSubscription,
  type WebhookSubscription,
  type WebhookSubscriptionChange,
  WebhookSubscriptionLimitError,
  type WebhookSubscriptionWithSecret,
} from './webhook-subscriptions.js';
export { StatementTimeoutError, WorkCancelledError } from './work-context.js';
