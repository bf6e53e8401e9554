import { z } from '@hono/zod-openapi';
import { checkWebhookCredentials, type WebhookEndpointSecrets, type WebhookProvider } from '@statuskit/store';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type App, markApplied } from '../app-env.js';
import { clientAddress } from '../auth-limiter.js';
import { fail, problem, sendProblem } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { EndpointParams, ReceiptSchema } from '../webhook-schemas.js';
import { readBillingEvent } from '../webhooks/billing-events.js';
import { pruneAfterDelivery } from '../webhooks/log-retention.js';
import { verifyStripeSignature } from '../webhooks/stripe-signature.js';
import { problemResponse } from './common.js';

/**
 * The refusals that count against the failed-authentication limit: a credential was presented and did not
 * verify. A missing header or an endpoint without a secret is no guess.
 */
const COUNTED_FAILURES = new Set([
  'signature-mismatch',
  'timestamp-outside-tolerance',
  'malformed-signature-header',
  'no-v1-signature',
  'wrong-credentials',
]);

/** Billing events are small (Stripe's are tens of KB); a bigger body is not one. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `Authorization: Basic base64(user:password)`, split at the first colon; undefined when it is not that. */
export function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(m[1] as string, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * `POST /v1/webhooks/stripe/{endpointId}` and `POST /v1/webhooks/chargebee/{endpointId}`: no API key; the
 * delivery itself is verified (Stripe's signature over the raw body, Chargebee's basic auth), then its event
 * is mapped and received in one transaction (the event id once per endpoint, the status through the normal
 * ingest path, the delivery log). The answer is sent after that commits. Refusals are logged too.
 */
export function registerWebhookReceiveRoutes(app: App, deps: RouteDeps): void {
  const { store, now, maxFutureSkewMs, webhookLogRetention } = deps;
  const { limiter, trustProxy } = deps.auth;
  app.use(
    '/v1/webhooks/*',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BODY_BYTES,
      onError: (c) =>
        sendProblem(
          c,
          problem(
            413,
            'body-too-large',
            `Webhook deliveries are limited to ${MAX_WEBHOOK_BODY_BYTES} bytes.`,
          ),
        ),
    }),
  );

  const receive = (provider: WebhookProvider) => async (c: Context) => {
    const receivedAt = now();
    const endpointId = c.req.param('endpointId') ?? '';
    const endpoint = await store.findWebhookEndpoint(endpointId, receivedAt);
    if (!endpoint || endpoint.provider !== provider)
      return fail(404, 'webhook-endpoint-not-found', `No such ${provider} webhook endpoint.`);
    const logged = (deliveryId: number) =>
      pruneAfterDelivery(store, webhookLogRetention, {
        tenantId: endpoint.tenantId,
        endpointId: endpoint.id,
        deliveryId,
        now: receivedAt,
      });
    // Failed verifications count per endpoint and client address, under the API's failed-authentication
    // limit: a blocked client is answered 429 without its delivery being read or verified (nor logged).
    const bucket = [`webhook:${endpoint.id}:${clientAddress(c, trustProxy)}`];
    const wait = limiter?.blocked(bucket);
    if (wait !== undefined)
      return fail(
        429,
        'too-many-failed-authentications',
        `Too many failed verifications from this address for this endpoint; try again in ${wait} s.`,
        { retryAfterSeconds: wait },
        { 'Retry-After': String(wait) },
      );
    const reject = async (
      status: number,
      reason: string,
      detail: string,
      headers: Record<string, string> = {},
      event?: { eventId?: string; eventType?: string },
    ): Promise<never> => {
      if (COUNTED_FAILURES.has(reason)) limiter?.fail(bucket);
      const deliveryId = await store.recordRejectedDelivery(endpoint.tenantId, endpoint.id, {
        reason,
        detail,
        receivedAt,
        ...event,
      });
      await logged(deliveryId);
      return fail(status, reason, detail, {}, headers);
    };
    if (endpoint.disabledAt !== null)
      return reject(
        409,
        'endpoint-disabled',
        'This webhook endpoint is disabled; enable it to receive deliveries.',
      );
    const raw = new Uint8Array(await c.req.arrayBuffer());
    await verify(endpoint, c, raw, receivedAt, reject);

    let text: string;
    let parsed: unknown;
    try {
      text = utf8.decode(raw);
      parsed = JSON.parse(text);
    } catch (error) {
      return reject(400, 'malformed-body', `The body is not JSON: ${(error as Error).message.slice(0, 200)}`);
    }
    let event: ReturnType<typeof readBillingEvent>;
    try {
      event = readBillingEvent(endpoint, parsed);
    } catch (error) {
      // The endpoint's saved config no longer builds a mapper: refuse, so the provider retries once it is fixed.
      return reject(
        409,
        'invalid-config',
        `The endpoint's mapper config is not valid: ${(error as Error).message}`,
      );
    }
    if (event.kind === 'not-an-event') return reject(400, 'not-an-event', event.detail);
    const outcome = await store.receiveWebhookEvent(endpoint.tenantId, endpoint.id, {
      eventId: event.eventId,
      eventType: event.eventType,
      receivedAt,
      maxFutureSkewMs,
      occurredAt: event.occurredAt,
      ...(event.update ? { update: event.update } : {}),
      ...(event.skip ? { skip: event.skip } : {}),
      ...(event.observation ? { observation: event.observation } : {}),
      ...(event.combine ? { combine: event.combine } : {}),
    });
    markApplied(c as never);
    await logged(outcome.deliveryId);
    return c.json(
      {
        received: true,
        outcome: outcome.outcome,
        deliveryId: outcome.deliveryId,
        eventId: event.eventId,
        ...(outcome.outcome === 'skipped'
          ? { reason: outcome.reason, ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) }
          : {}),
        ...(outcome.outcome === 'applied' ? { result: outcome.result } : {}),
      },
      200,
    );
  };

  async function verify(
    endpoint: WebhookEndpointSecrets,
    c: Context,
    raw: Uint8Array,
    receivedAt: Date,
    reject: (
      status: number,
      reason: string,
      detail: string,
      headers?: Record<string, string>,
    ) => Promise<never>,
  ): Promise<void> {
    if (endpoint.provider === 'stripe') {
      const check = verifyStripeSignature(
        raw,
        c.req.header('stripe-signature'),
        endpoint.signingSecrets,
        receivedAt.getTime(),
      );
      if (!check.ok) await reject(400, check.reason, check.detail);
      return;
    }
    const challenge = { 'WWW-Authenticate': 'Basic realm="statuskit webhook", charset="UTF-8"' };
    const presented = basicCredentials(c.req.header('authorization'));
    if (!presented)
      await reject(
        401,
        'missing-credentials',
        "Send the endpoint's basic-auth credentials (Authorization: Basic ...).",
        challenge,
      );
    else if (!checkWebhookCredentials(endpoint, presented.username, presented.password))
      await reject(
        401,
        'wrong-credentials',
        "The basic-auth user name or password is not this endpoint's.",
        challenge,
      );
  }

  for (const provider of ['stripe', 'chargebee'] as const) {
    app.post(`/v1/webhooks/${provider}/:endpointId`, receive(provider));
    app.openAPIRegistry.registerPath({
      method: 'post',
      path: `/v1/webhooks/${provider}/{endpointId}`,
      tags: ['webhooks'],
      summary:
        provider === 'stripe'
          ? 'Where Stripe posts events (no API key: the Stripe-Signature header is verified against the endpoint secret, 300 s tolerance).'
          : 'Where Chargebee posts events (no API key: HTTP basic auth with the endpoint credentials).',
      request: {
        params: EndpointParams,
        ...(provider === 'stripe'
          ? {
              headers: z.object({
                'stripe-signature': z.string().openapi({ example: 't=1780000000,v1=5257a8...' }),
              }),
            }
          : {}),
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.record(z.string(), z.unknown()).openapi({
                description:
                  provider === 'stripe'
                    ? 'A Stripe Event (customer.subscription.*), exactly as Stripe sent it: the signature covers the raw bytes.'
                    : 'A Chargebee event (id, event_type, occurred_at, content.subscription).',
              }),
            },
          },
        },
      },
      responses: {
        200: {
          description:
            'Received and committed: applied, skipped (with its reason) or a duplicate of an earlier delivery.',
          content: { 'application/json': { schema: ReceiptSchema } },
        },
        400: problemResponse('Verification failed, not JSON, or not an event; nothing applied.'),
        ...(provider === 'chargebee'
          ? { 401: problemResponse('Missing or wrong basic-auth credentials; nothing applied.') }
          : {}),
        404: problemResponse('No such endpoint.'),
        429: problemResponse(
          "Too many failed verifications from this address for this endpoint (the API's failed-authentication limit); see Retry-After.",
        ),
        409: problemResponse(
          'The endpoint is disabled, or its mapper config is no longer valid; nothing applied.',
        ),
        413: problemResponse('Body over 1 MiB.'),
      },
    });
  }
}
