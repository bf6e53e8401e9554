import { timingSafeEqual } from 'node:crypto';
import type { Store } from '@statuskit/store';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';
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

/** Tenant routes: a valid, unrevoked API key; its tenant becomes `c.var.tenantId`. */
export function requireTenant(store: Store): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c);
    if (!key) fail(401, 'unauthenticated', 'Send your API key as `Authorization: Bearer sk_...`.');
    const found = await store.verifyApiKey(key as string);
    if (!found) fail(401, 'invalid-api-key', 'The API key is not valid or was revoked.');
    c.set('tenantId', (found as { tenantId: string }).tenantId);
    await next();
  };
}

/** Administration routes: the admin token from STATUSKIT_ADMIN_TOKEN. */
export function requireAdmin(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (!token) fail(401, 'unauthenticated', 'Send the admin token as `Authorization: Bearer <token>`.');
    if (!adminToken)
      fail(
        403,
        'admin-disabled',
        'Tenant administration is off: start the API with STATUSKIT_ADMIN_TOKEN set.',
      );
    if (!sameSecret(token as string, adminToken as string))
      fail(403, 'forbidden', 'This endpoint needs the admin token.');
    await next();
  };
}
