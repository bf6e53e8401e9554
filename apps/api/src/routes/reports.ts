import { createRoute, z } from '@hono/zod-openapi';
import type { HealthRun } from '@statuskit/store';
import { type App, markApplied } from '../app-env.js';
import { requireTenant } from '../auth.js';
import { cursor, day, limit, RunParams, text } from '../input-schemas.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { ExclusionPageSchema, HealthRunSchema, MetricsSchema, UnknownReportSchema } from '../schemas.js';
import { eligibilityView, iso } from '../views.js';
import { errors, json, security } from './common.js';

const DAY_MS = 86_400_000;
const MAX_METRIC_DAYS = 366;
const FIRST_DAY = Date.parse('0001-01-01T00:00:00Z');

export const runView = (r: HealthRun) => ({
  ...r,
  startedAt: r.startedAt.toISOString(),
  finishedAt: iso(r.finishedAt),
  summary: r.summary as Record<string, unknown> | null,
});

export function registerReportRoutes(app: App, deps: RouteDeps): void {
  const { store, now } = deps;
  for (const path of ['/v1/reports/*', '/v1/metrics', '/v1/health-runs', '/v1/health-runs/*'])
    app.use(path, requireTenant(deps.auth));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/unknown',
      tags: ['reports'],
      summary: 'Unknown accounts grouped by reason and raw value, with counts and sample ids.',
      security,
      responses: {
        200: json(UnknownReportSchema, 'Report'),
        401: errors[401],
        429: errors[429],
        503: errors[503],
      },
    }),
    async (c) => c.json((await store.unknownReport(c.var.tenantId)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/metrics',
      tags: ['reports'],
      summary:
        'Per UTC day: counts by status and type, Unknown, conversions, churn, reactivations, plan changes.',
      security,
      request: { query: z.object({ from: day.optional(), to: day.optional() }) },
      responses: {
        200: json(MetricsSchema, 'Metrics'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
        503: errors[503],
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const to = q.to ? new Date(`${q.to}T00:00:00Z`) : now();
      // By default the 30 days up to `to`, but never before the first day of year 1.
      const from = q.from
        ? new Date(`${q.from}T00:00:00Z`)
        : new Date(Math.max(to.getTime() - 29 * DAY_MS, FIRST_DAY));
      if (from > to) return fail(400, 'invalid-range', 'from must not be after to.');
      if ((to.getTime() - from.getTime()) / DAY_MS >= MAX_METRIC_DAYS)
        return fail(400, 'invalid-range', `At most ${MAX_METRIC_DAYS} days per request.`);
      const days = await store.dailyMetrics(c.var.tenantId, from, to);
      return c.json({ from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10), days }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/health-runs',
      tags: ['health runs'],
      summary: 'Run the health calculation now; answers when it is done.',
      security,
      responses: { 201: json(HealthRunSchema, 'The finished run'), 401: errors[401], 429: errors[429] },
    }),
    async (c) => {
      const run = await store.runHealth(c.var.tenantId, { trigger: 'manual', now: now() });
      if (!run) throw new Error('a manual run was not created');
      markApplied(c);
      return c.json(runView(run) as never, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/health-runs',
      tags: ['health runs'],
      summary: 'Recent health runs, newest first.',
      security,
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(30) }) },
      responses: {
        200: json(z.object({ runs: z.array(HealthRunSchema) }), 'Runs'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) =>
      c.json(
        {
          runs: (await store.listHealthRuns(c.var.tenantId, c.req.valid('query').limit)).map(runView),
        } as never,
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/health-runs/{runId}',
      tags: ['health runs'],
      summary: 'One health run with its summary.',
      security,
      request: { params: RunParams },
      responses: {
        200: json(HealthRunSchema, 'Run'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const run = await store.getHealthRun(c.var.tenantId, c.req.valid('param').runId);
      if (!run) return fail(404, 'health-run-not-found', 'No such health run.');
      return c.json(runView(run) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/health-runs/{runId}/exclusions',
      tags: ['health runs'],
      summary:
        'The accounts a run excluded (all, or those of one deciding reason), with the reasons, in id order.',
      security,
      request: {
        params: RunParams,
        query: z.object({
          reason: text(500).min(1).optional().openapi({
            description: "Only this deciding reason (a key of the run's summary.excludedByReason).",
          }),
          cursor,
          limit,
        }),
      },
      responses: {
        200: json(ExclusionPageSchema, 'Exclusions'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        409: errors[409],
        429: errors[429],
        503: errors[503],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const run = await store.getHealthRun(tenantId, c.req.valid('param').runId);
      if (!run) return fail(404, 'health-run-not-found', 'No such health run.');
      if (run.state === 'running')
        return fail(
          409,
          'health-run-running',
          'The run is still going: its exclusions are listed once it is done.',
        );
      const q = c.req.valid('query');
      const page = await store.healthRunExclusions(tenantId, run, q.cursor, q.limit, { reason: q.reason });
      return c.json(
        {
          exclusions: page.map((x) => ({
            accountId: x.accountId,
            reason: x.reason,
            eligibility: eligibilityView(x.eligibility),
          })),
          nextCursor: page.length === q.limit ? (page.at(-1)?.accountId ?? null) : null,
        } as never,
        200,
      );
    },
  );
}
