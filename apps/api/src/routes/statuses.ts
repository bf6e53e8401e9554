import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { classifyStatus, evaluate, formatPath, INPUT_LIMITS, type ValidationIssue } from '@statuskit/core';
import { coreAccount, type IncomingUpdate } from '@statuskit/store';
import { type App, markApplied } from '../app-env.js';
import { requireTenant } from '../auth.js';
import {
  AccountIdSchema,
  BatchBodySchema,
  ConnectorParams,
  ConnectorStateSchema,
  cursor,
  IDEMPOTENCY_KEY,
  limit,
  StatusUpdateBodySchema,
  text,
} from '../input-schemas.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import {
  AccountPageSchema,
  AccountSchema,
  BatchResultSchema,
  StatusUpdateResponseSchema,
} from '../schemas.js';
import { accountView } from '../views.js';
import { body, errors, json, problemResponse, security } from './common.js';

const SCAN_LIMIT = 50_000;

/**
 * Refuses updates observed more than the allowed skew after the server's time (a typo such as 9000-01-01
 * would make every later real update of the account stale), naming each one and giving the server's time.
 */
function refuseFuture(
  updates: readonly { observedAt?: string | undefined }[],
  now: Date,
  maxFutureSkewMs: number,
  pathOf: (index: number) => (string | number)[],
): void {
  const latest = now.getTime() + maxFutureSkewMs;
  const issues: ValidationIssue[] = [];
  updates.forEach((u, i) => {
    if (u.observedAt !== undefined && Date.parse(u.observedAt) > latest) {
      const path = pathOf(i);
      issues.push({
        path,
        at: formatPath(path),
        code: 'in_future',
        message: `is more than ${maxFutureSkewMs / 1000} seconds after the server's time`,
      });
    }
  });
  if (issues.length > 0)
    fail(
      400,
      'observed-in-future',
      `observedAt may be at most ${maxFutureSkewMs / 1000} seconds after the server's time (${now.toISOString()}).`,
      {
        errors: issues.slice(0, 100),
        serverTime: now.toISOString(),
        maxFutureSkewSeconds: maxFutureSkewMs / 1000,
      },
    );
}

export function registerStatusRoutes(app: App, deps: RouteDeps): void {
  const { store, now, maxFutureSkewMs } = deps;
  for (const path of ['/v1/accounts', '/v1/accounts/*', '/v1/statuses:batch', '/v1/connectors/*'])
    app.use(path, requireTenant(deps.auth));

  const view = async (tenantId: string, accountId: string, withHistory: boolean) => {
    const account = await store.getAccount(tenantId, accountId);
    if (!account) return undefined;
    const [{ catalog }, { evaluator }] = [await store.getCatalog(tenantId), await store.getRules(tenantId)];
    const history = withHistory ? await store.accountHistory(tenantId, accountId) : undefined;
    return accountView(account, catalog, evaluator, now().getTime(), history);
  };

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/accounts/{accountId}/status',
      tags: ['statuses'],
      summary: "Set one account's status. Values not in the catalog are stored and reported as Unknown.",
      security,
      request: { params: z.object({ accountId: AccountIdSchema }), ...body(StatusUpdateBodySchema) },
      responses: {
        200: json(StatusUpdateResponseSchema, 'Applied, unchanged or stale (see result.outcome)'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const { accountId } = c.req.valid('param');
      const update: IncomingUpdate = { accountId, ...c.req.valid('json') };
      const receivedAt = now();
      refuseFuture([update as { observedAt?: string }], receivedAt, maxFutureSkewMs, () => ['observedAt']);
      const outcome = await store.applyStatusUpdates(tenantId, [update], { receivedAt, maxFutureSkewMs });
      if (outcome.kind !== 'applied') throw new Error('unexpected idempotency outcome');
      markApplied(c);
      const result = outcome.result.results[0];
      const account = await view(tenantId, accountId, false);
      return c.json({ result, account } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/statuses:batch',
      tags: ['statuses'],
      summary: 'Apply up to 10,000 status updates atomically. Idempotent under an Idempotency-Key header.',
      security,
      request: {
        headers: z.object({ 'idempotency-key': z.string().regex(IDEMPOTENCY_KEY).optional() }),
        ...body(BatchBodySchema),
      },
      responses: {
        200: json(
          BatchResultSchema,
          'Applied (or the first answer replayed, with Idempotent-Replayed: true)',
        ),
        400: errors[400],
        401: errors[401],
        409: problemResponse('Idempotency-Key reused with another body'),
        413: problemResponse('Body too large'),
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const input = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const idempotency = key
        ? { key, requestHash: createHash('sha256').update(JSON.stringify(input)).digest('hex') }
        : undefined;
      const receivedAt = now();
      refuseFuture(input.updates, receivedAt, maxFutureSkewMs, (i) => ['updates', i, 'observedAt']);
      const outcome = await store.applyStatusUpdates(tenantId, input.updates, {
        receivedAt,
        maxFutureSkewMs,
        ...(idempotency ? { idempotency } : {}),
      });
      if (outcome.kind === 'applied') markApplied(c);
      if (outcome.kind === 'conflict') {
        return fail(
          409,
          'idempotency-key-reused',
          `Idempotency-Key ${key} was used for a different request body.`,
        );
      }
      if (outcome.kind === 'replayed') c.header('Idempotent-Replayed', 'true');
      return c.json(outcome.result as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/accounts/{accountId}',
      tags: ['accounts'],
      summary:
        'One account: status, classification, eligibility with reasons, and its history (newest first).',
      security,
      request: { params: z.object({ accountId: AccountIdSchema }) },
      responses: {
        200: json(AccountSchema, 'Account'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const account = await view(c.var.tenantId, c.req.valid('param').accountId, true);
      if (!account) return fail(404, 'account-not-found', 'No such account.');
      return c.json(account as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/accounts',
      tags: ['accounts'],
      summary:
        'Accounts in id order, filtered by status-type, status, Unknown reason or eligibility; page with nextCursor.',
      security,
      request: {
        query: z.object({
          statusType: z.enum(['free', 'paying', 'cancelled', 'unknown']).optional(),
          status: text(INPUT_LIMITS.statusLength).optional(),
          unknownReason: z.enum(['missing', 'empty', 'not-in-catalog', 'not-a-string']).optional(),
          eligible: z.enum(['true', 'false']).optional(),
          cursor,
          limit,
        }),
      },
      responses: {
        200: json(AccountPageSchema, 'A page of accounts'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const q = c.req.valid('query');
      const [{ catalog }, { evaluator }] = [await store.getCatalog(tenantId), await store.getRules(tenantId)];
      const filter = {
        ...(q.statusType ? { statusType: q.statusType } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.unknownReason ? { unknownReason: q.unknownReason } : {}),
      };
      const asOf = now().getTime();
      if (q.eligible === undefined) {
        // The filter reads the catalog the page is shown with, so a class filter and the classes agree.
        const page = await store.listAccounts(tenantId, filter, q.cursor, q.limit, catalog);
        return c.json(
          {
            accounts: page.map((a) => accountView(a, catalog, evaluator, asOf)),
            nextCursor: page.length === q.limit ? (page.at(-1)?.id ?? null) : null,
          } as never,
          200,
        );
      }
      // Eligibility depends on the rules of the moment, so it is evaluated here, scanning at most SCAN_LIMIT rows.
      const wanted = q.eligible === 'true';
      const out: ReturnType<typeof accountView>[] = [];
      let cursor = q.cursor;
      let scanned = 0;
      let done = false;
      scan: while (scanned < SCAN_LIMIT) {
        const page = await store.listAccounts(tenantId, filter, cursor, 1000, catalog);
        for (const a of page) {
          scanned++;
          cursor = a.id;
          const e = evaluate(classifyStatus(a.status ?? undefined, catalog), coreAccount(a), evaluator, {
            asOf,
          });
          if (e.eligible === wanted) out.push(accountView(a, catalog, evaluator, asOf));
          if (out.length === q.limit) break scan;
        }
        if (page.length < 1000) {
          done = true;
          break;
        }
      }
      return c.json({ accounts: out, nextCursor: done ? null : (cursor ?? null) } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/connectors/{connector}/state',
      tags: ['connectors'],
      summary: "A connector's saved state (the Salesforce sync's watermark).",
      security,
      request: { params: ConnectorParams },
      responses: {
        200: json(ConnectorStateSchema, 'State'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const state = await store.getConnectorState(c.var.tenantId, c.req.valid('param').connector);
      if (!state) return fail(404, 'connector-state-not-found', 'This connector has saved no state yet.');
      return c.json(state, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/connectors/{connector}/state',
      tags: ['connectors'],
      summary: "Save a connector's state.",
      security,
      request: { params: ConnectorParams, ...body(ConnectorStateSchema) },
      responses: {
        200: json(ConnectorStateSchema, 'Saved'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const state = c.req.valid('json');
      await store.putConnectorState(c.var.tenantId, c.req.valid('param').connector, state);
      markApplied(c);
      return c.json(state, 200);
    },
  );
}
