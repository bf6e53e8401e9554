import type { Hono } from 'hono';

const tables = new WeakMap<object, { pattern: RegExp; methods: string[] }[]>();

/** A Hono route path (`/v1/accounts/:accountId`) as a pattern over request paths. */
function patternOf(path: string): RegExp {
  const parts = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * The methods some route answers at `path` (HEAD wherever GET is), for the `Allow` header of a 405. Read
 * from the app's routes once, after they are all registered.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment
export function allowedMethods(app: Hono<any>, path: string): string[] {
  let table = tables.get(app);
  if (!table) {
    const byPath = new Map<string, Set<string>>();
    for (const r of app.routes) {
      if (r.method === 'ALL') continue;
      const methods = byPath.get(r.path) ?? new Set<string>();
      methods.add(r.method);
      if (r.method === 'GET') methods.add('HEAD');
      byPath.set(r.path, methods);
    }
    table = [...byPath].map(([p, methods]) => ({ pattern: patternOf(p), methods: [...methods].sort() }));
    tables.set(app, table);
  }
  const allowed = new Set<string>();
  for (const { pattern, methods } of table) if (pattern.test(path)) for (const m of methods) allowed.add(m);
  return [...allowed].sort();
}
