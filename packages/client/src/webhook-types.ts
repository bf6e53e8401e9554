/** The billing systems that post events to statuskit. */
export type WebhookProvider = 'stripe' | 'chargebee';

export interface WebhookEndpointInput {
  readonly provider: WebhookProvider;
  readonly name?: string;
  /** The mapper config, the same `statuskit map --mapper <provider> --config` takes (at least `plans`). */
  readonly config: Record<string, unknown>;
  /** Stripe: the endpoint's signing secret (`whsec_...`), when known; set it later with `updateWebhookEndpoint`. */
  readonly secret?: string;
  /** Chargebee: basic-auth user name (default `statuskit`) and password (default: generated, shown once). */
  readonly username?: string;
  readonly password?: string;
}

export interface WebhookEndpointChange {
  readonly name?: string;
  readonly config?: Record<string, unknown>;
  /** Stripe: a new signing secret; the replaced one stays valid for `keepPreviousSecretSeconds` (default 86400). */
  readonly secret?: string;
  readonly keepPreviousSecretSeconds?: number;
  readonly disabled?: boolean;
}

export interface WebhookDeliveryCounts {
  readonly received: number;
  readonly applied: number;
  readonly duplicate: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly rejected: Readonly<Record<string, number>>;
}

export interface WebhookEndpointView {
  readonly id: string;
  readonly provider: WebhookProvider;
  readonly name: string;
  /** The URL to paste into Stripe or Chargebee. */
  readonly url: string;
  readonly config: Record<string, unknown>;
  readonly hasSecret: boolean;
  readonly previousSecretUntil: string | null;
  readonly username: string | null;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveries: WebhookDeliveryCounts;
}

export interface NewWebhookEndpointView extends WebhookEndpointView {
  /** Chargebee: the generated basic-auth password, shown once. */
  readonly password?: string;
  /** Statuses the config names that the catalog does not have. */
  readonly warnings: readonly { readonly at: string; readonly message: string }[];
  /** What to do in the billing system. */
  readonly setup: string;
}

export type WebhookDeliveryOutcome = 'applied' | 'skipped' | 'rejected' | 'duplicate';

export interface WebhookDeliveryView {
  readonly id: number;
  readonly receivedAt: string;
  readonly outcome: WebhookDeliveryOutcome;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly eventId: string | null;
  readonly eventType: string | null;
  readonly accountId: string | null;
  readonly status: string | null;
  readonly observedAt: string | null;
  readonly result: 'created' | 'changed' | 'unchanged' | 'stale' | null;
}
