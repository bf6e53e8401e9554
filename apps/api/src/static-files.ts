import { readFileSync } from 'node:fs';
import type { Context } from 'hono';
import type { App, AppEnv } from './app-env.js';

/** The pages may load their own scripts and styles and call their own origin's API; nothing else. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The style the settings page and the dashboard share; each serves it as its own `page.css`. */
export const SHARED_STYLE = new URL('../static/shared/page.css', import.meta.url);

/** A file served at `path`; its content type comes from its name's ending. */
export interface StaticFile {
  readonly path: string;
  readonly file: URL;
}

/**
 * Serves files read once at start (a missing file fails the start, not a request) with the pages' headers:
 * the Content-Security-Policy above, no caching without revalidation, no sniffing, no referrer.
 */
export function serveStaticFiles(app: App, files: readonly StaticFile[]): void {
  for (const { path, file } of files) {
    const type = TYPES[file.pathname.split('.').pop() ?? ''];
    if (!type) throw new Error(`no content type for ${file.pathname}`);
    const body = readFileSync(file, 'utf8');
    app.get(path, (c: Context<AppEnv>) =>
      c.body(body, 200, {
        'content-type': type,
        'content-security-policy': PAGE_CSP,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      }),
    );
  }
}

/** The pages' shared modules (`static/shared/*.js`), at `/shared/...`: the pages import `../shared/dom.js`. */
export function registerSharedModules(app: App): void {
  const dir = new URL('../static/shared/', import.meta.url);
  serveStaticFiles(app, [{ path: '/shared/dom.js', file: new URL('dom.js', dir) }]);
}
