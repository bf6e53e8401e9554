import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** The billing systems that post events to statuskit. */
export type WebhookProvider = 'stripe' | 'chargebee';

/** An inbound webhook endpoint as the API shows it: never a secret, only whether one is set. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly provider: WebhookProvider;
  readonly name: string;
  /** The mapper config (the same `statuskit map --config` takes). */
  readonly config: Record<string, unknown>;
  /** Stripe: a signing secret (`whsec_...`) is set; until it is, every delivery is refused. */
  readonly hasSecret: boolean;
  /** Stripe: the previous signing secret is accepted too until then (secret rotation). */
  readonly previousSecretUntil: Date | null;
  /** Chargebee: the basic-auth user name (the password is kept hashed). */
  readonly username: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly disabledAt: Date | null;
}

/** What receiving a delivery needs: the endpoint with its verification material. */
export interface WebhookEndpointSecrets extends WebhookEndpoint {
  /** Stripe: the signing secrets to try, the current one first (the previous one while it lasts). */
  readonly signingSecrets: readonly string[];
  readonly passwordHash: string | null;
}

export interface NewWebhookEndpoint {
  readonly provider: WebhookProvider;
  readonly name?: string;
  readonly config: Record<string, unknown>;
  /** Stripe: the endpoint's signing secret, if known already (it can be set later). */
  readonly secret?: string;
  /** Chargebee: basic-auth credentials; generated when not given. */
  readonly username?: string;
  readonly password?: string;
}

export interface WebhookEndpointChange {
  readonly name?: string;
  readonly config?: Record<string, unknown>;
  /** Stripe: a new signing secret; the one it replaces stays valid for `keepPreviousSecretSeconds`. */
  readonly secret?: string;
  readonly keepPreviousSecretSeconds?: number;
  readonly disabled?: boolean;
}

interface Row {
  tenant_id: string;
  endpoint_id: string;
  provider: WebhookProvider;
  name: string;
  config: Record<string, unknown> | string;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  username: string | null;
  password_hash: string | null;
  created_at: Date;
  updated_at: Date;
  disabled_at: Date | null;
}

/** Endpoint ids are in the URL a billing system posts to: long and random, so not guessable. */
export const WEBHOOK_ENDPOINT_ID_PATTERN = /^we_[0-9a-f]{24}$/;

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

const view = (r: Row): WebhookEndpoint => ({
  id: r.endpoint_id,
  tenantId: r.tenant_id,
  provider: r.provider,
  name: r.name,
  config: typeof r.config === 'string' ? (JSON.parse(r.config) as Record<string, unknown>) : r.config,
  hasSecret: r.secret !== null,
  previousSecretUntil: r.previous_secret !== null ? r.previous_secret_until : null,
  username: r.username,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  disabledAt: r.disabled_at,
});

export async function createWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  input: NewWebhookEndpoint,
): Promise<{ endpoint: WebhookEndpoint; password?: string }> {
  const id = `we_${randomBytes(12).toString('hex')}`;
  const chargebee = input.provider === 'chargebee';
  const username = chargebee ? (input.username ?? 'statuskit') : null;
  const password = chargebee ? (input.password ?? randomBytes(24).toString('base64url')) : undefined;
  const found = await sql<Row>`
    INSERT INTO webhook_endpoints (tenant_id, endpoint_id, provider, name, config, secret, username, password_hash)
    VALUES (${tenantId}, ${id}, ${input.provider}, ${input.name ?? ''}, ${JSON.stringify(input.config)}::jsonb,
            ${input.secret ?? null}, ${username}, ${password !== undefined ? hash(password) : null})
    RETURNING *`.execute(db);
  const endpoint = view(found.rows[0] as Row);
  return { endpoint, ...(password !== undefined && input.password === undefined ? { password } : {}) };
}

export async function listWebhookEndpoints(
  db: Kysely<Database>,
  tenantId: string,
): Promise<WebhookEndpoint[]> {
  const found = await sql<Row>`
    SELECT * FROM webhook_endpoints WHERE tenant_id = ${tenantId} ORDER BY created_at, endpoint_id`.execute(
    db,
  );
  return found.rows.map(view);
}

export async function getWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
): Promise<WebhookEndpoint | undefined> {
  const found = await sql<Row>`
    SELECT * FROM webhook_endpoints WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}`.execute(
    db,
  );
  const row = found.rows[0];
  return row ? view(row) : undefined;
}

/** The endpoint a delivery is addressed to, whichever tenant has it, with what verifies the delivery. */
export async function findWebhookEndpoint(
  db: Kysely<Database>,
  endpointId: string,
  now: Date,
): Promise<WebhookEndpointSecrets | undefined> {
  if (!WEBHOOK_ENDPOINT_ID_PATTERN.test(endpointId)) return undefined;
  const found = await sql<Row>`SELECT * FROM webhook_endpoints WHERE endpoint_id = ${endpointId}`.execute(db);
  const row = found.rows[0];
  if (!row) return undefined;
  const previousLive =
    row.previous_secret !== null &&
    row.previous_secret_until !== null &&
    row.previous_secret_until.getTime() > now.getTime();
  return {
    ...view(row),
    signingSecrets: [
      ...(row.secret !== null ? [row.secret] : []),
      ...(previousLive ? [row.previous_secret as string] : []),
    ],
    passwordHash: row.password_hash,
  };
}

export async function updateWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
  change: WebhookEndpointChange,
  now: Date,
): Promise<WebhookEndpoint | undefined> {
  return db.transaction().execute(async (trx) => {
    const found = await sql<Row>`
      SELECT * FROM webhook_endpoints WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      FOR UPDATE`.execute(trx);
    const row = found.rows[0];
    if (!row) return undefined;
    const rotating = change.secret !== undefined && row.secret !== null && change.secret !== row.secret;
    const keep = change.keepPreviousSecretSeconds ?? 24 * 3600;
    const previous = rotating
      ? { secret: row.secret, until: new Date(now.getTime() + keep * 1000) }
      : { secret: row.previous_secret, until: row.previous_secret_until };
    const disabledAt =
      change.disabled === undefined ? row.disabled_at : change.disabled ? (row.disabled_at ?? now) : null;
    const updated = await sql<Row>`
      UPDATE webhook_endpoints SET
        name = ${change.name ?? row.name},
        config = ${JSON.stringify(change.config ?? view(row).config)}::jsonb,
        secret = ${change.secret ?? row.secret},
        previous_secret = ${previous.secret},
        previous_secret_until = ${previous.until},
        disabled_at = ${disabledAt},
        updated_at = ${now}
      WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      RETURNING *`.execute(trx);
    return view(updated.rows[0] as Row);
  });
}

/** Deletes the endpoint with its event ids, delivery log and the subscriptions it has seen; false when the tenant has no such endpoint. */
export async function deleteWebhookEndpoint(
  db: Kysely<Database>,
  tenantId: string,
  endpointId: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const gone = await sql`
      DELETE FROM webhook_endpoints WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
      RETURNING endpoint_id`.execute(trx);
    if (gone.rows.length === 0) return false;
    await sql`DELETE FROM webhook_events WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}`.execute(
      trx,
    );
    await sql`
      DELETE FROM webhook_deliveries WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}`.execute(
      trx,
    );
    await sql`
      DELETE FROM billing_subscriptions WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}`.execute(
      trx,
    );
    return true;
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Chargebee's basic auth: the user name and the password the endpoint holds, compared in constant time
 * (both are always compared; digests of equal length, so the time says nothing about either).
 */
export function checkWebhookCredentials(
  endpoint: Pick<WebhookEndpointSecrets, 'username' | 'passwordHash'>,
  username: string,
  password: string,
): boolean {
  if (endpoint.username === null || endpoint.passwordHash === null) return false;
  const userOk = timingSafeEqual(digest(username), digest(endpoint.username));
  const passOk = timingSafeEqual(digest(password), Buffer.from(endpoint.passwordHash, 'hex'));
  return userOk && passOk;
}
