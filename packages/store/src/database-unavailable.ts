/**
 * Whether an error means the database cannot be reached or is going away (not that a statement was wrong):
 * the connection was refused, reset, lost or timed out, the pool could not connect in time, or the server
 * answered with a connection-class SQLSTATE (08xxx), an operator or crash shutdown (57P01-57P03) or too many
 * connections (53300). A request that meets one should answer 503 and be retried, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /the database system is (starting up|shutting down)/i,
];

function unavailable(error: unknown, depth: number): boolean {
  if (depth > 3 || typeof error !== 'object' || error === null) return false;
  const { code, message, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08/.test(code)))
    return true;
  if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
  // Node's connection attempts to several addresses fail with an AggregateError of each one's error.
  if (Array.isArray(errors) && errors.some((e) => unavailable(e, depth + 1))) return true;
  return unavailable(cause, depth + 1);
}
