import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a server, for tests that take the server away and give it
 * back without touching it (the machine's PostgreSQL, say). The mode changes at once, never on a timer:
 *
 * - `forward`: bytes go both ways (the default).
 * - `refuse`: every open connection is reset and new ones are reset as soon as they are accepted, as when
 *   the server is down or restarting.
 * - `blackhole`: connections are accepted and kept, but no byte goes either way, as when the network
 *   drops packets: a client waits until its own timeout.
 */
export interface TcpProxy {
  readonly port: number;
  /** `postgres://...@host:port/db` with the proxy's host and port instead. */
  rewrite(url: string): string;
  mode(mode: TcpProxyMode): void;
  /** Connections accepted so far (including refused ones). */
  readonly accepted: number;
  close(): Promise<void>;
}

export type TcpProxyMode = 'forward' | 'refuse' | 'blackhole';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  piped: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let current: TcpProxyMode = 'forward';
  let accepted = 0;
  const pairs = new Set<Pair>();
  const held = new Set<Socket>();

  const drop = (pair: Pair) => {
    pair.client.resetAndDestroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };
  const pipe = (pair: Pair) => {
    if (pair.piped) return;
    pair.piped = true;
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const pause = (pair: Pair) => {
    pair.piped = false;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };
  const open = (client: Socket) => {
    const upstream = tcpConnect(target.port, target.host);
    const pair: Pair = { client, upstream, piped: false };
    pairs.add(pair);
    const end = () => {
      if (pairs.has(pair)) drop(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (current === 'forward') pipe(pair);
    else pause(pair);
  };

  const server = createServer((client) => {
    accepted++;
    if (current === 'refuse') {
      client.on('error', () => {});
      client.resetAndDestroy();
    } else if (current === 'blackhole') {
      client.on('error', () => {});
      client.pause();
      held.add(client);
      client.once('close', () => held.delete(client));
    } else open(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    get accepted() {
      return accepted;
    },
    rewrite(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    mode(mode) {
      current = mode;
      if (mode === 'refuse') {
        for (const pair of [...pairs]) drop(pair);
        for (const socket of [...held]) socket.resetAndDestroy();
      } else if (mode === 'blackhole') {
        for (const pair of pairs) pause(pair);
      } else {
        for (const pair of pairs) pipe(pair);
        // Connections accepted while black-holed are carried through now, as a recovered network would.
        for (const socket of [...held]) {
          held.delete(socket);
          open(socket);
        }
      }
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      for (const socket of [...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
