export {
  CLIENT_ROUTES,
  type ClientOptions,
  createClient,
  MAX_BATCH_SIZE,
  type PushOptions,
  type PushTotals,
  StatuskitClient,
} from './client.js';
export { type Problem, type ProblemIssue, StatuskitApiError, StatuskitNetworkError } from './errors.js';
export type * from './types.js';
