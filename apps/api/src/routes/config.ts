import { createRoute } from '@hono/zod-openapi';
import { checkCatalog, classifyStatus, compileRules, evaluate, validateRules } from '@statuskit/core';
import { coreAccount, type Store } from '@statuskit/store';
import type { App } from '../app-env.js';
import { requireTenant } from '../auth.js';
import { fail } from '../problem.js';
import {
  CatalogBodySchema,
  CatalogResponseSchema,
  RulesBodySchema,
  RulesPreviewSchema,
  RulesResponseSchema,
} from '../schemas.js';
import { eligibilityView } from '../views.js';
import { body, errors, json, security } from './common.js';

const SAMPLES = 20;

export function registerConfigRoutes(app: App, store: Store, now: () => Date): void {
  for (const path of ['/v1/catalog', '/v1/rules', '/v1/rules/*']) app.use(path, requireTenant(store));

  const catalogResponse = async (tenantId: string) => {
    const { catalog, version, updatedAt } = await store.getCatalog(tenantId);
    return { catalog: catalog.toJSON(), version, updatedAt: updatedAt.toISOString() };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/catalog',
      tags: ['catalog'],
      summary: "The tenant's catalog of statuses.",
      security,
      responses: { 200: json(CatalogResponseSchema, 'Catalog'), 401: errors[401] },
    }),
    async (c) => c.json((await catalogResponse(c.var.tenantId)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/catalog',
      tags: ['catalog'],
      summary: 'Replace the catalog; every account is re-classified.',
      security,
      request: body(CatalogBodySchema),
      responses: {
        200: json(
          CatalogResponseSchema.extend({ reclassified: CatalogResponseSchema.shape.version }),
          'Saved',
        ),
        400: errors[400],
        401: errors[401],
      },
    }),
    async (c) => {
      const checked = checkCatalog(c.req.valid('json'));
      if (!checked.ok)
        return fail(400, 'invalid-catalog', 'The catalog is not valid.', { errors: checked.issues });
      const { reclassified } = await store.putCatalog(c.var.tenantId, checked.catalog);
      return c.json({ ...(await catalogResponse(c.var.tenantId)), reclassified } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/rules',
      tags: ['rules'],
      summary: "The tenant's eligibility rules.",
      security,
      responses: { 200: json(RulesResponseSchema, 'Rules'), 401: errors[401] },
    }),
    async (c) => {
      const { rules, version, updatedAt } = await store.getRules(c.var.tenantId);
      return c.json(
        {
          rules: [...rules],
          version,
          updatedAt: updatedAt.toISOString(),
          warnings: validateRules(rules).warnings,
        } as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/rules',
      tags: ['rules'],
      summary:
        'Replace the eligibility rules (validated; warnings come back for legal but surprising rules).',
      security,
      request: body(RulesBodySchema),
      responses: { 200: json(RulesResponseSchema, 'Saved'), 400: errors[400], 401: errors[401] },
    }),
    async (c) => {
      const checked = validateRules(c.req.valid('json'));
      if (!checked.ok)
        return fail(400, 'invalid-rules', 'The rules are not valid.', {
          errors: checked.errors,
          warnings: checked.warnings,
        });
      await store.putRules(c.var.tenantId, checked.rules);
      const { rules, version, updatedAt } = await store.getRules(c.var.tenantId);
      return c.json(
        {
          rules: [...rules],
          version,
          updatedAt: updatedAt.toISOString(),
          warnings: checked.warnings,
        } as never,
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/rules/preview',
      tags: ['rules'],
      summary: 'Dry run: who would enter or leave health with the proposed rules. Nothing is saved.',
      security,
      request: body(RulesBodySchema),
      responses: { 200: json(RulesPreviewSchema, 'Preview'), 400: errors[400], 401: errors[401] },
    }),
    async (c) => {
      const checked = validateRules(c.req.valid('json'));
      if (!checked.ok)
        return fail(400, 'invalid-rules', 'The proposed rules are not valid.', {
          errors: checked.errors,
          warnings: checked.warnings,
        });
      const tenantId = c.var.tenantId;
      const proposed = compileRules(checked.rules);
      const [{ catalog }, { evaluator: current }] = [
        await store.getCatalog(tenantId),
        await store.getRules(tenantId),
      ];
      const options = { asOf: now().getTime() };
      let total = 0;
      let eligibleNow = 0;
      let eligibleWithProposed = 0;
      const entering: {
        accountId: string;
        status: string | null;
        eligibility: ReturnType<typeof eligibilityView>;
      }[] = [];
      const leaving: typeof entering = [];
      let enteringCount = 0;
      let leavingCount = 0;
      for await (const page of store.iterateAccounts(tenantId)) {
        for (const stored of page) {
          const account = coreAccount(stored);
          const cls = classifyStatus(account.status, catalog);
          const before = evaluate(cls, account, current, options);
          const after = evaluate(cls, account, proposed, options);
          total++;
          if (before.eligible) eligibleNow++;
          if (after.eligible) eligibleWithProposed++;
          if (!before.eligible && after.eligible) {
            enteringCount++;
            if (entering.length < SAMPLES)
              entering.push({
                accountId: stored.id,
                status: stored.status,
                eligibility: eligibilityView(after),
              });
          } else if (before.eligible && !after.eligible) {
            leavingCount++;
            if (leaving.length < SAMPLES)
              leaving.push({
                accountId: stored.id,
                status: stored.status,
                eligibility: eligibilityView(after),
              });
          }
        }
      }
      return c.json(
        {
          total,
          eligibleNow,
          eligibleWithProposed,
          entering: enteringCount,
          leaving: leavingCount,
          samples: { entering, leaving },
          warnings: checked.warnings,
        } as never,
        200,
      );
    },
  );
}
