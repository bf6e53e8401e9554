import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiMetrics } from './metrics.js';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` on a listener of its own (STATUSKIT_METRICS_PORT), so scrapes reach it on a port the API's
 * users never see. It answers nothing else (404).
 */
export async function startMetricsServer(
  metrics: ApiMetrics,
  options: { port: number; host: string },
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, {
        'Content-Type': 'text/plain; charset=utf-8',
        ...(path === '/metrics' ? { Allow: 'GET, HEAD' } : {}),
      });
      res.end(path === '/metrics' ? 'Method not allowed\n' : 'Not found: this port serves /metrics only\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Could not collect the metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
