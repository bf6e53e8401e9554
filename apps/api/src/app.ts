import { OpenAPIHono } from '@hono/zod-openapi';
import { issuesFromZod } from '@statuskit/core';
import type { Store } from '@statuskit/store';
import { TenantNotFoundError } from '@statuskit/store';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { App, AppEnv } from './app-env.js';
import { registerDashboardPage } from './dashboard-page.js';
import { createLogger, type Logger } from './logger.js';
import type { ApiMetrics } from './metrics.js';
import { type Problem, ProblemError, problem, sendProblem } from './problem.js';
import { createReadiness, type Readiness } from './readiness.js';
import { requestContext } from './request-context.js';
import { registerAccountCountRoutes } from './routes/account-counts.js';
import { registerConfigRoutes } from './routes/config.js';
import { registerOperationsRoutes } from './routes/operations.js';
import { registerReportRoutes } from './routes/reports.js';
import { registerStatusRoutes } from './routes/statuses.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerSettingsPage } from './settings-page.js';

export interface AppOptions {
  readonly store: Store;
  /** Bearer token for tenant administration (`POST /v1/tenants`). Unset: administration is off. */
  readonly adminToken?: string | undefined;
  /** Largest accepted request body, in bytes (default 8 MiB: a full batch of 10,000 updates fits). */
  readonly maxBodyBytes?: number;
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
}

export type { App, AppEnv } from './app-env.js';

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

  // First: every answer below, problems included, carries the request's id and is logged and counted.
  app.use(
    '*',
    requestContext({ logger, observe: options.metrics?.observeRequest, draining: () => readiness.draining }),
  );
  app.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 8 * 1024 * 1024,
      onError: (c) =>
        sendProblem(
          c,
          problem(
            413,
            'body-too-large',
            `Request bodies are limited to ${options.maxBodyBytes ?? 8 * 1024 * 1024} bytes.`,
          ),
        ),
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (`sk_...`), or the admin token for /v1/tenants.',
  });

  registerTenantRoutes(app, store, options.adminToken);
  registerConfigRoutes(app, store, now);
  registerStatusRoutes(app, store, now);
  registerReportRoutes(app, store, now);
  registerAccountCountRoutes(app, store); // after the report routes: their /v1/reports/* auth applies
  registerSettingsPage(app);
  registerDashboardPage(app);

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

  app.notFound((c) =>
    sendProblem(c, problem(404, 'not-found', `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((error, c) => {
    if (error instanceof ProblemError) return sendProblem(c, error.problem);
    if (error instanceof TenantNotFoundError)
      return sendProblem(c, problem(404, 'tenant-not-found', error.message));
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
    return sendProblem(
      c,
      problem(500, 'internal', 'Something went wrong on our side; the request was not applied.') as Problem,
    );
  });
  return app;
}
