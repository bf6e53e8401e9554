import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { App } from './app-env.js';
import { SHARED_STYLE, serveStaticFiles } from './static-files.js';

/** uPlot's browser build and style, from the installed package (resolved once, at start). */
function uplotFiles(): { script: URL; style: URL } {
  const require = createRequire(import.meta.url);
  return {
    script: pathToFileURL(require.resolve('uplot/dist/uPlot.iife.min.js')),
    style: pathToFileURL(require.resolve('uplot/dist/uPlot.min.css')),
  };
}

/**
 * The dashboard (`/dashboard`): static HTML, scripts and a style from `static/dashboard/` that read the
 * API with the tenant's key, and the charting library (uPlot) served from its own package, so the page works
 * offline and under the same Content-Security-Policy as the settings page.
 */
export function registerDashboardPage(app: App): void {
  const dir = new URL('../static/dashboard/', import.meta.url);
  const uplot = uplotFiles();
  serveStaticFiles(app, [
    { path: '/dashboard', file: new URL('index.html', dir) },
    ...readdirSync(dir)
      .filter((name) => name !== 'index.html')
      .map((name) => ({ path: `/dashboard/${name}`, file: new URL(name, dir) })),
    { path: '/dashboard/page.css', file: SHARED_STYLE },
    { path: '/dashboard/vendor/uplot.js', file: uplot.script },
    { path: '/dashboard/vendor/uplot.css', file: uplot.style },
  ]);
  app.get('/dashboard/', (c) => c.redirect('/dashboard'));
}
