import type { OpenAPIHono } from '@hono/zod-openapi';

// The app's types, apart from app.ts (which imports every route registrar), so the registrars can name them
// without an import cycle.

/** What the middleware puts on the context: the request's id (request-context.ts) and the tenant (auth). */
export interface AppEnv {
  Variables: { tenantId: string; requestId: string };
}

/** The API's Hono app, as every route registrar receives it. */
export type App = OpenAPIHono<AppEnv>;
