import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';

// The app's types, apart from app.ts (which imports every route registrar), so the registrars can name them
// without an import cycle.

/** What the middleware puts on the context: the request's id (request-context.ts) and the tenant (auth). */
export interface AppEnv {
  Variables: {
    tenantId: string;
    /** The request's id: `X-Request-Id` in the answer, `instance` in problems, `requestId` in the log. */
    requestId: string;
    /** Set once the request's change is committed: a later failure must not say it was not applied. */
    applied: boolean;
  };
}

/** The API's Hono app, as every route registrar receives it. */
export type App = OpenAPIHono<AppEnv>;

/** Marks the request's change as committed (see AppEnv). */
export const markApplied = (c: Context<AppEnv>) => c.set('applied', true);
