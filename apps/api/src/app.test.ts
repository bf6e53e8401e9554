import type { Store } from '@statuskit/store';
import { openTestStore, testEngines } from '@statuskit/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './app.js';

const ADMIN = 'admin-secret-token';

describe.each(testEngines())('API on %s', (engine) => {
  let store: Store;
  let app: App;
  let clock = new Date('2026-03-01T12:00:00Z');
  beforeAll(async () => {
    store = await openTestStore(engine);
    app = createApp({ store, adminToken: ADMIN, now: () => clock });
  });
  afterAll(async () => {
    await store?.close();
  });

  let seq = 0;
  const call = async (
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      headers: res.headers,
      json: text ? JSON.parse(text) : undefined,
    };
  };
  const newTenant = async () => {
    const id = `api${Date.now().toString(36)}-${++seq}`;
    const res = await call('POST', '/v1/tenants', { key: ADMIN, body: { id, name: `Tenant ${id}` } });
    expect(res.status).toBe(201);
    return { id, key: res.json.apiKey.key as string };
  };

  describe('auth', () => {
    it('rejects missing, malformed, unknown and revoked keys with 401 problems', async () => {
      const t = await newTenant();
      for (const key of [
        undefined,
        'nope',
        'sk_0000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      ]) {
        const res = await call('GET', '/v1/catalog', key ? { key } : {});
        expect(res.status).toBe(401);
        expect(res.type).toBe('application/problem+json');
      }
      const extra = await call('POST', '/v1/api-keys', { key: t.key, body: { name: 'ci' } });
      expect(extra.status).toBe(201);
      expect((await call('GET', '/v1/catalog', { key: extra.json.key })).status).toBe(200);
      const listed = await call('GET', '/v1/api-keys', { key: t.key });
      expect(listed.json.keys.map((k: { prefix: string }) => k.prefix)).toContain(extra.json.prefix);
      expect(JSON.stringify(listed.json)).not.toContain(extra.json.key);
      expect((await call('DELETE', `/v1/api-keys/${extra.json.id}`, { key: t.key })).status).toBe(204);
      expect((await call('GET', '/v1/catalog', { key: extra.json.key })).status).toBe(401);
    });

    it('keeps tenant administration behind the admin token', async () => {
      const t = await newTenant();
      expect((await call('POST', '/v1/tenants', { body: { name: 'x' } })).status).toBe(401);
      expect((await call('POST', '/v1/tenants', { key: t.key, body: { name: 'x' } })).status).toBe(403);
      expect((await call('POST', '/v1/tenants', { key: ADMIN, body: { id: t.id, name: 'x' } })).status).toBe(
        409,
      );
      const off = createApp({ store });
      const res = await off.request('/v1/tenants', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: '{"name":"x"}',
      });
      expect(res.status).toBe(403);
    });

    it("isolates tenants: another tenant's account is a 404", async () => {
      const a = await newTenant();
      const b = await newTenant();
      expect(
        (await call('PUT', '/v1/accounts/secret-acct/status', { key: b.key, body: { status: 'Pro' } }))
          .status,
      ).toBe(200);
      expect((await call('GET', '/v1/accounts/secret-acct', { key: a.key })).status).toBe(404);
      expect((await call('GET', '/v1/accounts', { key: a.key })).json.accounts).toEqual([]);
      expect((await call('GET', '/v1/accounts/secret-acct', { key: b.key })).status).toBe(200);
    });
  });

  describe('status updates', () => {
    it('stores a status, classifies it, and keeps values not in the catalog as Unknown', async () => {
      const t = await newTenant();
      const res = await call('PUT', '/v1/accounts/acme/status', {
        key: t.key,
        body: { status: ' pro ', name: 'Acme', attributes: { seats: 12 } },
      });
      expect(res.status).toBe(200);
      expect(res.json.result).toMatchObject({ outcome: 'created', statusType: 'paying' });
      expect(res.json.account.classification).toMatchObject({ status: 'Pro', plan: 'Pro' });
      const gold = await call('PUT', '/v1/accounts/goldie/status', { key: t.key, body: { status: 'Gold' } });
      expect(gold.json.account.classification).toMatchObject({
        statusType: 'unknown',
        unknownReason: 'not-in-catalog',
      });
      expect(gold.json.account.eligibility).toMatchObject({ eligible: false, reason: 'unknown-status' });
      const report = await call('GET', '/v1/reports/unknown', { key: t.key });
      expect(report.json.values).toEqual([
        { value: 'Gold', reason: 'not-in-catalog', count: 1, sampleAccountIds: ['goldie'] },
      ]);
    });

    it('records a stale update without applying it and says so', async () => {
      const t = await newTenant();
      await call('PUT', '/v1/accounts/a/status', {
        key: t.key,
        body: { status: 'Pro', observedAt: '2026-02-10T00:00:00Z' },
      });
      const stale = await call('PUT', '/v1/accounts/a/status', {
        key: t.key,
        body: { status: 'Trial', observedAt: '2026-02-01T00:00:00Z', source: 'sfdc' },
      });
      expect(stale.json.result).toMatchObject({
        outcome: 'stale',
        status: 'Pro',
        currentObservedAt: '2026-02-10T00:00:00.000Z',
      });
      const account = await call('GET', '/v1/accounts/a', { key: t.key });
      expect(account.json.status).toBe('Pro');
      expect(
        account.json.history.map((e: { kind: string; source: string }) => `${e.kind}:${e.source}`),
      ).toEqual(['stale:sfdc', 'change:api']);
    });

    it('applies a batch, replays it under the same Idempotency-Key, and refuses the key for another body', async () => {
      const t = await newTenant();
      const updates = Array.from({ length: 50 }, (_, i) => ({
        accountId: `b-${i}`,
        status: i % 2 ? 'Pro' : 'Trial',
      }));
      const headers = { 'idempotency-key': 'import-2026-03-01#1' };
      const first = await call('POST', '/v1/statuses:batch', { key: t.key, body: { updates }, headers });
      expect(first.status).toBe(200);
      expect(first.json.counts).toEqual({ created: 50, changed: 0, unchanged: 0, stale: 0 });
      const again = await call('POST', '/v1/statuses:batch', { key: t.key, body: { updates }, headers });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.json).toEqual(first.json);
      const history = await call('GET', '/v1/accounts/b-1', { key: t.key });
      expect(history.json.history).toHaveLength(1);
      const other = await call('POST', '/v1/statuses:batch', {
        key: t.key,
        body: { updates: updates.slice(1) },
        headers,
      });
      expect(other.status).toBe(409);
      expect(other.json.type).toContain('idempotency-key-reused');
    });

    it('rejects malformed bodies with 400 problems naming each bad field', async () => {
      const t = await newTenant();
      const bad = await call('POST', '/v1/statuses:batch', {
        key: t.key,
        body: {
          updates: [
            { accountId: '', status: 'Pro' },
            { accountId: 'x', status: 'Pro', observedAt: 'yesterday' },
            { accountId: 'y', status: 'P\u0000ro' },
          ],
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.type).toBe('application/problem+json');
      expect(bad.json.errors.map((e: { at: string }) => e.at)).toEqual([
        'updates[0].accountId',
        'updates[1].observedAt',
        'updates[2].status',
      ]);
      const tooMany = await call('POST', '/v1/statuses:batch', {
        key: t.key,
        body: { updates: Array.from({ length: 10_001 }, (_, i) => ({ accountId: `${i}`, status: 'Pro' })) },
      });
      expect(tooMany.status).toBe(400);
      expect(
        (
          await call('POST', '/v1/statuses:batch', {
            key: t.key,
            raw: '{"updates": [',
            headers: { 'content-type': 'application/json' },
          })
        ).status,
      ).toBe(400);
      const wrongType = await call('PUT', '/v1/accounts/a/status', {
        key: t.key,
        raw: 'status=Pro',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(wrongType.status).toBe(415);
      expect(wrongType.type).toBe('application/problem+json');
      const unknownField = await call('PUT', '/v1/accounts/a/status', {
        key: t.key,
        body: { status: 'Pro', colour: 'red' },
      });
      expect(unknownField.status).toBe(400);
      expect((await call('GET', '/v1/nothing-here', { key: t.key })).status).toBe(404);
      expect(
        ((await call('GET', '/v1/accounts?limit=5000', { key: t.key })).json.errors as { at: string }[])[0]
          ?.at,
      ).toBe('limit');
    });

    it('limits the body size with 413', async () => {
      const t = await newTenant();
      const small = createApp({ store, maxBodyBytes: 1000 });
      const res = await small.request('/v1/statuses:batch', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          updates: Array.from({ length: 100 }, (_, i) => ({ accountId: `${i}`, status: 'Pro' })),
        }),
      });
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    });
  });

  describe('catalog and rules', () => {
    it('validates the catalog with paths and re-classifies accounts on change', async () => {
      const t = await newTenant();
      await call('PUT', '/v1/accounts/g/status', { key: t.key, body: { status: 'Gold' } });
      const bad = await call('PUT', '/v1/catalog', {
        key: t.key,
        body: {
          statuses: [
            { value: 'Pro', type: 'paying' },
            { value: 'pro', type: 'premium' },
          ],
        },
      });
      expect(bad.status).toBe(400);
      // Every problem of one save at once: the duplicate value is reported with the bad type.
      expect(bad.json.errors.map((e: { at: string }) => e.at)).toEqual([
        'statuses[1].value',
        'statuses[1].type',
      ]);
      const current = await call('GET', '/v1/catalog', { key: t.key });
      const next = {
        ...current.json.catalog,
        statuses: [...current.json.catalog.statuses, { value: 'Gold', type: 'paying', plan: 'gold' }],
      };
      const saved = await call('PUT', '/v1/catalog', { key: t.key, body: next });
      expect(saved.json).toMatchObject({ version: 2, reclassified: 1 });
      expect((await call('GET', '/v1/accounts/g', { key: t.key })).json.classification).toMatchObject({
        statusType: 'paying',
        plan: 'gold',
      });
    });

    it('classifies aliases as their status: saved, re-classified, out of the Unknown report, on ingest too', async () => {
      const t = await newTenant();
      for (const [id, status] of [
        ['a1', 'Trail'],
        ['a2', ' free trial '],
        ['a3', 'Gold'],
      ])
        await call('PUT', `/v1/accounts/${id}/status`, { key: t.key, body: { status } });
      const before = await call('GET', '/v1/reports/unknown', { key: t.key });
      expect(before.json.values.map((v: { value: string }) => v.value).sort()).toEqual([
        ' free trial ',
        'Gold',
        'Trail',
      ]);

      const current = (await call('GET', '/v1/catalog', { key: t.key })).json.catalog;
      const withAliases = {
        ...current,
        statuses: current.statuses.map((s: { value: string }) =>
          s.value === 'Trial' ? { ...s, aliases: ['Trail', 'Free trial'] } : s,
        ),
      };
      const collision = await call('PUT', '/v1/catalog', {
        key: t.key,
        body: {
          ...withAliases,
          statuses: withAliases.statuses.map((s: { value: string }) =>
            s.value === 'Pro' ? { ...s, aliases: ['trail'] } : s,
          ),
        },
      });
      expect(collision.status).toBe(400);
      expect(collision.json.errors).toMatchObject([{ at: 'statuses[3].aliases[0]', code: 'alias_taken' }]);

      const saved = await call('PUT', '/v1/catalog', { key: t.key, body: withAliases });
      expect(saved.json).toMatchObject({ reclassified: 2 });
      expect(saved.json.catalog.statuses[0].aliases).toEqual(['Trail', 'Free trial']);
      expect((await call('GET', '/v1/catalog', { key: t.key })).json.catalog).toEqual(withAliases);
      expect((await call('GET', '/v1/accounts/a2', { key: t.key })).json.classification).toMatchObject({
        statusType: 'free',
        status: 'Trial',
        trial: true,
      });
      const after = await call('GET', '/v1/reports/unknown', { key: t.key });
      expect(after.json).toMatchObject({ total: 1, values: [{ value: 'Gold', count: 1 }] });

      await call('PUT', '/v1/accounts/a4/status', { key: t.key, body: { status: 'TRAIL' } });
      const trials = await call('GET', '/v1/accounts?status=Trial', { key: t.key });
      expect(trials.json.accounts.map((a: { id: string }) => a.id)).toEqual(['a1', 'a2', 'a4']);
    });

    it('validates rules, returns warnings, and previews who enters or leaves health', async () => {
      const t = await newTenant();
      await call('POST', '/v1/statuses:batch', {
        key: t.key,
        body: {
          updates: [
            { accountId: 'p1', status: 'Pro', attributes: { region: 'TEST' } },
            { accountId: 'p2', status: 'Pro', attributes: { region: 'EU' } },
            { accountId: 'c1', status: 'Cancelled', observedAt: '2026-02-25T00:00:00Z' },
          ],
        },
      });
      const invalid = await call('PUT', '/v1/rules', {
        key: t.key,
        body: [
          {
            name: 'x',
            conditions: { all: [{ fact: 'mrr', operator: 'equal', value: 1 }] },
            event: { type: 'exclude', params: { reason: 'r' } },
          },
        ],
      });
      expect(invalid.status).toBe(400);
      expect(invalid.json.errors[0].at).toBe('[0].conditions.all[0].fact');
      const rules = [
        {
          name: 'test-region',
          conditions: { all: [{ fact: 'attributes', path: '$.region', operator: 'in', value: ['TEST'] }] },
          event: { type: 'exclude', params: { reason: 'test tenant' } },
        },
        {
          name: 'win-back',
          priority: 2,
          conditions: {
            all: [
              { fact: 'statusType', operator: 'equal', value: 'cancelled' },
              { fact: 'daysInStatus', operator: 'lessThan', value: 30 },
            ],
          },
          event: { type: 'include', params: { reason: 'win-back' } },
        },
      ];
      const preview = await call('POST', '/v1/rules/preview', { key: t.key, body: rules });
      expect(preview.json).toMatchObject({
        total: 3,
        eligibleNow: 2,
        eligibleWithProposed: 2,
        entering: 1,
        leaving: 1,
      });
      expect(preview.json.samples.leaving[0]).toMatchObject({
        accountId: 'p1',
        eligibility: { reason: 'test tenant' },
      });
      expect((await call('GET', '/v1/rules', { key: t.key })).json.rules).toEqual([]);
      const saved = await call('PUT', '/v1/rules', {
        key: t.key,
        body: [
          ...rules,
          {
            name: 'substr',
            conditions: { all: [{ fact: 'plan', operator: 'in', value: 'Professional' }] },
            event: { type: 'exclude', params: { reason: 's' } },
          },
        ],
      });
      expect(saved.status).toBe(200);
      expect(saved.json.warnings.map((w: { code: string }) => w.code)).toEqual(['substring_test']);
      // "Pro" is in "Professional": the substring rule the warning was about now excludes p2 as well
      const eligible = await call('GET', '/v1/accounts?eligible=true', { key: t.key });
      expect(eligible.json.accounts.map((a: { id: string }) => a.id)).toEqual(['c1']);
      const out = await call('GET', '/v1/accounts?eligible=false&limit=1', { key: t.key });
      expect(out.json.accounts.map((a: { id: string }) => a.id)).toEqual(['p1']);
    });
  });

  describe('accounts, metrics and health runs', () => {
    it('pages accounts with a cursor and filters by status-type', async () => {
      const t = await newTenant();
      const updates = Array.from({ length: 30 }, (_, i) => ({
        accountId: `a${String(i).padStart(2, '0')}`,
        status: i < 20 ? 'Pro' : 'Trial',
      }));
      await call('POST', '/v1/statuses:batch', { key: t.key, body: { updates } });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { json: { accounts: { id: string }[]; nextCursor: string | null } } = await call(
          'GET',
          `/v1/accounts?statusType=paying&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
          { key: t.key },
        );
        seen.push(...page.json.accounts.map((a) => a.id));
        cursor = page.json.nextCursor;
      } while (cursor);
      expect(seen).toEqual(updates.slice(0, 20).map((u) => u.accountId));
    });

    it('filters accounts by Unknown reason and refuses one it does not know', async () => {
      const t = await newTenant();
      const updates = [
        { accountId: 'u1', status: '' },
        { accountId: 'u2', status: null },
        { accountId: 'u3', status: 'Gold' },
        { accountId: 'u4', status: 'Pro' },
        { accountId: 'u5', status: '   ' },
      ];
      await call('POST', '/v1/statuses:batch', { key: t.key, body: { updates } });
      const ids = async (query: string) =>
        (await call('GET', `/v1/accounts?${query}`, { key: t.key })).json.accounts.map(
          (a: { id: string }) => a.id,
        );
      expect(await ids('unknownReason=missing')).toEqual(['u2']);
      expect(await ids('unknownReason=not-in-catalog')).toEqual(['u3']);
      const empty = await ids('unknownReason=empty');
      expect(empty).toContain('u1');
      expect(empty).not.toContain('u4');
      expect(await ids('statusType=paying&unknownReason=empty')).toEqual([]);
      const bad = await call('GET', '/v1/accounts?unknownReason=nope', { key: t.key });
      expect(bad.status).toBe(400);
    });

    it('answers metrics per day and rejects bad ranges', async () => {
      const t = await newTenant();
      await call('PUT', '/v1/accounts/m/status', {
        key: t.key,
        body: { status: 'Trial', observedAt: '2026-02-27T10:00:00Z' },
      });
      await call('PUT', '/v1/accounts/m/status', {
        key: t.key,
        body: { status: 'Pro', observedAt: '2026-02-28T10:00:00Z' },
      });
      const res = await call('GET', '/v1/metrics?from=2026-02-27&to=2026-02-28', { key: t.key });
      expect(res.json.days).toEqual([
        expect.objectContaining({ day: '2026-02-27', byStatus: { Trial: 1 }, conversions: 0 }),
        expect.objectContaining({ day: '2026-02-28', byStatus: { Pro: 1 }, conversions: 1 }),
      ]);
      expect((await call('GET', '/v1/metrics?from=2026-03-02&to=2026-03-01', { key: t.key })).status).toBe(
        400,
      );
      expect((await call('GET', '/v1/metrics?from=yesterday', { key: t.key })).status).toBe(400);
    });

    it('runs health on demand and lists the excluded accounts with reasons', async () => {
      const t = await newTenant();
      await call('POST', '/v1/statuses:batch', {
        key: t.key,
        body: {
          updates: [
            { accountId: 'x1', status: 'Pro' },
            { accountId: 'x2', status: 'Internal-use' },
            { accountId: 'x3', status: '' },
          ],
        },
      });
      const run = await call('POST', '/v1/health-runs', { key: t.key });
      expect(run.status).toBe(201);
      expect(run.json).toMatchObject({
        state: 'done',
        trigger: 'manual',
        summary: { total: 3, eligible: 1, excludedByReason: { 'non-customer': 1, 'unknown-status': 1 } },
      });
      expect((await call('GET', `/v1/health-runs/${run.json.id}`, { key: t.key })).json.id).toBe(run.json.id);
      const excluded = await call('GET', `/v1/health-runs/${run.json.id}/exclusions`, { key: t.key });
      expect(
        excluded.json.exclusions.map(
          (x: { accountId: string; reason: string }) => `${x.accountId}:${x.reason}`,
        ),
      ).toEqual(['x2:non-customer', 'x3:unknown-status']);
      expect((await call('GET', '/v1/health-runs/hr_doesnotexist', { key: t.key })).status).toBe(404);
      const other = await newTenant();
      expect((await call('GET', `/v1/health-runs/${run.json.id}`, { key: other.key })).status).toBe(404);
      clock = new Date('2026-03-02T12:00:00Z');
      expect((await call('GET', '/v1/health-runs', { key: t.key })).json.runs).toHaveLength(1);
    });

    it('keeps connector state per tenant', async () => {
      const t = await newTenant();
      expect((await call('GET', '/v1/connectors/sfdc/state', { key: t.key })).status).toBe(404);
      expect(
        (
          await call('PUT', '/v1/connectors/sfdc/state', {
            key: t.key,
            body: { watermark: '2026-01-01T00:00:00Z' },
          })
        ).status,
      ).toBe(200);
      expect((await call('GET', '/v1/connectors/sfdc/state', { key: t.key })).json).toEqual({
        watermark: '2026-01-01T00:00:00Z',
      });
    });
  });

  it('serves an OpenAPI document covering every route', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/v1/accounts',
        '/v1/accounts/{accountId}',
        '/v1/accounts/{accountId}/status',
        '/v1/api-keys',
        '/v1/api-keys/{keyId}',
        '/v1/catalog',
        '/v1/connectors/{connector}/state',
        '/v1/health-runs',
        '/v1/health-runs/{runId}',
        '/v1/health-runs/{runId}/exclusions',
        '/v1/metrics',
        '/v1/reports/accounts',
        '/v1/reports/unknown',
        '/v1/rules',
        '/v1/rules/preview',
        '/v1/statuses:batch',
        '/v1/tenants',
        '/v1/webhook-endpoints',
        '/v1/webhook-endpoints/{endpointId}',
        '/v1/webhook-endpoints/{endpointId}/deliveries',
        '/v1/webhooks/chargebee/{endpointId}',
        '/v1/webhooks/stripe/{endpointId}',
        '/v1/webhook-subscriptions',
        '/v1/webhook-subscriptions/{subscriptionId}',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}',
        '/v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}/replay',
        '/v1/webhook-subscriptions/{subscriptionId}/rotate-secret',
      ].sort(),
    );
  });
});
