import { timingSafeEqual } from 'node:crypto';
import type { Store } from '@statuskit/store';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';
import { type AuthFailureLimiter, clientAddress } from './auth-limiter.js';
import { fail } from './problem.js';

export function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface AuthOptions {
  readonly store: Store;
  readonly adminToken: string | undefined;
  /** Failed-authentication limiter; undefined turns the limit off. */
  readonly limiter: AuthFailureLimiter | undefined;
  readonly trustProxy: boolean;
}

/**
 * Checks a presented credential under the failure limit: 429 with Retry-After while the client address or
 * the credential's bucket (its key id) is blocked; a wrong credential counts against both.
 */
async function guarded(
  c: Context<AppEnv>,
  options: AuthOptions,
  credential: string | undefined,
  check: () => Promise<boolean>,
): Promise<void> {
  const buckets = [`address:${clientAddress(c, options.trustProxy)}`, ...(credential ? [credential] : [])];
  const wait = options.limiter?.blocked(buckets);
  if (wait !== undefined)
    fail(
      429,
      'too-many-failed-authentications',
      `Too many failed authentications from this address or for this key; try again in ${wait} s.`,
      { retryAfterSeconds: wait },
      { 'Retry-After': String(wait) },
    );
  if (!(await check())) options.limiter?.fail(buckets);
}

/** Tenant routes: a valid, unrevoked API key; its tenant becomes `c.var.tenantId`. */
export function requireTenant(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c);
    if (!key) return fail(401, 'unauthenticated', 'Send your API key as `Authorization: Bearer sk_...`.');
    const keyId = /^sk_([0-9a-f]{16})_/.exec(key)?.[1];
    let tenantId: string | undefined;
    await guarded(c, options, keyId && `key:${keyId}`, async () => {
      tenantId = (await options.store.verifyApiKey(key))?.tenantId;
      return tenantId !== undefined;
    });
    if (tenantId === undefined)
      return fail(401, 'invalid-api-key', 'The API key is not valid or was revoked.');
    c.set('tenantId', tenantId);
    await next();
  };
}

/** Administration routes: the admin token from STATUSKIT_ADMIN_TOKEN. */
export function requireAdmin(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (!token)
      return fail(401, 'unauthenticated', 'Send the admin token as `Authorization: Bearer <token>`.');
    const adminToken = options.adminToken;
    if (!adminToken)
      return fail(
        403,
        'admin-disabled',
        'Tenant administration is off: start the API with STATUSKIT_ADMIN_TOKEN set.',
      );
    let ok = false;
    await guarded(c, options, 'admin-token', async () => {
      ok = sameSecret(token, adminToken);
      return ok;
    });
    if (!ok) return fail(403, 'forbidden', 'This endpoint needs the admin token.');
    await next();
  };
}
