export {
  CLIENT_ROUTES,
  type ClientOptions,
  createClient,
  MAX_BATCH_SIZE,
  type PushOptions,
  type PushTotals,
  type SaveOptions,
  StatuskitClient,
} from './client.js';
export {
  type Problem,
  type ProblemIssue,
  StatuskitApiError,
  StatuskitNetworkError,
  StatuskitVersionConflictError,
} from './errors.js';
export type * from './types.js';
export type * from './webhook-types.js';
