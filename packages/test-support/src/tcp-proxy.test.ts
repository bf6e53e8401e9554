import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let echo: Server;
let proxy: TcpProxy;
beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = echo.address();
  proxy = await startTcpProxy({
    host: '127.0.0.1',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});
afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

const connect = async () => {
  const socket = tcpConnect(proxy.port, '127.0.0.1');
  socket.setEncoding('utf8');
  await once(socket, 'connect');
  return socket;
};
const read = (socket: Socket, text: string) =>
  new Promise<string>((resolve) => {
    let got = '';
    const on = (d: string) => {
      got += d;
      if (got.includes(text)) {
        socket.off('data', on);
        resolve(got);
      }
    };
    socket.on('data', on);
  });

describe('a TCP proxy for taking a server away', () => {
  it('forwards, holds bytes while black-holed and delivers them once forwarding again, and resets on refuse', async () => {
    proxy.mode('forward');
    const a = await connect();
    a.write('one');
    expect(await read(a, 'one')).toBe('one');

    proxy.mode('blackhole');
    let held = '';
    a.on('data', (d: string) => {
      held += d;
    });
    a.write('two');
    const b = await connect(); // accepted while black-holed
    b.write('three');
    const bRead = read(b, 'three');
    // Nothing comes back while black-holed; the bytes arrive once the proxy forwards again.
    expect(held).toBe('');
    proxy.mode('forward');
    await expect.poll(() => held).toBe('two');
    expect(await bRead).toBe('three');

    a.on('error', () => {});
    b.on('error', () => {});
    // (events.once would reject on the reset's 'error'; 'close' follows it.)
    const closed = [a, b].map((s) => new Promise((resolve) => s.once('close', resolve)));
    proxy.mode('refuse');
    await Promise.all(closed);
    const c = tcpConnect(proxy.port, '127.0.0.1');
    const refused = await new Promise<string>((resolve) => {
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      c.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed']).toContain(refused);

    proxy.mode('forward');
    const d = await connect();
    d.write('four');
    expect(await read(d, 'four')).toBe('four');
    d.destroy();
  });
});
