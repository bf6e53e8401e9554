import { createRoute, z } from '@hono/zod-openapi';
import { TenantExistsError } from '@statuskit/store';
import { type App, markApplied } from '../app-env.js';
import { requireAdmin, requireTenant } from '../auth.js';
import { ApiKeyBodySchema, KeyParams, TenantBodySchema } from '../input-schemas.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { ApiKeySchema, NewApiKeySchema, TenantSchema } from '../schemas.js';
import { iso } from '../views.js';
import { body, errors, json, problemResponse, security } from './common.js';

/** Answers that carry a secret must not be kept by any cache. */
const NO_STORE = { 'Cache-Control': 'no-store' };

const keyView = (k: {
  id: string;
  prefix: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  createdAt: k.createdAt.toISOString(),
  revokedAt: iso(k.revokedAt),
  lastUsedAt: iso(k.lastUsedAt),
});

export function registerTenantRoutes(app: App, deps: RouteDeps): void {
  const { store } = deps;
  app.use('/v1/tenants', requireAdmin(deps.auth));
  app.use('/v1/api-keys', requireTenant(deps.auth));
  app.use('/v1/api-keys/*', requireTenant(deps.auth));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tenants',
      tags: ['tenants'],
      summary: 'Create a tenant (admin token). Returns its first API key, shown once.',
      security,
      request: body(TenantBodySchema),
      responses: {
        201: json(
          z.object({ tenant: TenantSchema, apiKey: NewApiKeySchema }),
          'Created (Cache-Control: no-store)',
        ),
        400: errors[400],
        401: errors[401],
        403: problemResponse('Not the admin token'),
        409: problemResponse('Tenant id taken'),
        429: errors[429],
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      try {
        const tenant = await store.createTenant({ name: input.name, ...(input.id ? { id: input.id } : {}) });
        markApplied(c);
        const key = await store.createApiKey(tenant.id, 'initial');
        return c.json(
          {
            tenant: { ...tenant, createdAt: tenant.createdAt.toISOString() },
            apiKey: { ...keyView(key), key: key.key },
          },
          201,
          NO_STORE,
        );
      } catch (error) {
        if (error instanceof TenantExistsError) return fail(409, 'tenant-exists', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tenants',
      tags: ['tenants'],
      summary: 'List tenants (admin token).',
      security,
      responses: {
        200: json(z.object({ tenants: z.array(TenantSchema) }), 'Tenants'),
        401: errors[401],
        403: problemResponse('Not the admin token'),
        429: errors[429],
      },
    }),
    async (c) => {
      const tenants = await store.listTenants();
      return c.json({ tenants: tenants.map((t) => ({ ...t, createdAt: t.createdAt.toISOString() })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/api-keys',
      tags: ['api keys'],
      summary: "List the tenant's API keys (prefixes only).",
      security,
      responses: {
        200: json(z.object({ keys: z.array(ApiKeySchema) }), 'Keys'),
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => c.json({ keys: (await store.listApiKeys(c.var.tenantId)).map(keyView) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/api-keys',
      tags: ['api keys'],
      summary: 'Create an API key; the full key is in this response only.',
      security,
      request: body(ApiKeyBodySchema),
      responses: {
        201: json(NewApiKeySchema, 'Created (Cache-Control: no-store)'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
      },
    }),
    async (c) => {
      const key = await store.createApiKey(c.var.tenantId, c.req.valid('json').name);
      markApplied(c);
      return c.json({ ...keyView(key), key: key.key }, 201, NO_STORE);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/api-keys/{keyId}',
      tags: ['api keys'],
      summary: 'Revoke an API key.',
      security,
      request: { params: KeyParams },
      responses: {
        204: { description: 'Revoked' },
        400: errors[400],
        401: errors[401],
        404: errors[404],
        429: errors[429],
      },
    }),
    async (c) => {
      const revoked = await store.revokeApiKey(c.var.tenantId, c.req.valid('param').keyId);
      if (!revoked) return fail(404, 'api-key-not-found', 'No such API key for this tenant.');
      markApplied(c);
      return c.body(null, 204);
    },
  );
}
