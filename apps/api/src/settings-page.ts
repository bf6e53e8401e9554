import { readdirSync } from 'node:fs';
import type { App } from './app-env.js';
import { SHARED_STYLE, serveStaticFiles } from './static-files.js';

/**
 * The settings page (`/settings`, and `/` leads there): static HTML, script modules and a style that talk
 * to the API with the tenant's key, every file of `static/settings/` read once at start (and the pages'
 * shared style).
 */
export function registerSettingsPage(app: App): void {
  const dir = new URL('../static/settings/', import.meta.url);
  serveStaticFiles(app, [
    ...readdirSync(dir).map((file) => ({
      path: file === 'index.html' ? '/settings' : `/settings/${file}`,
      file: new URL(file, dir),
    })),
    { path: '/settings/page.css', file: SHARED_STYLE },
  ]);
  app.get('/', (c) => c.redirect('/settings'));
}
