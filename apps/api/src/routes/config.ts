import { createRoute } from '@hono/zod-openapi';
import {
  checkCatalog,
  classifyStatus,
  compileRules,
  evaluate,
  type RuleErrorCount,
  validateRules,
} from '@statuskit/core';
import type { Context } from 'hono';
import { type App, type AppEnv, markApplied } from '../app-env.js';
import { requireTenant } from '../auth.js';
import { CatalogBodySchema, IfMatchHeaders, RulesBodySchema } from '../input-schemas.js';
import { fail } from '../problem.js';
import type { RouteDeps } from '../route-deps.js';
import { CatalogResponseSchema, RulesPreviewSchema, RulesResponseSchema } from '../schemas.js';
import { eligibilityView } from '../views.js';
import { body, errors, json, preconditionFailed, security } from './common.js';

const SAMPLES = 20;
/** Sample accounts per failing rule (as RuleErrorTally keeps). */
const RULE_ERROR_SAMPLES = 5;

/** An entity tag for a version of the catalog or the rules. */
const etag = (version: number) => `"${version}"`;

/**
 * The version an `If-Match` header asks to save over: undefined for none or `*` (the resource always
 * exists), else the current version when one of the listed strong tags names it; otherwise a 412.
 */
async function expectedVersion(
  header: string | undefined,
  current: () => Promise<number>,
): Promise<number | undefined> {
  if (header === undefined || header.trim() === '*') return undefined;
  const versions = [...header.matchAll(/(W\/)?"([^"]*)"/g)]
    .filter((m) => m[1] === undefined && /^[0-9]{1,15}$/.test(m[2] as string))
    .map((m) => Number(m[2]));
  if (versions.length === 1) return versions[0];
  const version = await current();
  if (versions.includes(version)) return version;
  return fail(
    412,
    'version-conflict',
    `The current version is ${version}, not one If-Match names: someone saved it since it was read.`,
    { currentVersion: version },
    { ETag: etag(version) },
  );
}

export function registerConfigRoutes(app: App, deps: RouteDeps): void {
  const { store, now } = deps;
  for (const path of ['/v1/catalog', '/v1/rules', '/v1/rules/*']) app.use(path, requireTenant(deps.auth));

  const catalogResponse = async (c: Context<AppEnv>) => {
    const { catalog, version, updatedAt } = await store.getCatalog(c.var.tenantId);
    c.header('ETag', etag(version));
    return { catalog: catalog.toJSON(), version, updatedAt: updatedAt.toISOString() };
  };
  const rulesResponse = async (
    c: Context<AppEnv>,
    warnings?: ReturnType<typeof validateRules>['warnings'],
  ) => {
    const { rules, version, updatedAt } = await store.getRules(c.var.tenantId);
    c.header('ETag', etag(version));
    return {
      rules: [...rules],
      version,
      updatedAt: updatedAt.toISOString(),
      warnings: warnings ?? validateRules(rules).warnings,
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/catalog',
      tags: ['catalog'],
      summary: "The tenant's catalog of statuses (ETag: its version).",
      security,
      responses: { 200: json(CatalogResponseSchema, 'Catalog'), 401: errors[401], 429: errors[429] },
    }),
    async (c) => c.json((await catalogResponse(c)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/catalog',
      tags: ['catalog'],
      summary: 'Replace the catalog; every account is re-classified. With If-Match, only over that version.',
      security,
      request: { headers: IfMatchHeaders, ...body(CatalogBodySchema) },
      responses: {
        200: json(
          CatalogResponseSchema.extend({ reclassified: CatalogResponseSchema.shape.version }),
          'Saved',
        ),
        400: errors[400],
        401: errors[401],
        412: preconditionFailed,
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const checked = checkCatalog(c.req.valid('json'));
      if (!checked.ok)
        return fail(400, 'invalid-catalog', 'The catalog is not valid.', { errors: checked.issues });
      const expected = await expectedVersion(
        c.req.valid('header')['if-match'],
        async () => (await store.getCatalog(tenantId)).version,
      );
      const { reclassified } = await store.putCatalog(tenantId, checked.catalog, {
        expectedVersion: expected,
      });
      markApplied(c);
      return c.json({ ...(await catalogResponse(c)), reclassified } as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/rules',
      tags: ['rules'],
      summary: "The tenant's eligibility rules (ETag: their version).",
      security,
      responses: { 200: json(RulesResponseSchema, 'Rules'), 401: errors[401], 429: errors[429] },
    }),
    async (c) => c.json((await rulesResponse(c)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/rules',
      tags: ['rules'],
      summary:
        'Replace the eligibility rules (validated; warnings come back for legal but surprising rules). With If-Match, only over that version.',
      security,
      request: { headers: IfMatchHeaders, ...body(RulesBodySchema) },
      responses: {
        200: json(RulesResponseSchema, 'Saved'),
        400: errors[400],
        401: errors[401],
        412: preconditionFailed,
        429: errors[429],
      },
    }),
    async (c) => {
      const tenantId = c.var.tenantId;
      const checked = validateRules(c.req.valid('json'));
      if (!checked.ok)
        return fail(400, 'invalid-rules', 'The rules are not valid.', {
          errors: checked.errors,
          warnings: checked.warnings,
        });
      const expected = await expectedVersion(
        c.req.valid('header')['if-match'],
        async () => (await store.getRules(tenantId)).version,
      );
      await store.putRules(tenantId, checked.rules, { expectedVersion: expected });
      markApplied(c);
      return c.json((await rulesResponse(c, checked.warnings)) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/rules/preview',
      tags: ['rules'],
      summary:
        'Dry run: who would enter or leave health with the proposed rules, and on which accounts a rule would fail. Nothing is saved.',
      security,
      request: body(RulesBodySchema),
      responses: {
        200: json(RulesPreviewSchema, 'Preview'),
        400: errors[400],
        401: errors[401],
        429: errors[429],
        503: errors[503],
      },
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
      // Accounts that look the same to both rule sets (same raw status, and the same attributes and
      // observation time when a rule reads them) get the same decisions: evaluate each group once, then
      // fetch the first accounts of the groups that enter, leave or fail, in the order of listing.
      const uses = (f: 'attributes' | 'statusObservedAt' | 'daysInStatus') =>
        current.usesFacts.has(f) || proposed.usesFacts.has(f);
      const reads = {
        attributes: uses('attributes'),
        observed: uses('statusObservedAt') || uses('daysInStatus'),
      };
      const groups = await store.ruleInputGroups(tenantId, reads);
      let total = 0;
      let eligibleNow = 0;
      let eligibleWithProposed = 0;
      let enteringCount = 0;
      let leavingCount = 0;
      const enteringGroups: number[] = [];
      const leavingGroups: number[] = [];
      const afterOf: ReturnType<typeof evaluate>[] = [];
      const failing = new Map<number, { rule: string; groups: number[]; accounts: number }>();
      for (const [i, g] of groups.entries()) {
        const account = {
          id: '',
          status: g.status ?? undefined,
          attributes: g.attributes,
          statusObservedAt: g.observedMs,
        };
        const cls = classifyStatus(account.status, catalog);
        const before = evaluate(cls, account, current, options);
        const after = evaluate(cls, account, proposed, options);
        afterOf[i] = after;
        total += g.accounts;
        if (before.eligible) eligibleNow += g.accounts;
        if (after.eligible) eligibleWithProposed += g.accounts;
        if (!before.eligible && after.eligible) {
          enteringCount += g.accounts;
          enteringGroups.push(i);
        } else if (before.eligible && !after.eligible) {
          leavingCount += g.accounts;
          leavingGroups.push(i);
        }
        for (const r of after.ruleErrors ?? []) {
          const f = failing.get(r.index) ?? { rule: r.rule, groups: [], accounts: 0 };
          f.groups.push(i);
          f.accounts += g.accounts;
          failing.set(r.index, f);
        }
      }
      const firstOf = async (indexes: readonly number[], limit: number) => {
        const found = await store.firstAccountsOfGroups(
          tenantId,
          indexes.map((i) => groups[i] as (typeof groups)[number]),
          reads,
          limit,
        );
        return found.map((f) => ({ accountId: f.accountId, group: indexes[f.group] as number }));
      };
      const sample = async (indexes: readonly number[]) =>
        (await firstOf(indexes, SAMPLES)).map((f) => ({
          accountId: f.accountId,
          status: groups[f.group]?.status ?? null,
          eligibility: eligibilityView(afterOf[f.group] as ReturnType<typeof evaluate>),
        }));
      const entering = await sample(enteringGroups);
      const leaving = await sample(leavingGroups);
      const ruleErrors: RuleErrorCount[] = [];
      for (const [index, f] of [...failing].sort(([a], [b]) => a - b)) {
        const first = await firstOf(f.groups, RULE_ERROR_SAMPLES);
        const error = afterOf[first[0]?.group ?? (f.groups[0] as number)]?.ruleErrors?.find(
          (r) => r.index === index,
        );
        ruleErrors.push({
          rule: f.rule,
          index,
          message: error?.message ?? '',
          accounts: f.accounts,
          sampleAccountIds: first.map((x) => x.accountId),
        });
      }
      return c.json(
        {
          total,
          eligibleNow,
          eligibleWithProposed,
          entering: enteringCount,
          leaving: leavingCount,
          samples: { entering, leaving },
          ruleErrors,
          warnings: checked.warnings,
        } as never,
        200,
      );
    },
  );
}
