import type { Server } from 'node:http';

/** Requests a server has received and not yet finished answering. */
export function trackRequests(server: Pick<Server, 'on'>): { readonly inFlight: number } {
  let inFlight = 0;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
    });
  });
  return {
    get inFlight() {
      return inFlight;
    },
  };
}

/**
 * Stops taking connections and waits for the requests in flight to be answered (idle keep-alive
 * connections are closed at once; answers given meanwhile say `Connection: close`). When `abandon` aborts
 * first, the connections still open are cut. Resolves with the number of requests cut.
 */
export async function closeServer(
  server: Server,
  requests: { readonly inFlight: number },
  abandon: AbortSignal,
): Promise<number> {
  let cut = 0;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const onAbort = () => {
    cut = requests.inFlight;
    server.closeAllConnections();
  };
  if (abandon.aborted) onAbort();
  else abandon.addEventListener('abort', onAbort, { once: true });
  try {
    await closed;
  } finally {
    abandon.removeEventListener('abort', onAbort);
  }
  return cut;
}

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
