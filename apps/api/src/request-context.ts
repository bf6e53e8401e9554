import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './app-env.js';
import type { Logger } from './logger.js';

/**
 * A request id a client may choose (`X-Request-Id`): 1-128 URI-unreserved characters starting with a letter
 * or digit, so it can be echoed in headers, logs and a problem's `instance` as it is. Anything else is
 * replaced by a generated id (a UUID).
 */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** What the request middleware reports for each answered request (the metrics hook). */
export type RequestObserver = (method: string, route: string, status: number, seconds: number) => void;

export interface RequestContextOptions {
  readonly logger: Logger;
  readonly observe?: RequestObserver | undefined;
  /** True while the server shuts down: answers then close their connection. */
  readonly draining?: () => boolean;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route pattern that answered (`/v1/accounts/:accountId`), never the raw path: logs and metrics stay
 * free of ids and query strings, and metrics keep a bounded set of labels. `unmatched` when no route answers
 * the method at the path (a 404 or a 405), even if middleware on a wildcard ran.
 */
export function routePattern(c: Context): string {
  const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return route?.path ?? 'unmatched';
}

/**
 * The first middleware: gives the request its id (`c.var.requestId`, the `X-Request-Id` answer header,
 * problem bodies' `instance`), and once answered writes one log line (method, route pattern, status,
 * duration, tenant, request id) and reports it to the metrics.
 */
export function requestContext(options: RequestContextOptions): MiddlewareHandler<AppEnv> {
  const { logger, observe, draining } = options;
  return async (c, next) => {
    const started = process.hrtime.bigint();
    const sent = c.req.header('x-request-id');
    const requestId = sent !== undefined && REQUEST_ID.test(sent) ? sent : randomUUID();
    c.set('requestId', requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const route = routePattern(c);
      const status = c.res.status;
      c.header('X-Request-Id', requestId);
      if (draining?.()) c.header('Connection', 'close');
      const tenantId = c.get('tenantId');
      logger[status >= 500 ? 'error' : 'info'](
        {
          requestId,
          method,
          route,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
          ...(tenantId ? { tenantId } : {}),
        },
        `${method} ${route} ${status}`,
      );
      observe?.(method, route, status, seconds);
    }
  };
}
