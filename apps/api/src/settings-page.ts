import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import type { App, AppEnv } from './app-env.js';

/** The page may load its own script and style and call its own origin's API; nothing else. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const assets = [
  ['/settings', 'index.html', 'text/html; charset=utf-8'],
  ['/settings/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/settings/app.css', 'app.css', 'text/css; charset=utf-8'],
] as const;

/**
 * The catalog settings page (`/settings`, and `/` leads there): static HTML, a script and a style that
 * talk to the API with the tenant's key, read once at start from `static/settings/`.
 */
export function registerSettingsPage(app: App): void {
  const dir = new URL('../static/settings/', import.meta.url);
  for (const [path, file, type] of assets) {
    const body = readFileSync(new URL(file, dir), 'utf8');
    app.get(path, (c: Context<AppEnv>) =>
      c.body(body, 200, {
        'content-type': type,
        'content-security-policy': CSP,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      }),
    );
  }
  app.get('/', (c) => c.redirect('/settings'));
}
