import { readdirSync, readFileSync } from 'node:fs';
import type { Context } from 'hono';
import type { App, AppEnv } from './app-env.js';

/** The page may load its own script and style and call its own origin's API; nothing else. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * The settings page (`/settings`, and `/` leads there): static HTML, script modules and a style that talk
 * to the API with the tenant's key, every file of `static/settings/` read once at start.
 */
export function registerSettingsPage(app: App): void {
  const dir = new URL('../static/settings/', import.meta.url);
  const assets = readdirSync(dir)
    .map((file) => [file, TYPES[file.split('.').pop() ?? '']] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([file, type]) => [file === 'index.html' ? '/settings' : `/settings/${file}`, file, type] as const);
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
