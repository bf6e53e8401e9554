// The inbound webhook routes' schemas (billing systems posting to statuskit), apart from schemas.ts.
import { z } from '@hono/zod-openapi';
import { DOCUMENT_LIMITS } from '@statuskit/core';
import { WEBHOOK_ENDPOINT_ID_PATTERN } from '@statuskit/store';
import { jsonObject, text } from './input-schemas.js';

export const ProviderSchema = z.enum(['stripe', 'chargebee']).openapi({ example: 'stripe' });

export const EndpointParams = z.object({
  endpointId: z
    .string()
    .regex(WEBHOOK_ENDPOINT_ID_PATTERN)
    .openapi({ example: 'we_4f0c2a9e1b7d3c5a8e6f0b1d' }),
});

const StripeSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=_-]{8,200}$/, 'a Stripe signing secret is whsec_ followed by its key')
  .openapi({ example: 'whsec_5f3e...', description: "The Stripe endpoint's signing secret." });

const MapperConfig = jsonObject(
  DOCUMENT_LIMITS,
  'The mapper config, the same `statuskit map --mapper <provider> --config` takes (see @statuskit/mapper-stripe and @statuskit/mapper-chargebee): at least `plans`.',
);

export const CreateEndpointBodySchema = z
  .object({
    provider: ProviderSchema,
    name: text(200).optional(),
    config: MapperConfig,
    secret: StripeSecret.optional().openapi({
      description: 'Stripe: the signing secret, when known (set it later with PATCH once Stripe shows it).',
    }),
    username: text(100)
      .min(1)
      .regex(/^[^:]*$/, 'a basic-auth user name has no colon')
      .optional()
      .openapi({ description: 'Chargebee: the basic-auth user name (default `statuskit`).' }),
    password: text(200)
      .min(16)
      .optional()
      .openapi({ description: 'Chargebee: the basic-auth password (default: generated, shown once).' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.provider === 'stripe')
      for (const f of ['username', 'password'] as const)
        if (v[f] !== undefined)
          ctx.addIssue({ code: 'custom', path: [f], message: 'is for Chargebee endpoints' });
    if (v.provider === 'chargebee' && v.secret !== undefined)
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'is for Stripe endpoints' });
  })
  .openapi('WebhookEndpointInput');

export const UpdateEndpointBodySchema = z
  .object({
    name: text(200).optional(),
    config: MapperConfig.optional(),
    secret: StripeSecret.optional().openapi({
      description:
        'Stripe: a new signing secret; the one it replaces is still accepted for keepPreviousSecretSeconds.',
    }),
    keepPreviousSecretSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .openapi({
        description: 'How long the replaced secret stays valid (default 86400).',
      }),
    disabled: z
      .boolean()
      .optional()
      .openapi({ description: 'A disabled endpoint refuses deliveries (409).' }),
  })
  .strict()
  .openapi('WebhookEndpointChange');

const Counts = z
  .object({
    received: z.number(),
    applied: z.number(),
    duplicate: z.number(),
    skipped: z.record(z.string(), z.number()),
    rejected: z.record(z.string(), z.number()),
  })
  .openapi('WebhookDeliveryCounts');

export const EndpointSchema = z
  .object({
    id: z.string(),
    provider: ProviderSchema,
    name: z.string(),
    url: z.string().openapi({ description: 'The URL to paste into Stripe or Chargebee.' }),
    config: z.record(z.string(), z.unknown()),
    hasSecret: z.boolean().openapi({ description: 'Stripe: a signing secret is set.' }),
    previousSecretUntil: z.string().nullable(),
    username: z.string().nullable().openapi({ description: 'Chargebee: the basic-auth user name.' }),
    disabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deliveries: Counts,
  })
  .openapi('WebhookEndpoint');

export const CreatedEndpointSchema = EndpointSchema.extend({
  password: z.string().optional().openapi({ description: 'Chargebee: the generated password, shown once.' }),
  warnings: z.array(z.object({ at: z.string(), message: z.string() })),
  setup: z.string(),
}).openapi('NewWebhookEndpoint');

export const DeliverySchema = z
  .object({
    id: z.number(),
    receivedAt: z.string(),
    outcome: z.enum(['applied', 'skipped', 'rejected', 'duplicate']),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    eventId: z.string().nullable(),
    eventType: z.string().nullable(),
    accountId: z.string().nullable(),
    status: z.string().nullable(),
    observedAt: z.string().nullable(),
    result: z.enum(['created', 'changed', 'unchanged', 'stale']).nullable(),
  })
  .openapi('WebhookDelivery');

export const DeliveriesQuery = z.object({
  outcome: z.enum(['applied', 'skipped', 'rejected', 'duplicate']).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .openapi({ description: 'nextCursor of the previous page.' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const DeliveryPageSchema = z
  .object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() })
  .openapi('WebhookDeliveryPage');

export const ReceiptSchema = z
  .object({
    received: z.literal(true),
    outcome: z.enum(['applied', 'skipped', 'duplicate']),
    deliveryId: z.number(),
    eventId: z.string(),
    reason: z.string().optional(),
    detail: z.string().optional(),
    result: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('WebhookReceipt');
