// Outbound webhooks against real API processes (the built dist/main.js) on PGlite and PostgreSQL, with a
// receiver on loopback (STATUSKIT_WEBHOOKS_ALLOW_PRIVATE=1) behind a TCP proxy that can take it away.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEngines } from '@statuskit/store/testing';
import {
  type ApiProcess,
  apiDatabase,
  scaled,
  startApi,
  startTcpProxy,
  type TcpProxy,
} from '@statuskit/test-support';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

interface Received {
  readonly path: string;
  readonly id: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** An HTTP receiver on 127.0.0.1 that acknowledges every POST and records it. */
class Receiver {
  readonly received: Received[] = [];
  #waiters: (() => void)[] = [];
  server!: Server;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        this.received.push({
          path: req.url ?? '',
          id: String(req.headers['webhook-id']),
          headers: req.headers,
          body,
          json: JSON.parse(body),
        });
        res.writeHead(204).end();
        for (const w of this.#waiters.splice(0)) w();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** Resolves once `predicate` holds over what was received (checked at each arrival). */
  async until(predicate: (r: readonly Received[]) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + scaled(60_000);
    while (!predicate(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver: timed out waiting for ${what}; got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const FAST = {
  STATUSKIT_WEBHOOKS: '1',
  STATUSKIT_WEBHOOKS_ALLOW_PRIVATE: '1',
  STATUSKIT_WEBHOOKS_POLL_MS: '50',
  STATUSKIT_WEBHOOKS_RETRY_BASE_MS: '50',
  STATUSKIT_WEBHOOKS_RETRY_MAX_DELAY_MS: '300',
  STATUSKIT_WEBHOOKS_TIMEOUT_MS: '3000',
  STATUSKIT_WEBHOOKS_FAILING_AFTER: '3',
};

async function api(base: ApiProcess, method: string, path: string, body?: unknown, key = base.key) {
  const res = await fetch(`${base.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const setStatus = async (p: ApiProcess, accountId: string, status: string) => {
  const res = await api(p, 'PUT', `/v1/accounts/${accountId}/status`, { status });
  expect(res.status).toBe(200);
};

/** Polls the API (the delivery log) until `predicate` holds. */
async function eventually<T>(read: () => Promise<T>, predicate: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + scaled(60_000);
  for (;;) {
    const v = await read();
    if (predicate(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });

describe.each(testEngines())('outbound webhooks, real processes on %s', (engine) => {
  let receiver: Receiver;
  let proxy: TcpProxy;
  const started: ApiProcess[] = [];
  const databases: ReturnType<typeof apiDatabase>[] = [];
  const start = async (env: Record<string, string>) => {
    const p = await startApi({ env: { ...FAST, ...env } });
    started.push(p);
    return p;
  };
  const newDatabase = () => {
    const d = apiDatabase(engine);
    databases.push(d);
    return d;
  };
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: receiver.port });
  });
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop('SIGKILL');
    proxy.mode('forward');
  });
  afterAll(async () => {
    await proxy?.close();
    await receiver?.close();
    for (const d of databases) await d.cleanup();
  });
  const subscribe = async (p: ApiProcess, events: string[], path: string) => {
    const res = await api(p, 'POST', '/v1/webhook-subscriptions', {
      url: `http://127.0.0.1:${proxy.port}${path}`,
      events,
    });
    expect(res.status).toBe(201);
    return res.json as { id: string; secret: string };
  };
  const at = (path: string) => receiver.received.filter((r) => r.path === path);

  it('sends a verifiable Standard Webhooks delivery for each change, in order', async () => {
    const p = await start(newDatabase().env);
    const all = await subscribe(p, ['account.status_changed'], '/all');
    const transitions = await subscribe(
      p,
      ['account.converted', 'account.churned', 'account.reactivated'],
      '/t',
    );
    await setStatus(p, 'acme', 'Trial');
    await setStatus(p, 'acme', 'Pro');
    await setStatus(p, 'acme', 'Cancelled');
    await setStatus(p, 'acme', 'Personal');
    await receiver.until(() => at('/all').length >= 4 && at('/t').length >= 3, '7 deliveries');
    const changes = at('/all');
    expect(changes.map((r) => (r.json.data.to as { status: string }).status)).toEqual([
      'Trial',
      'Pro',
      'Cancelled',
      'Personal',
    ]);
    for (const r of changes) {
      expect(verify(all.secret, r)).toEqual(r.json);
      expect(() => verify(transitions.secret, r)).toThrow();
    }
    expect(changes[1]?.json).toMatchObject({
      type: 'account.status_changed',
      data: {
        accountId: 'acme',
        from: { status: 'Trial', type: 'free', plan: null },
        to: { status: 'Pro', type: 'paying', plan: 'Pro' },
        source: 'api',
      },
    });
    const t = at('/t');
    for (const r of t) expect(verify(transitions.secret, r)).toEqual(r.json);
    expect(t.map((r) => r.json.type)).toEqual([
      'account.converted',
      'account.churned',
      'account.reactivated',
    ]);
    // The receiver may see a delivery a moment before its 2xx is recorded.
    const log = await eventually(
      () => api(p, 'GET', `/v1/webhook-subscriptions/${all.id}/deliveries`),
      (r) => r.json.deliveries.every((d: { state: string }) => d.state !== 'pending'),
      'every delivery recorded',
    );
    expect(
      log.json.deliveries.map((d: { state: string; lastStatusCode: number }) => [d.state, d.lastStatusCode]),
    ).toEqual(Array(4).fill(['delivered', 204]));
  });

  it('retries while the receiver is down, marks the subscription failing, and delivers when it is back', async () => {
    const p = await start(newDatabase().env);
    const sub = await subscribe(p, ['account.status_changed'], '/retry');
    proxy.mode('refuse');
    await setStatus(p, 'r1', 'Trial');
    await setStatus(p, 'r1', 'Pro');
    const failing = await eventually(
      () => api(p, 'GET', `/v1/webhook-subscriptions/${sub.id}`),
      (r) => r.json.status === 'failing',
      'the subscription to be failing',
    );
    expect(failing.json.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(at('/retry')).toEqual([]);
    proxy.mode('forward');
    await receiver.until(() => at('/retry').length >= 2, 'the retried deliveries');
    expect(at('/retry').map((r) => (r.json.data.to as { status: string }).status)).toEqual(['Trial', 'Pro']);
    const log = await eventually(
      () => api(p, 'GET', `/v1/webhook-subscriptions/${sub.id}/deliveries`),
      (r) => r.json.deliveries.every((d: { state: string }) => d.state === 'delivered'),
      'the log to show both delivered',
    );
    const first = log.json.deliveries.at(-1);
    expect(first.attempts).toBeGreaterThan(1);
    const detail = await api(p, 'GET', `/v1/webhook-subscriptions/${sub.id}/deliveries/${first.id}`);
    const attempts = detail.json.attemptLog as {
      statusCode: number | null;
      error: string | null;
      durationMs: number;
    }[];
    expect(attempts.at(-1)?.statusCode).toBe(204);
    expect(attempts[0]?.statusCode).toBeNull();
    expect(attempts[0]?.error).toBeTruthy();
    expect((await api(p, 'GET', `/v1/webhook-subscriptions/${sub.id}`)).json).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
    });
  });

  it('gives up after the retry window, and a replay delivers it', async () => {
    const p = await start({ ...newDatabase().env, STATUSKIT_WEBHOOKS_RETRY_FOR_MS: '0' });
    const sub = await subscribe(p, ['account.status_changed'], '/replay');
    proxy.mode('refuse');
    await setStatus(p, 'g1', 'Pro');
    const log = await eventually(
      () => api(p, 'GET', `/v1/webhook-subscriptions/${sub.id}/deliveries?state=failed`),
      (r) => r.json.deliveries.length === 1,
      'the delivery to fail',
    );
    proxy.mode('forward');
    const id = log.json.deliveries[0].id;
    const replay = await api(p, 'POST', `/v1/webhook-subscriptions/${sub.id}/deliveries/${id}/replay`);
    expect(replay.status).toBe(202);
    await receiver.until(() => at('/replay').length === 1, 'the replayed delivery');
    expect(at('/replay')[0]?.id).toBe(log.json.deliveries[0].eventId);
  });

  it('delivers after a SIGKILL between the change and the delivery, once per event and subscription', async () => {
    const database = newDatabase();
    // First a process that sends nothing: the change is only in the outbox when it is killed.
    const quiet = await start({ ...database.env, STATUSKIT_WEBHOOKS: 'off' });
    const key = quiet.key as string;
    const sub = await subscribe(quiet, ['account.status_changed'], '/kill');
    await setStatus(quiet, 'k1', 'Trial');
    await quiet.stop('SIGKILL');
    // Then one whose receiver is down: it attempts (and fails) and is killed with attempts under way.
    proxy.mode('refuse');
    const failing = await start(database.env);
    await setStatus({ ...failing, key }, 'k1', 'Pro');
    const before = proxy.accepted;
    await eventually(
      async () => proxy.accepted,
      (n) => n >= before + 2,
      'attempts while the receiver is down',
    );
    await failing.stop('SIGKILL');
    proxy.mode('forward');
    const after = await start(database.env);
    await receiver.until(() => at('/kill').length >= 2, 'the deliveries after the restart');
    // A later change of the same account is sent only once the earlier ones are recorded as delivered:
    // when it has arrived, none of the earlier ones can come again.
    await setStatus({ ...after, key }, 'k1', 'Enterprise');
    await receiver.until(() => at('/kill').length >= 3, 'the marker change');
    const got = at('/kill');
    expect(got.map((r) => (r.json.data.to as { status: string }).status)).toEqual([
      'Trial',
      'Pro',
      'Enterprise',
    ]);
    expect(new Set(got.map((r) => r.id)).size).toBe(3);
    for (const r of got) expect(verify(sub.secret, r)).toEqual(r.json);
  });

  it('refuses a name that resolves to loopback at delivery time when private targets are not allowed', async () => {
    const p = await start({ ...newDatabase().env, STATUSKIT_WEBHOOKS_ALLOW_PRIVATE: '0' });
    const literal = await api(p, 'POST', '/v1/webhook-subscriptions', {
      url: `http://127.0.0.1:${receiver.port}/literal`,
      events: ['account.status_changed'],
    });
    expect(literal.status).toBe(400);
    const named = await api(p, 'POST', '/v1/webhook-subscriptions', {
      url: `http://localhost:${receiver.port}/named`,
      events: ['account.status_changed'],
    });
    expect(named.status).toBe(201);
    await setStatus(p, 'n1', 'Pro');
    const log = await eventually(
      () => api(p, 'GET', `/v1/webhook-subscriptions/${named.json.id}/deliveries`),
      (r) => r.json.deliveries[0]?.attempts >= 1,
      'an attempt',
    );
    expect(log.json.deliveries[0].lastError).toMatch(
      /resolves to (127\.0\.0\.1|::1).*loopback, private or link-local/,
    );
    expect(at('/named')).toEqual([]);
  });

  it.runIf(engine === 'postgres')(
    'two API processes on one database deliver each event once per subscription',
    async () => {
      const database = newDatabase();
      const one = await start(database.env);
      const key = one.key as string;
      const two = await start(database.env);
      const a = await subscribe(one, ['account.status_changed'], '/two-a');
      const b = await subscribe(one, ['account.status_changed', 'account.converted'], '/two-b');
      const N = 60;
      // Writes through both processes, each account changed twice.
      await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const p = i % 2 === 0 ? one : { ...two, key };
          await setStatus(p, `acct-${i}`, 'Trial');
          await setStatus(p, `acct-${i}`, 'Pro');
        }),
      );
      await receiver.until(
        () => at('/two-a').length >= 2 * N && at('/two-b').length >= 3 * N,
        'every delivery',
      );
      // Everything sent has been recorded delivered: nothing is left to come twice.
      for (const s of [a, b])
        await eventually(
          () => api(one, 'GET', `/v1/webhook-subscriptions/${s.id}/deliveries?state=pending&limit=1`),
          (r) => r.json.deliveries.length === 0,
          'no pending delivery',
        );
      for (const [path, n] of [
        ['/two-a', 2 * N],
        ['/two-b', 3 * N],
      ] as const) {
        const got = at(path);
        expect(got).toHaveLength(n);
        expect(new Set(got.map((r) => r.id)).size).toBe(n);
      }
      // In order per account.
      for (let i = 0; i < N; i++)
        expect(
          at('/two-a')
            .filter((r) => r.json.data.accountId === `acct-${i}`)
            .map((r) => (r.json.data.to as { status: string }).status),
        ).toEqual(['Trial', 'Pro']);
    },
  );
});
