import type { OpenAPIHono } from '@hono/zod-openapi';

// The app's types, apart from app.ts (which imports every route registrar), so the registrars can name them
// without an import cycle.

/** What the auth middleware puts on the context. */
export interface AppEnv {
  Variables: { tenantId: string };
}

/** The API's Hono app, as every route registrar receives it. */
export type App = OpenAPIHono<AppEnv>;
