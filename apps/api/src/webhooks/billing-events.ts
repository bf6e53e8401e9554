import { issuesFromZod, type Mapper, type Observation, type ValidationIssue } from '@statuskit/core';
import { chargebeeMapper, chargebeeMapperConfigSchema } from '@statuskit/mapper-chargebee';
import { stripeMapper, stripeMapperConfigSchema } from '@statuskit/mapper-stripe';
import type { CombineSubscriptions, IncomingUpdate, WebhookProvider } from '@statuskit/store';
import { z } from 'zod';

/** The mapper config each provider's endpoint takes: the same `statuskit map --mapper <provider> --config` takes. */
export const MAPPER_CONFIG_SCHEMAS = {
  stripe: stripeMapperConfigSchema,
  chargebee: chargebeeMapperConfigSchema,
} as const;

/** Problems of a mapper config, with paths from `config`. */
export function mapperConfigIssues(provider: WebhookProvider, config: unknown): ValidationIssue[] {
  const parsed = MAPPER_CONFIG_SCHEMAS[provider].safeParse(config);
  if (parsed.success) return [];
  return issuesFromZod(parsed.error).map((i) => ({
    ...i,
    path: ['config', ...i.path],
    at: i.at.startsWith('[') ? `config${i.at}` : `config.${i.at}`,
  }));
}

/** The statuses a config names (each plan's, the trial's and the cancelled one's), to check against the catalog. */
export function statusesNamed(config: Record<string, unknown>): string[] {
  const plans = Array.isArray(config.plans) ? (config.plans as { status?: unknown }[]) : [];
  const named = [
    ...plans.map((p) => p.status),
    config.trialStatus ?? 'Trial',
    config.cancelledStatus ?? 'Cancelled',
    ...(typeof config.testModeStatus === 'string' && config.testModeStatus !== 'skip'
      ? [config.testModeStatus]
      : []),
  ];
  return [...new Set(named.filter((s): s is string => typeof s === 'string'))];
}

// A built mapper per endpoint version: building one parses its config.
const built = new Map<string, Mapper>();

function mapperFor(provider: WebhookProvider, key: string, config: Record<string, unknown>): Mapper {
  let mapper = built.get(key);
  if (!mapper) {
    mapper = (
      provider === 'stripe' ? stripeMapper(config as never) : chargebeeMapper(config as never)
    ) as Mapper;
    if (built.size > 1000) built.clear();
    built.set(key, mapper);
  }
  return mapper;
}

const storable = z
  .string()
  .min(1)
  .max(255)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the database cannot store NUL
  .regex(/^[^\u0000]*$/);
const seconds = z.number().int().nonnegative().max(253_402_300_799); // 9999-12-31

const stripeEnvelope = z.object({
  id: storable,
  object: z.literal('event'),
  type: z.string().max(200),
  created: seconds,
  data: z.object({ object: z.unknown() }).passthrough(),
});
const chargebeeEnvelope = z.object({
  id: storable,
  event_type: z.string().max(200),
  occurred_at: seconds,
  content: z.record(z.string(), z.unknown()),
});

/** What one verified delivery holds, as statuskit applies it. */
export type BillingEvent =
  | { readonly kind: 'not-an-event'; readonly detail: string }
  | {
      readonly kind: 'event';
      readonly eventId: string;
      readonly eventType: string;
      /** The event's time (Stripe `created`, Chargebee `occurred_at`). */
      readonly occurredAt: Date;
      readonly update?: IncomingUpdate;
      readonly skip?: { reason: string; detail?: string; accountId?: string };
      /** The subscription the event shows and how new that view is (the mapper's `observe`). */
      readonly observation?: Observation;
      /** The mapper's way to resolve a customer's several subscriptions into one status. */
      readonly combine?: CombineSubscriptions;
    };

const describeIssues = (issues: readonly ValidationIssue[]) =>
  issues
    .slice(0, 5)
    .map((i) => `${i.at || '(event)'}: ${i.message}`)
    .join('; ');

/**
 * Reads a delivery's parsed body as the provider's event (id, type, time) and maps it with the endpoint's
 * mapper. An event about something other than a subscription is a skip (`not-a-subscription-event`); so is
 * anything the mapper skips, with its reason. The update's `observedAt` is the event's time (Stripe
 * `created`, Chargebee `occurred_at`), as the mappers set it.
 */
export function readBillingEvent(
  endpoint: { id: string; provider: WebhookProvider; updatedAt: Date; config: Record<string, unknown> },
  body: unknown,
): BillingEvent {
  const envelope =
    endpoint.provider === 'stripe' ? stripeEnvelope.safeParse(body) : chargebeeEnvelope.safeParse(body);
  if (!envelope.success)
    return {
      kind: 'not-an-event',
      detail: `Not a ${endpoint.provider === 'stripe' ? 'Stripe' : 'Chargebee'} event: ${describeIssues(issuesFromZod(envelope.error))}`,
    };
  const e = envelope.data as z.output<typeof stripeEnvelope> | z.output<typeof chargebeeEnvelope>;
  const eventType = 'type' in e ? e.type : e.event_type;
  const occurredAt = new Date(('created' in e ? e.created : e.occurred_at) * 1000);
  const base = { kind: 'event' as const, eventId: e.id, eventType, occurredAt };
  const subject: unknown = 'data' in e ? e.data.object : e.content.subscription;
  const isObject = subject !== null && typeof subject === 'object';
  const isSubscription =
    'data' in e ? isObject && (subject as { object?: unknown }).object === 'subscription' : isObject;
  if (!isSubscription)
    return {
      ...base,
      skip: { reason: 'not-a-subscription-event', detail: `${eventType} carries no subscription` },
    };
  const mapper = mapperFor(
    endpoint.provider,
    `${endpoint.id}@${endpoint.updatedAt.getTime()}`,
    endpoint.config,
  );
  const r = mapper.map(body);
  const subscription = {
    ...(r.observation ? { observation: r.observation } : {}),
    ...(mapper.combine ? { combine: mapper.combine } : {}),
  };
  if (r.kind === 'update') return { ...base, ...subscription, update: r.update };
  const detail = r.issues ? describeIssues(r.issues) : r.detail;
  return {
    ...base,
    ...subscription,
    skip: {
      reason: r.reason,
      ...(detail !== undefined ? { detail } : {}),
      ...(r.accountId !== undefined ? { accountId: r.accountId } : {}),
    },
  };
}
