import { createRoute, z } from '@hono/zod-openapi';
import {
  type OutboundDelivery,
  type OutboundDeliveryDetail,
  WEBHOOK_DESCRIPTION_LENGTH,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_URL_LENGTH,
  type WebhookSubscription,
  WebhookSubscriptionLimitError,
} from '@statuskit/store';
import { type App, markApplied } from '../app-env.js';
import { requireTenant } from '../auth.js';
import { text } from '../input-schemas.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { iso } from '../views.js';
import { webhookUrlProblem } from '../webhooks/address-policy.js';
import { body, errors, json, problemResponse, security } from './common.js';

const NO_STORE = { 'Cache-Control': 'no-store' };
const BASE = '/v1/webhook-subscriptions';

const EventType = z.enum(WEBHOOK_EVENT_TYPES).openapi({ description: 'An event a subscription receives.' });
const Url = text(WEBHOOK_URL_LENGTH).openapi({
  description:
    'http(s) URL the events are POSTed to. Loopback, private and link-local addresses are refused (checked again after DNS resolution at each delivery) unless the server allows them.',
  example: 'https://example.com/hooks/statuskit',
});

const SubscriptionBody = z
  .object({
    url: Url,
    events: z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
    description: text(WEBHOOK_DESCRIPTION_LENGTH).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const SubscriptionPatch = z
  .object({
    url: Url.optional(),
    events: z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
    description: text(WEBHOOK_DESCRIPTION_LENGTH).optional(),
    enabled: z.boolean().optional().openapi({ description: 'false pauses deliveries; true resumes them.' }),
  })
  .strict();

const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventType),
    description: z.string(),
    enabled: z.boolean(),
    status: z.enum(['active', 'failing', 'disabled']),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookSubscription');
const SubscriptionWithSecretSchema = SubscriptionSchema.extend({
  secret: z.string().openapi({
    description:
      'The Standard Webhooks signing secret (`whsec_...`). Shown only in this answer: keep it for verifying deliveries.',
  }),
}).openapi('WebhookSubscriptionWithSecret');

const AttemptSchema = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
});
const DeliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    eventId: z
      .string()
      .openapi({ description: 'The `webhook-id` header: the same on every attempt and replay.' }),
    eventType: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    payload: z.unknown().openapi({ description: 'The JSON body sent: {type, timestamp, data}.' }),
  })
  .openapi('WebhookSubscriptionDelivery');
const DeliveryDetailSchema = DeliverySchema.extend({ attemptLog: z.array(AttemptSchema) }).openapi(
  'WebhookSubscriptionDeliveryDetail',
);

const SubscriptionParams = z.object({
  subscriptionId: z
    .string()
    .regex(/^whs_[0-9a-z]{1,40}$/)
    .openapi({ param: { name: 'subscriptionId', in: 'path' } }),
});
const DeliveryParams = SubscriptionParams.extend({
  deliveryId: z
    .string()
    .regex(/^dlv_[0-9a-z]{1,40}$/)
    .openapi({ param: { name: 'deliveryId', in: 'path' } }),
});

const subscriptionView = (s: WebhookSubscription) => ({
  id: s.id,
  url: s.url,
  events: [...s.events],
  description: s.description,
  enabled: s.enabled,
  status: s.status,
  consecutiveFailures: s.consecutiveFailures,
  failingSince: iso(s.failingSince),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

const deliveryView = (d: OutboundDelivery) => ({
  id: d.id,
  subscriptionId: d.subscriptionId,
  eventId: d.eventId,
  eventType: d.eventType,
  state: d.state,
  attempts: d.attempts,
  nextAttemptAt: iso(d.nextAttemptAt),
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  deliveredAt: iso(d.deliveredAt),
  createdAt: d.createdAt.toISOString(),
  payload: d.payload,
});

const detailView = (d: OutboundDeliveryDetail) => ({
  ...deliveryView(d),
  attemptLog: d.attemptLog.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
});

const notFound = () =>
  fail(404, 'webhook-subscription-not-found', 'No such webhook subscription for this tenant.');

/** Outbound webhook subscriptions: CRUD, secret rotation, the delivery log and replays. */
export function registerWebhookSubscriptionRoutes(
  app: App,
  deps: RouteDeps,
  options: { readonly allowPrivate: boolean },
): void {
  const { store } = deps;
  app.use(BASE, requireTenant(deps.auth));
  app.use(`${BASE}/*`, requireTenant(deps.auth));
  const checkUrl = (url: string) => {
    const why = webhookUrlProblem(url, options.allowPrivate);
    if (why !== undefined)
      fail(400, 'validation', 'The request body is not valid.', {
        errors: [{ path: ['url'], at: 'url', code: 'invalid-webhook-url', message: why }],
      });
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: BASE,
      tags: ['webhooks'],
      summary: 'Subscribe a URL to status-change events. Answers the signing secret, once.',
      security,
      request: body(SubscriptionBody),
      responses: {
        201: json(SubscriptionWithSecretSchema, 'Created (Cache-Control: no-store)'),
        400: errors[400],
        401: errors[401],
        409: problemResponse('The tenant holds the most subscriptions allowed'),
        429: errors[429],
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      checkUrl(input.url);
      try {
        const created = await store.createWebhookSubscription(c.var.tenantId, input);
        markApplied(c);
        return c.json({ ...subscriptionView(created), secret: created.secret }, 201, NO_STORE);
      } catch (error) {
        if (error instanceof WebhookSubscriptionLimitError)
          return fail(409, 'too-many-webhook-subscriptions', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: BASE,
      tags: ['webhooks'],
      summary: "The tenant's webhook subscriptions (without secrets).",
      security,
      responses: {
        200: json(z.object({ subscriptions: z.array(SubscriptionSchema) }), 'Subscriptions'),
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) =>
      c.json(
        { subscriptions: (await store.listWebhookSubscriptions(c.var.tenantId)).map(subscriptionView) },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${BASE}/{subscriptionId}`,
      tags: ['webhooks'],
      summary: 'One webhook subscription.',
      security,
      request: { params: SubscriptionParams },
      responses: {
        200: json(SubscriptionSchema, 'Subscription'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const s = await store.getWebhookSubscription(c.var.tenantId, c.req.valid('param').subscriptionId);
      if (!s) return notFound();
      return c.json(subscriptionView(s), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: `${BASE}/{subscriptionId}`,
      tags: ['webhooks'],
      summary: 'Change the URL, the events, the description, or pause (enabled: false) and resume.',
      security,
      request: { params: SubscriptionParams, ...body(SubscriptionPatch) },
      responses: {
        200: json(SubscriptionSchema, 'Changed'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const change = c.req.valid('json');
      if (change.url !== undefined) checkUrl(change.url);
      const s = await store.updateWebhookSubscription(
        c.var.tenantId,
        c.req.valid('param').subscriptionId,
        change,
      );
      if (!s) return notFound();
      markApplied(c);
      return c.json(subscriptionView(s), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${BASE}/{subscriptionId}`,
      tags: ['webhooks'],
      summary: 'Delete a subscription with its delivery log; pending deliveries are dropped.',
      security,
      request: { params: SubscriptionParams },
      responses: {
        204: { description: 'Deleted' },
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const gone = await store.deleteWebhookSubscription(c.var.tenantId, c.req.valid('param').subscriptionId);
      if (!gone) return notFound();
      markApplied(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${BASE}/{subscriptionId}/rotate-secret`,
      tags: ['webhooks'],
      summary:
        'A new signing secret, answered once. For 24 hours deliveries carry signatures with both the new and the old secret.',
      security,
      request: { params: SubscriptionParams },
      responses: {
        200: json(SubscriptionWithSecretSchema, 'Rotated (Cache-Control: no-store)'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const s = await store.rotateWebhookSecret(c.var.tenantId, c.req.valid('param').subscriptionId);
      if (!s) return notFound();
      markApplied(c);
      return c.json({ ...subscriptionView(s), secret: s.secret }, 200, NO_STORE);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${BASE}/{subscriptionId}/deliveries`,
      tags: ['webhooks'],
      summary: "A subscription's delivery log, newest first, paged by `nextCursor`.",
      security,
      request: {
        params: SubscriptionParams,
        query: z.object({
          cursor: z
            .string()
            .regex(/^\d{1,15}$/)
            .optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          state: z.enum(['pending', 'delivered', 'failed']).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
          'Deliveries',
        ),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const { subscriptionId } = c.req.valid('param');
      if (!(await store.getWebhookSubscription(c.var.tenantId, subscriptionId))) return notFound();
      const q = c.req.valid('query');
      const page = await store.listSubscriptionDeliveries(c.var.tenantId, subscriptionId, q);
      return c.json({ deliveries: page.deliveries.map(deliveryView), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${BASE}/{subscriptionId}/deliveries/{deliveryId}`,
      tags: ['webhooks'],
      summary: 'One delivery with every attempt (response code or error, duration).',
      security,
      request: { params: DeliveryParams },
      responses: {
        200: json(DeliveryDetailSchema, 'Delivery'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const d = await store.getSubscriptionDelivery(c.var.tenantId, p.subscriptionId, p.deliveryId);
      if (!d) return fail(404, 'webhook-delivery-not-found', 'No such delivery for this subscription.');
      return c.json(detailView(d), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${BASE}/{subscriptionId}/deliveries/{deliveryId}/replay`,
      tags: ['webhooks'],
      summary:
        'Send a failed (or delivered) delivery again, now, with a new retry window. Same `webhook-id`, so receivers can deduplicate.',
      security,
      request: { params: DeliveryParams },
      responses: {
        202: json(DeliveryDetailSchema, 'Queued'),
        400: errors[400],
        401: errors[401],
        404: errors[404],
        409: problemResponse('The delivery is still pending (being delivered or retried)'),
        429: errors[429],
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const d = await store.replaySubscriptionDelivery(c.var.tenantId, p.subscriptionId, p.deliveryId);
      if (d === 'not-found')
        return fail(404, 'webhook-delivery-not-found', 'No such delivery for this subscription.');
      if (d === 'pending')
        return fail(
          409,
          'webhook-delivery-pending',
          'The delivery is still pending: it is being delivered or retried.',
        );
      markApplied(c);
      return c.json(detailView(d), 202);
    },
  );
}
