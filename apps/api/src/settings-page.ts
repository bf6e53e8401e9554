import type { App } from './app-env.js';
import { SHARED_STYLE, serveStaticFiles } from './static-files.js';

/**
 * The catalog settings page (`/settings`, and `/` leads there): static HTML, a script and a style that
 * talk to the API with the tenant's key, read once at start from `static/settings/` (and the pages' shared
 * style).
 */
export function registerSettingsPage(app: App): void {
  const dir = new URL('../static/settings/', import.meta.url);
  serveStaticFiles(app, [
    { path: '/settings', file: new URL('index.html', dir) },
    { path: '/settings/app.js', file: new URL('app.js', dir) },
    { path: '/settings/app.css', file: new URL('app.css', dir) },
    { path: '/settings/page.css', file: SHARED_STYLE },
  ]);
  app.get('/', (c) => c.redirect('/settings'));
}
