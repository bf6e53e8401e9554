import type { App } from '../app-env.js';
import type { ApiMetrics } from '../metrics.js';
import { sendProblem } from '../problem.js';
import type { Readiness } from '../readiness.js';

/** `/readyz` (503 with a problem body when not ready) and, when asked for, `/metrics`. */
export function registerOperationsRoutes(
  app: App,
  options: { readiness: Readiness; metrics?: ApiMetrics | undefined },
): void {
  app.get('/readyz', async (c) => {
    c.header('Cache-Control', 'no-store');
    const answer = await options.readiness.check();
    if (!answer.ready) return sendProblem(c, answer.problem);
    return c.json({ ready: true, engine: answer.engine, schemaVersion: answer.schemaVersion });
  });
  const { metrics } = options;
  if (metrics)
    app.get('/metrics', async (c) => {
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    });
}
