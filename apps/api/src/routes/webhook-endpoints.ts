import { createRoute, z } from '@hono/zod-openapi';
import { classifyStatus } from '@statuskit/core';
import type { WebhookDelivery, WebhookEndpoint } from '@statuskit/store';
import type { Context } from 'hono';
import { type App, markApplied } from '../app-env.js';
import { requireTenant } from '../auth.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { iso } from '../views.js';
import {
  CreatedEndpointSchema,
  CreateEndpointBodySchema,
  DeliveriesQuery,
  DeliveryPageSchema,
  EndpointParams,
  EndpointSchema,
  UpdateEndpointBodySchema,
} from '../webhook-schemas.js';
import { mapperConfigIssues, statusesNamed } from '../webhooks/billing-events.js';
import { body, errors, json, security } from './common.js';

/** Where the billing systems reach this API: `publicUrl` when set, else the origin the request came to. */
export interface WebhookRouteOptions {
  readonly publicUrl?: string | undefined;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

const SETUP: Record<WebhookEndpoint['provider'], (hasSecret: boolean) => string> = {
  stripe: (hasSecret) =>
    'In the Stripe Dashboard (Developers > Webhooks > Add endpoint) paste `url` and select the customer.subscription.* events' +
    (hasSecret
      ? '.'
      : "; then copy the endpoint's signing secret (whsec_...) and PATCH it here as `secret`: until then every delivery is refused."),
  chargebee: () =>
    'In Chargebee (Settings > Configure Chargebee > Webhooks > Add webhook) paste `url`, turn on "Protect webhook URL with basic authentication" and enter `username` and the password; select the subscription events.',
};

export function registerWebhookEndpointRoutes(app: App, deps: RouteDeps, options: WebhookRouteOptions): void {
  const { store, now } = deps;
  app.use('/v1/webhook-endpoints', requireTenant(deps.auth));
  app.use('/v1/webhook-endpoints/*', requireTenant(deps.auth));

  const urlOf = (c: Context, e: WebhookEndpoint) =>
    `${(options.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '')}/v1/webhooks/${e.provider}/${e.id}`;
  const view = async (c: Context, e: WebhookEndpoint) => ({
    id: e.id,
    provider: e.provider,
    name: e.name,
    url: urlOf(c, e),
    config: e.config,
    hasSecret: e.hasSecret,
    previousSecretUntil: iso(e.previousSecretUntil),
    username: e.username,
    disabled: e.disabledAt !== null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    deliveries: await store.webhookDeliveryCounts(e.tenantId, e.id),
  });
  const checkConfig = async (tenantId: string, provider: WebhookEndpoint['provider'], config: unknown) => {
    const issues = mapperConfigIssues(provider, config);
    if (issues.length > 0)
      fail(400, 'validation', `The ${provider} mapper config is not valid.`, { errors: issues });
    // Statuses the catalog does not have would make every account they reach Unknown: say so, save anyway.
    const { catalog } = await store.getCatalog(tenantId);
    return statusesNamed(config as Record<string, unknown>)
      .filter((s) => classifyStatus(s, catalog).statusType === 'unknown')
      .map((s) => ({
        at: 'config',
        message: `${JSON.stringify(s)} is not a status of the catalog: accounts mapped to it will be Unknown`,
      }));
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhook-endpoints',
      tags: ['webhooks'],
      summary:
        'Create an inbound endpoint for Stripe or Chargebee events, with its mapper config. Returns the URL to paste into the billing system (and, for Chargebee, the generated basic-auth password, shown once).',
      security,
      request: body(CreateEndpointBodySchema),
      responses: {
        201: json(CreatedEndpointSchema, 'Created (Cache-Control: no-store)'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const input = c.req.valid('json');
      const warnings = await checkConfig(tenantId, input.provider, input.config);
      const made = await store.createWebhookEndpoint(tenantId, {
        provider: input.provider,
        config: input.config,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.secret !== undefined ? { secret: input.secret } : {}),
        ...(input.username !== undefined ? { username: input.username } : {}),
        ...(input.password !== undefined ? { password: input.password } : {}),
      });
      markApplied(c);
      return c.json(
        {
          ...(await view(c, made.endpoint)),
          ...(made.password !== undefined ? { password: made.password } : {}),
          warnings,
          setup: SETUP[made.endpoint.provider](made.endpoint.hasSecret),
        } as never,
        201,
        NO_STORE,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhook-endpoints',
      tags: ['webhooks'],
      summary: "The tenant's inbound endpoints, with their URLs and delivery counts.",
      security,
      responses: {
        200: json(z.object({ endpoints: z.array(EndpointSchema) }), 'Endpoints'),
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const endpoints = await store.listWebhookEndpoints(c.var.tenantId);
      return c.json({ endpoints: await Promise.all(endpoints.map((e) => view(c, e))) } as never, 200);
    },
  );

  const found = async (tenantId: string, endpointId: string) => {
    const e = await store.getWebhookEndpoint(tenantId, endpointId);
    if (!e) return fail(404, 'webhook-endpoint-not-found', 'No such webhook endpoint.');
    return e;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhook-endpoints/{endpointId}',
      tags: ['webhooks'],
      summary: 'One inbound endpoint: URL, mapper config, delivery counts by outcome and reason.',
      security,
      request: { params: EndpointParams },
      responses: {
        200: json(EndpointSchema, 'Endpoint'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const e = await found(c.var.tenantId, c.req.valid('param').endpointId);
      return c.json((await view(c, e)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/webhook-endpoints/{endpointId}',
      tags: ['webhooks'],
      summary:
        'Change an endpoint: name, mapper config, Stripe signing secret (the replaced one stays valid for a while), disabled.',
      security,
      request: { params: EndpointParams, ...body(UpdateEndpointBodySchema) },
      responses: {
        200: json(
          EndpointSchema.extend({ warnings: z.array(z.object({ at: z.string(), message: z.string() })) }),
          'Changed',
        ),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const { endpointId } = c.req.valid('param');
      const change = c.req.valid('json');
      const e = await found(tenantId, endpointId);
      if (change.secret !== undefined && e.provider !== 'stripe')
        fail(400, 'validation', 'Only Stripe endpoints have a signing secret.', {
          errors: [{ path: ['secret'], at: 'secret', code: 'custom', message: 'is for Stripe endpoints' }],
        });
      const warnings =
        change.config !== undefined ? await checkConfig(tenantId, e.provider, change.config) : [];
      const updated = await store.updateWebhookEndpoint(
        tenantId,
        endpointId,
        {
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.config !== undefined ? { config: change.config } : {}),
          ...(change.secret !== undefined ? { secret: change.secret } : {}),
          ...(change.keepPreviousSecretSeconds !== undefined
            ? { keepPreviousSecretSeconds: change.keepPreviousSecretSeconds }
            : {}),
          ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        },
        now(),
      );
      if (!updated) return fail(404, 'webhook-endpoint-not-found', 'No such webhook endpoint.');
      markApplied(c);
      return c.json({ ...(await view(c, updated)), warnings } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhook-endpoints/{endpointId}',
      tags: ['webhooks'],
      summary: 'Delete an endpoint with its delivery log; later deliveries to its URL are 404.',
      security,
      request: { params: EndpointParams },
      responses: {
        204: { description: 'Deleted' },
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const gone = await store.deleteWebhookEndpoint(c.var.tenantId, c.req.valid('param').endpointId);
      if (!gone) return fail(404, 'webhook-endpoint-not-found', 'No such webhook endpoint.');
      markApplied(c);
      return c.body(null, 204);
    },
  );

  const deliveryView = (d: WebhookDelivery) => ({
    id: d.id,
    receivedAt: d.receivedAt.toISOString(),
    outcome: d.outcome,
    reason: d.reason,
    detail: d.detail,
    eventId: d.eventId,
    eventType: d.eventType,
    accountId: d.accountId,
    status: d.status,
    observedAt: iso(d.observedAt),
    result: d.result,
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhook-endpoints/{endpointId}/deliveries',
      tags: ['webhooks'],
      summary:
        "An endpoint's delivery log, newest first: applied (with what the account made of it), skipped and rejected with their reasons, duplicates.",
      security,
      request: { params: EndpointParams, query: DeliveriesQuery },
      responses: {
        200: json(DeliveryPageSchema, 'A page of deliveries'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const { endpointId } = c.req.valid('param');
      const q = c.req.valid('query');
      await found(tenantId, endpointId);
      const page = await store.listWebhookDeliveries(tenantId, endpointId, {
        limit: q.limit,
        ...(q.cursor !== undefined ? { before: Number(q.cursor) } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
      });
      return c.json(
        {
          deliveries: page.map(deliveryView),
          nextCursor: page.length === q.limit ? String(page.at(-1)?.id) : null,
        } as never,
        200,
      );
    },
  );
}
