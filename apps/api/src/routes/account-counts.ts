import { createRoute, z } from '@hono/zod-openapi';
import type { Store } from '@statuskit/store';
import type { App } from '../app-env.js';
import { errors, json, security } from './common.js';

const typeCounts = z.object({ free: z.number(), paying: z.number(), cancelled: z.number() });

export const AccountCountsSchema = z
  .object({
    total: z.number(),
    byType: typeCounts.extend({ unknown: z.number() }).openapi({
      description: 'Every account by status-type, non-customers included (as /v1/metrics counts each day).',
    }),
    customers: z.object({
      total: z.number(),
      byType: typeCounts,
      trial: z.number().openapi({ description: 'Customers on a trial status.' }),
      byPlan: z.array(z.object({ plan: z.string(), count: z.number() })).openapi({
        description: 'Paying customers per plan; every paying plan of the catalog, 0 when empty.',
      }),
    }),
    nonCustomers: z
      .object({ total: z.number(), byType: typeCounts })
      .openapi({ description: 'Accounts on statuses marked nonCustomer (demo, sandbox, internal).' }),
    unknown: z.object({
      total: z.number(),
      byReason: z.object({
        missing: z.number(),
        empty: z.number(),
        'not-in-catalog': z.number(),
        'not-a-string': z.number(),
      }),
    }),
    statuses: z
      .array(
        z.object({
          status: z.string(),
          type: z.enum(['free', 'paying', 'cancelled']),
          plan: z.string().nullable(),
          trial: z.boolean(),
          nonCustomer: z.boolean(),
          count: z.number(),
        }),
      )
      .openapi({ description: 'Every catalog status in catalog order, 0 when no account has it.' }),
  })
  .openapi('AccountCounts');

/** `GET /v1/reports/accounts`: where the accounts are now (the auth of `/v1/reports/*` applies). */
export function registerAccountCountRoutes(app: App, store: Store): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/accounts',
      tags: ['reports'],
      summary:
        'Accounts now: by status-type and status, customers by plan, non-customers apart, Unknown by reason.',
      security,
      responses: { 200: json(AccountCountsSchema, 'Counts'), 401: errors[401] },
    }),
    async (c) => c.json((await store.accountCounts(c.var.tenantId)) as never, 200),
  );
}
