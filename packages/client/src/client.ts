import type { CatalogInput } from '@statuskit/core';
import {
  type Problem,
  StatuskitApiError,
  StatuskitNetworkError,
  StatuskitVersionConflictError,
} from './errors.js';
import type {
  AccountCounts,
  AccountQuery,
  AccountView,
  ApiKeyView,
  BatchResult,
  CatalogView,
  DayMetrics,
  HealthRunExclusion,
  HealthRunView,
  RuleSetView,
  RulesPreview,
  StatusUpdateInput,
  SubscriptionDeliveryDetailView,
  SubscriptionDeliveryView,
  UnknownReport,
  UpdateResult,
  WebhookSubscriptionInput,
  WebhookSubscriptionView,
} from './types.js';
import type {
  NewWebhookEndpointView,
  WebhookDeliveryOutcome,
  WebhookDeliveryView,
  WebhookEndpointChange,
  WebhookEndpointInput,
  WebhookEndpointView,
} from './webhook-types.js';

export interface ClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly apiKey: string;
  /** Attempts after the first for retryable failures (429, 5xx, network errors on safe requests). Default 4. */
  readonly retries?: number;
  /** First backoff in ms, doubled each attempt, with full jitter. Default 250. */
  readonly retryBaseMs?: number;
  /** Longest single wait, including a server's Retry-After. Default 30,000. */
  readonly retryMaxMs?: number;
  /** Per-request timeout in ms. Default 60,000. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Called before each retry, for logs. */
  readonly onRetry?: (info: {
    attempt: number;
    delayMs: number;
    method: string;
    path: string;
    reason: string;
  }) => void;
}

/** The API's largest batch. */
export const MAX_BATCH_SIZE = 10_000;

/** The routes this client calls: checked against the API's OpenAPI document in the API's tests. */
export const CLIENT_ROUTES = [
  'PUT /v1/accounts/{accountId}/status',
  'POST /v1/statuses:batch',
  'GET /v1/accounts/{accountId}',
  'GET /v1/accounts',
  'GET /v1/catalog',
  'PUT /v1/catalog',
  'GET /v1/rules',
  'PUT /v1/rules',
  'POST /v1/rules/preview',
  'GET /v1/reports/unknown',
  'GET /v1/reports/accounts',
  'GET /v1/metrics',
  'POST /v1/health-runs',
  'GET /v1/health-runs',
  'GET /v1/health-runs/{runId}',
  'GET /v1/health-runs/{runId}/exclusions',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{keyId}',
  'GET /v1/connectors/{connector}/state',
  'PUT /v1/connectors/{connector}/state',
  'POST /v1/webhook-endpoints',
  'GET /v1/webhook-endpoints',
  'GET /v1/webhook-endpoints/{endpointId}',
  'PATCH /v1/webhook-endpoints/{endpointId}',
  'DELETE /v1/webhook-endpoints/{endpointId}',
  'GET /v1/webhook-endpoints/{endpointId}/deliveries',
  'POST /v1/webhook-subscriptions',
  'GET /v1/webhook-subscriptions',
  'GET /v1/webhook-subscriptions/{subscriptionId}',
  'PATCH /v1/webhook-subscriptions/{subscriptionId}',
  'DELETE /v1/webhook-subscriptions/{subscriptionId}',
  'POST /v1/webhook-subscriptions/{subscriptionId}/rotate-secret',
  'GET /v1/webhook-subscriptions/{subscriptionId}/deliveries',
  'GET /v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}',
  'POST /v1/webhook-subscriptions/{subscriptionId}/deliveries/{deliveryId}/replay',
] as const;

interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly headers?: Record<string, string>;
  /** Safe to send again after a network error (GET, PUT, DELETE, and POSTs carrying an idempotency key). */
  readonly retrySafe?: boolean;
  /** Statuses returned as undefined instead of thrown. */
  readonly allow?: readonly number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PushOptions {
  /** Updates per request (default 1,000; at most 10,000). */
  readonly batchSize?: number;
  /**
   * Idempotency keys are `${prefix}#${batchNumber}`: a re-run with the same prefix over the same input
   * sends nothing twice (the API replays the first answer). Without a prefix, batches carry no key.
   */
  readonly idempotencyKeyPrefix?: string;
  /** Called after each batch is accepted, in order. */
  readonly onBatch?: (info: {
    batch: number;
    size: number;
    result: BatchResult;
    replayed: boolean;
  }) => void | Promise<void>;
}

/** Optimistic concurrency for the catalog and the rules. */
export interface SaveOptions {
  /**
   * Save only over this version (the `version` of what was read; sent as `If-Match: "<version>"`).
   * Omitted: the last write wins. After a network error the save is retried, and a retry of a save that
   * did reach the API answers 412 too: read again to tell.
   */
  readonly ifVersion?: number;
}

const ifMatch = (options: SaveOptions): Record<string, string> =>
  options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` };

export interface PushTotals {
  readonly batches: number;
  readonly updates: number;
  readonly counts: { created: number; changed: number; unchanged: number; stale: number };
  readonly replayedBatches: number;
}

/** A typed client of the statuskit API. */
export class StatuskitClient {
  readonly #base: string;
  readonly #options: ClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    if (!/^https?:\/\//.test(options.url))
      throw new TypeError(`url must start with http:// or https:// (got ${JSON.stringify(options.url)})`);
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.#base = options.url.replace(/\/+$/, '');
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async #request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ data: T; headers: Headers } | undefined> {
    const retries = this.#options.retries ?? 4;
    const base = this.#options.retryBaseMs ?? 250;
    const cap = this.#options.retryMaxMs ?? 30_000;
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const url = `${this.#base}${path}${query.size ? `?${query}` : ''}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#options.apiKey}`,
      accept: 'application/json',
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const safe = options.retrySafe ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');

    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let text = '';
      try {
        response = await this.#fetch(url, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
        });
        // Reading the body belongs to the request: a connection dropped after the headers is retried (or
        // reported) like one dropped before them.
        if (response.ok && response.status !== 204) text = await response.text();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!safe || attempt >= retries) {
          throw new StatuskitNetworkError(
            response
              ? `${method} ${path}: the answer was cut off (${reason}); the request may have been applied`
              : `${method} ${path}: could not reach ${this.#base} (${reason})`,
            method,
            path,
            error,
          );
        }
        await this.#backoff(attempt, base, cap, undefined, method, path, reason);
        continue;
      }
      if (response.ok) {
        if (response.status === 204) return { data: undefined as T, headers: response.headers };
        try {
          return { data: JSON.parse(text) as T, headers: response.headers };
        } catch {
          throw new StatuskitApiError(
            response.status,
            {
              type: 'about:blank',
              title: 'The answer is not JSON',
              status: response.status,
              detail: text.slice(0, 200),
            },
            method,
            path,
          );
        }
      }
      const retryable =
        response.status === 429 || response.status === 503 || (response.status >= 500 && safe);
      if (retryable && attempt < retries) {
        await response.body?.cancel();
        await this.#backoff(
          attempt,
          base,
          cap,
          response.headers.get('retry-after'),
          method,
          path,
          `HTTP ${response.status}`,
        );
        continue;
      }
      if (options.allow?.includes(response.status)) {
        await response.body?.cancel();
        return undefined;
      }
      let problem: Problem;
      try {
        problem = (await response.json()) as Problem;
      } catch {
        problem = { type: 'about:blank', title: response.statusText || 'Error', status: response.status };
      }
      if (response.status === 412) throw new StatuskitVersionConflictError(problem, method, path);
      throw new StatuskitApiError(response.status, problem, method, path);
    }
  }

  async #backoff(
    attempt: number,
    base: number,
    cap: number,
    retryAfter: string | null | undefined,
    method: string,
    path: string,
    reason: string,
  ) {
    const exp = Math.min(cap, base * 2 ** attempt);
    let delay = Math.round(Math.random() * exp);
    if (retryAfter) {
      const seconds = Number(retryAfter);
      const at = Number.isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : seconds * 1000;
      if (Number.isFinite(at) && at > 0) delay = Math.min(cap, Math.max(delay, at));
    }
    this.#options.onRetry?.({ attempt: attempt + 1, delayMs: delay, method, path, reason });
    await sleep(delay);
  }

  async #call<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return ((await this.#request<T>(method, path, options)) as { data: T }).data;
  }

  /** Sets one account's status. */
  async setStatus(
    accountId: string,
    update: Omit<StatusUpdateInput, 'accountId'>,
  ): Promise<{ result: UpdateResult; account: AccountView }> {
    return this.#call('PUT', `/v1/accounts/${encodeURIComponent(accountId)}/status`, { body: update });
  }

  /** Sends one batch (at most 10,000 updates), atomically. With a key, a repeat replays the first answer. */
  async batch(
    updates: readonly StatusUpdateInput[],
    options: { idempotencyKey?: string } = {},
  ): Promise<BatchResult & { replayed: boolean }> {
    if (updates.length === 0)
      return { counts: { created: 0, changed: 0, unchanged: 0, stale: 0 }, results: [], replayed: false };
    if (updates.length > MAX_BATCH_SIZE)
      throw new RangeError(`a batch holds at most ${MAX_BATCH_SIZE} updates; use pushAll to split`);
    const key = options.idempotencyKey;
    const res = (await this.#request<BatchResult>('POST', '/v1/statuses:batch', {
      body: { updates },
      ...(key ? { headers: { 'idempotency-key': key }, retrySafe: true } : { retrySafe: false }),
    })) as { data: BatchResult; headers: Headers };
    return { ...res.data, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** Sends any number of updates (array, iterable or async iterable) in batches, in order. */
  async pushAll(
    updates: Iterable<StatusUpdateInput> | AsyncIterable<StatusUpdateInput>,
    options: PushOptions = {},
  ): Promise<PushTotals> {
    const size = options.batchSize ?? 1000;
    if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE)
      throw new RangeError(`batchSize must be 1..${MAX_BATCH_SIZE}`);
    const counts = { created: 0, changed: 0, unchanged: 0, stale: 0 };
    let batches = 0;
    let total = 0;
    let replayedBatches = 0;
    let pending: StatusUpdateInput[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      batches++;
      const chunk = pending;
      pending = [];
      const key = options.idempotencyKeyPrefix ? `${options.idempotencyKeyPrefix}#${batches}` : undefined;
      const result = await this.batch(chunk, key ? { idempotencyKey: key } : {});
      total += chunk.length;
      if (result.replayed) replayedBatches++;
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += result.counts[k];
      await options.onBatch?.({ batch: batches, size: chunk.length, result, replayed: result.replayed });
    };
    for await (const u of updates) {
      pending.push(u);
      if (pending.length >= size) await flush();
    }
    await flush();
    return { batches, updates: total, counts, replayedBatches };
  }

  async getAccount(accountId: string): Promise<AccountView | undefined> {
    return (
      await this.#request<AccountView>('GET', `/v1/accounts/${encodeURIComponent(accountId)}`, {
        allow: [404],
      })
    )?.data;
  }

  async listAccounts(
    query: AccountQuery = {},
  ): Promise<{ accounts: AccountView[]; nextCursor: string | null }> {
    return this.#call('GET', '/v1/accounts', { query: { ...query } });
  }

  /** Every account matching the query, page after page. */
  async *accounts(query: Omit<AccountQuery, 'cursor'> = {}): AsyncGenerator<AccountView> {
    let cursor: string | undefined;
    do {
      const page = await this.listAccounts({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.accounts;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  getCatalog(): Promise<CatalogView> {
    return this.#call('GET', '/v1/catalog');
  }
  /**
   * Replaces the catalog. With `ifVersion` (the `version` read), only over that version: a save by someone
   * else in between is a StatuskitVersionConflictError (412) instead of being overwritten.
   */
  putCatalog(
    catalog: CatalogInput,
    options: SaveOptions = {},
  ): Promise<CatalogView & { reclassified: number }> {
    return this.#call('PUT', '/v1/catalog', { body: catalog, headers: ifMatch(options) });
  }
  getRules(): Promise<RuleSetView> {
    return this.#call('GET', '/v1/rules');
  }
  /** Replaces the rules; `ifVersion` as for `putCatalog`. */
  putRules(rules: readonly unknown[], options: SaveOptions = {}): Promise<RuleSetView> {
    return this.#call('PUT', '/v1/rules', { body: rules, headers: ifMatch(options) });
  }
  previewRules(rules: readonly unknown[]): Promise<RulesPreview> {
    return this.#call('POST', '/v1/rules/preview', { body: rules, retrySafe: true });
  }
  unknownReport(): Promise<UnknownReport> {
    return this.#call('GET', '/v1/reports/unknown');
  }
  /** Accounts now: by status-type and status, customers by plan, non-customers apart, Unknown by reason. */
  accountCounts(): Promise<AccountCounts> {
    return this.#call('GET', '/v1/reports/accounts');
  }
  metrics(
    range: { from?: string; to?: string } = {},
  ): Promise<{ from: string; to: string; days: DayMetrics[] }> {
    return this.#call('GET', '/v1/metrics', { query: range });
  }
  runHealth(): Promise<HealthRunView> {
    return this.#call('POST', '/v1/health-runs', { retrySafe: false });
  }
  /** Recent health runs, newest first (`limit`: 1 to 100, default 30). */
  listHealthRuns(query: { limit?: number } = {}): Promise<{ runs: HealthRunView[] }> {
    return this.#call('GET', '/v1/health-runs', { query });
  }
  async getHealthRun(runId: string): Promise<HealthRunView | undefined> {
    return (
      await this.#request<HealthRunView>('GET', `/v1/health-runs/${encodeURIComponent(runId)}`, {
        allow: [404],
      })
    )?.data;
  }
  /** A page of a run's excluded accounts in id order: all of them, or those of one deciding `reason`. */
  healthRunExclusions(
    runId: string,
    page: { reason?: string; cursor?: string; limit?: number } = {},
  ): Promise<{ exclusions: HealthRunExclusion[]; nextCursor: string | null }> {
    return this.#call('GET', `/v1/health-runs/${encodeURIComponent(runId)}/exclusions`, { query: page });
  }
  listApiKeys(): Promise<{ keys: ApiKeyView[] }> {
    return this.#call('GET', '/v1/api-keys');
  }
  createApiKey(name = ''): Promise<ApiKeyView & { key: string }> {
    return this.#call('POST', '/v1/api-keys', { body: { name }, retrySafe: false });
  }
  async revokeApiKey(keyId: string): Promise<void> {
    await this.#call('DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`);
  }
  async getConnectorState<T extends Record<string, unknown>>(connector: string): Promise<T | undefined> {
    return (
      await this.#request<T>('GET', `/v1/connectors/${encodeURIComponent(connector)}/state`, { allow: [404] })
    )?.data;
  }
  async putConnectorState(connector: string, state: Record<string, unknown>): Promise<void> {
    await this.#call('PUT', `/v1/connectors/${encodeURIComponent(connector)}/state`, { body: state });
  }
  /** An inbound endpoint for Stripe or Chargebee events; the answer has the URL to paste there. */
  createWebhookEndpoint(input: WebhookEndpointInput): Promise<NewWebhookEndpointView> {
    return this.#call('POST', '/v1/webhook-endpoints', { body: input, retrySafe: false });
  }
  listWebhookEndpoints(): Promise<{ endpoints: WebhookEndpointView[] }> {
    return this.#call('GET', '/v1/webhook-endpoints');
  }
  async getWebhookEndpoint(endpointId: string): Promise<WebhookEndpointView | undefined> {
    return (
      await this.#request<WebhookEndpointView>(
        'GET',
        `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`,
        {
          allow: [404],
        },
      )
    )?.data;
  }
  /** Subscribes a URL to events; the answer holds the signing secret (`whsec_...`), shown only once. */
  createWebhookSubscription(
    input: WebhookSubscriptionInput,
  ): Promise<WebhookSubscriptionView & { secret: string }> {
    return this.#call('POST', '/v1/webhook-subscriptions', { body: input, retrySafe: false });
  }
  listWebhookSubscriptions(): Promise<{ subscriptions: WebhookSubscriptionView[] }> {
    return this.#call('GET', '/v1/webhook-subscriptions');
  }
  async getWebhookSubscription(id: string): Promise<WebhookSubscriptionView | undefined> {
    return (
      await this.#request<WebhookSubscriptionView>(
        'GET',
        `/v1/webhook-subscriptions/${encodeURIComponent(id)}`,
        {
          allow: [404],
        },
      )
    )?.data;
  }
  updateWebhookEndpoint(
    endpointId: string,
    change: WebhookEndpointChange,
  ): Promise<WebhookEndpointView & { warnings: { at: string; message: string }[] }> {
    return this.#call('PATCH', `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`, { body: change });
  }
  async deleteWebhookEndpoint(endpointId: string): Promise<void> {
    await this.#call('DELETE', `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`);
  }
  /** A page of an endpoint's delivery log, newest first; pass `nextCursor` back as `cursor`. */
  webhookDeliveries(
    endpointId: string,
    page: { outcome?: WebhookDeliveryOutcome; cursor?: string; limit?: number } = {},
  ): Promise<{ deliveries: WebhookDeliveryView[]; nextCursor: string | null }> {
    return this.#call('GET', `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries`, {
      query: page,
    });
  }
  /** Changes the URL, events or description; `enabled: false` pauses deliveries, `true` resumes them. */
  updateWebhookSubscription(
    id: string,
    change: Partial<WebhookSubscriptionInput>,
  ): Promise<WebhookSubscriptionView> {
    return this.#call('PATCH', `/v1/webhook-subscriptions/${encodeURIComponent(id)}`, { body: change });
  }
  async deleteWebhookSubscription(id: string): Promise<void> {
    await this.#call('DELETE', `/v1/webhook-subscriptions/${encodeURIComponent(id)}`);
  }
  /** A new secret (answered once); for 24 h deliveries are signed with the old one too. */
  rotateWebhookSecret(id: string): Promise<WebhookSubscriptionView & { secret: string }> {
    return this.#call('POST', `/v1/webhook-subscriptions/${encodeURIComponent(id)}/rotate-secret`, {
      retrySafe: false,
    });
  }
  /** A page of a subscription's delivery log, newest first. */
  listSubscriptionDeliveries(
    id: string,
    page: { cursor?: string; limit?: number; state?: 'pending' | 'delivered' | 'failed' } = {},
  ): Promise<{ deliveries: SubscriptionDeliveryView[]; nextCursor: string | null }> {
    return this.#call('GET', `/v1/webhook-subscriptions/${encodeURIComponent(id)}/deliveries`, {
      query: page,
    });
  }
  getSubscriptionDelivery(id: string, deliveryId: string): Promise<SubscriptionDeliveryDetailView> {
    return this.#call(
      'GET',
      `/v1/webhook-subscriptions/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}`,
    );
  }
  /** Sends a failed (or delivered) delivery again, with the same `webhook-id`. */
  replaySubscriptionDelivery(id: string, deliveryId: string): Promise<SubscriptionDeliveryDetailView> {
    return this.#call(
      'POST',
      `/v1/webhook-subscriptions/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/replay`,
    );
  }
}

export function createClient(options: ClientOptions): StatuskitClient {
  return new StatuskitClient(options);
}
