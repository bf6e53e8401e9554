import { OpenAPIHono } from '@hono/zod-openapi';
import { INPUT_LIMITS, issuesFromZod } from '@statuskit/core';
import type { Store } from '@statuskit/store';
import {
  InvalidInputError,
  isDatabaseUnavailable,
  StatementTimeoutError,
  TenantNotFoundError,
  VersionConflictError,
  WorkCancelledError,
} from '@statuskit/store';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { App, AppEnv } from './app-env.js';
import { AuthFailureLimiter, type AuthFailureLimits, DEFAULT_AUTH_FAILURE_LIMITS } from './auth-limiter.js';
import { registerDashboardPage } from './dashboard-page.js';
import { createLogger, type Logger } from './logger.js';
import { allowedMethods } from './methods.js';
import type { ApiMetrics } from './metrics.js';
import { ProblemError, problem, sendProblem } from './problem.js';
import { createReadiness, type Readiness } from './readiness.js';
import { requestContext } from './request-context.js';
import type { RouteDeps } from './route-deps.js';
import { registerAccountCountRoutes } from './routes/account-counts.js';
import { registerConfigRoutes } from './routes/config.js';
import { registerOperationsRoutes } from './routes/operations.js';
import { registerReportRoutes } from './routes/reports.js';
import { registerStatusRoutes } from './routes/statuses.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints.js';
import { registerWebhookReceiveRoutes } from './routes/webhook-receive.js';
import { registerWebhookSubscriptionRoutes } from './routes/webhook-subscriptions.js';
import { registerSettingsPage } from './settings-page.js';
import { registerSharedModules } from './static-files.js';
import { DEFAULT_WEBHOOK_LOG_RETENTION, type WebhookLogRetention } from './webhooks/log-retention.js';

export interface AppOptions {
  readonly store: Store;
  /** Bearer token for tenant administration (`POST /v1/tenants`). Unset: administration is off. */
  readonly adminToken?: string | undefined;
  /** Largest accepted request body, in bytes (default 8 MiB: a full batch of 10,000 updates fits). */
  readonly maxBodyBytes?: number;
  /** How far in the future an `observedAt` may be, in ms (default 5 minutes). */
  readonly maxFutureSkewMs?: number;
  /** Failed authentications allowed per client address and per key id (default 20 a minute); false: no limit. */
  readonly authFailureLimits?: AuthFailureLimits | false;
  /** Take the client address from the last `X-Forwarded-For` entry (one trusted proxy in front). */
  readonly trustProxy?: boolean;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** Request lines and errors (default: warnings and errors on stderr, as JSON). */
  readonly logger?: Logger;
  /** Count requests, status writes and health runs here. */
  readonly metrics?: ApiMetrics;
  /** Serve `metrics` at `/metrics` on this app (default false: a listener of its own, or nowhere). */
  readonly exposeMetrics?: boolean;
  /** What `/readyz` answers (default: the store's schema version within 2 s). */
  readonly readiness?: Readiness;
  /** The API's address as billing systems reach it, for webhook endpoint URLs (default: the request's origin). */
  readonly publicUrl?: string | undefined;
  /** Outbound webhooks: accept loopback, private and link-local subscription URLs (default false). */
  readonly webhooksAllowPrivate?: boolean;
  /** How much of each webhook endpoint's delivery log is kept (default 10,000 entries and 90 days). */
  readonly webhookLogRetention?: WebhookLogRetention;
}

export type { App, AppEnv } from './app-env.js';
export { markApplied } from './app-env.js';
export type { RouteDeps } from './route-deps.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The 500 answer, honest about whether the request's change was saved. */
function internalError(c: Context<AppEnv>) {
  const detail = c.get('applied')
    ? 'Something went wrong on our side after the request was applied: its change is saved, but the answer could not be built. Read the resource to see it.'
    : SAFE_METHODS.has(c.req.method)
      ? 'Something went wrong on our side; nothing was changed.'
      : 'Something went wrong on our side; the request may or may not have been applied. Check before repeating it (a batch repeated with the same Idempotency-Key is applied at most once).';
  return problem(500, 'internal', detail);
}

/** Builds the API: every route, the OpenAPI document at /openapi.json, and problem+json for every error. */
export function createApp(options: AppOptions): App {
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        const where =
          { json: 'body', query: 'query string', param: 'path', header: 'headers' }[target ?? ''] ?? 'input';
        return sendProblem(
          c,
          problem(400, 'validation', `The request ${where} is not valid.`, {
            errors: issuesFromZod(result.error),
          }),
        );
      }
    },
  });
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const readiness = options.readiness ?? createReadiness(options.store);
  const store = options.metrics ? options.metrics.instrument(options.store) : options.store;
  const limits = options.authFailureLimits ?? DEFAULT_AUTH_FAILURE_LIMITS;
  const deps: RouteDeps = {
    store,
    now,
    maxFutureSkewMs: options.maxFutureSkewMs ?? INPUT_LIMITS.futureSkewMs,
    auth: {
      store,
      adminToken: options.adminToken,
      limiter: limits === false ? undefined : new AuthFailureLimiter(limits, () => now().getTime()),
      trustProxy: options.trustProxy ?? false,
    },
    webhookLogRetention: options.webhookLogRetention ?? DEFAULT_WEBHOOK_LOG_RETENTION,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;

  // First: every answer below, problems included, carries the request's id and is logged and counted.
  app.use(
    '*',
    requestContext({ logger, observe: options.metrics?.observeRequest, draining: () => readiness.draining }),
  );
  // A request's database work is bounded by the statement timeout, and stops when its client goes away.
  app.use('*', (c, next) => store.bounded(c.req.raw.signal, next));
  // Every answer, errors included, tells browsers not to guess its type.
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        sendProblem(
          c,
          problem(413, 'body-too-large', `Request bodies are limited to ${maxBodyBytes} bytes.`),
        ),
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (`sk_...`), or the admin token for /v1/tenants.',
  });

  registerTenantRoutes(app, deps);
  registerConfigRoutes(app, deps);
  registerStatusRoutes(app, deps);
  registerReportRoutes(app, deps);
  registerAccountCountRoutes(app, store); // after the report routes: their /v1/reports/* auth applies
  registerWebhookEndpointRoutes(app, deps, { publicUrl: options.publicUrl });
  registerWebhookReceiveRoutes(app, deps);
  registerWebhookSubscriptionRoutes(app, deps, { allowPrivate: options.webhooksAllowPrivate ?? false });
  registerSettingsPage(app);
  registerDashboardPage(app);
  registerSharedModules(app);

  app.get('/healthz', (c) => c.json({ ok: true, engine: options.store.engine }));
  registerOperationsRoutes(app, {
    readiness,
    metrics: options.exposeMetrics ? options.metrics : undefined,
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'statuskit API',
      version: '0.1.0',
      description:
        "The system of record for customer accounts' Status. Errors are application/problem+json (RFC 9457).",
    },
  });

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0)
      return sendProblem(c, problem(404, 'not-found', `No route for ${c.req.method} ${c.req.path}.`));
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    return sendProblem(
      c,
      problem(405, 'method-not-allowed', `${c.req.path} answers ${allow}, not ${c.req.method}.`),
      { Allow: allow },
    );
  });
  app.onError((error, c) => {
    if (error instanceof ProblemError) return sendProblem(c, error.problem, error.headers);
    if (error instanceof StatementTimeoutError)
      return sendProblem(
        c,
        problem(
          503,
          'statement-timeout',
          `The request took longer than ${error.seconds} s; try a shorter range.`,
          { timeoutSeconds: error.seconds },
        ),
      );
    if (isDatabaseUnavailable(error)) {
      logger.warn(
        { err: error, requestId: c.get('requestId') },
        'the database could not be reached; answered 503',
      );
      return sendProblem(
        c,
        problem(503, 'database-unavailable', 'The database cannot be reached right now; try again shortly.'),
        { 'Retry-After': '5' },
      );
    }
    if (error instanceof WorkCancelledError)
      // The client went away: nobody reads this answer, and the request's database work was stopped.
      return sendProblem(c, problem(503, 'client-gone', error.message));
    if (error instanceof TenantNotFoundError)
      return sendProblem(c, problem(404, 'tenant-not-found', error.message));
    if (error instanceof InvalidInputError)
      return sendProblem(
        c,
        problem(400, 'invalid-input', 'The request holds values statuskit cannot store.', {
          errors: error.issues,
        }),
      );
    if (error instanceof VersionConflictError)
      return sendProblem(
        c,
        problem(412, 'version-conflict', error.message, { currentVersion: error.currentVersion }),
        { ETag: `"${error.currentVersion}"` },
      );
    if (error instanceof HTTPException) {
      const status = error.status;
      const slug =
        status === 415
          ? 'unsupported-media-type'
          : status === 413
            ? 'body-too-large'
            : status === 400
              ? 'malformed-body'
              : 'http-error';
      return sendProblem(c, problem(status, slug, error.message || undefined));
    }
    logger.error({ err: error, requestId: c.get('requestId') }, 'unexpected error');
    return sendProblem(c, internalError(c));
  });
  return app;
}
