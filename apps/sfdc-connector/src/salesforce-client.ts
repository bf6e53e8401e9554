import type { ConnectorConfig } from './config.js';
import { secret } from './config.js';

/** A Salesforce error body: an array of { message, errorCode }. */
export class SalesforceError extends Error {
  override readonly name = 'SalesforceError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(`${errorCode}: ${message}`);
  }
}

/** Stops a sync on purpose (limits, fatal Salesforce errors) with a message for the person running it. */
export class StopSync extends Error {
  override readonly name = 'StopSync';
}

export interface QueryPage<T> {
  readonly totalSize: number;
  readonly done: boolean;
  readonly nextRecordsUrl?: string;
  readonly records: T[];
}

export interface ApiUsage {
  used: number;
  limit: number;
}

export interface ClientOptions {
  readonly fetch?: typeof fetch;
  readonly env?: NodeJS.ProcessEnv;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly log?: (line: string) => void;
}

const FATAL = new Set([
  'INVALID_FIELD',
  'INVALID_TYPE',
  'MALFORMED_QUERY',
  'INVALID_QUERY_FILTER_OPERATOR',
  'INSUFFICIENT_ACCESS',
  'API_DISABLED_FOR_ORG',
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A small fetch layer over the Salesforce REST API: OAuth2 token, query / queryMore / queryAll, describe,
 * Bulk API 2.0 query jobs. It retries 5xx, network errors and REQUEST_LIMIT_EXCEEDED with exponential
 * backoff and jitter, re-authenticates once on INVALID_SESSION_ID, watches Sforce-Limit-Info, and stops
 * with a clear message on INVALID_FIELD / INVALID_TYPE / bad credentials.
 */
export class SalesforceClient {
  readonly #config: ConnectorConfig;
  readonly #fetch: typeof fetch;
  readonly #env: NodeJS.ProcessEnv;
  readonly #retries: number;
  readonly #base: number;
  readonly #log: (line: string) => void;
  #token: { accessToken: string; instanceUrl: string } | undefined;
  /** The org's API usage as last reported, and calls this client made. */
  usage: ApiUsage | undefined;
  calls = 0;
  #usageAtStart: number | undefined;

  constructor(config: ConnectorConfig, options: ClientOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#env = options.env ?? process.env;
    this.#retries = options.retries ?? 5;
    this.#base = options.retryBaseMs ?? 500;
    this.#log = options.log ?? (() => {});
  }

  get apiPath(): string {
    return `/services/data/v${this.#config.salesforce.apiVersion}`;
  }

  async login(): Promise<void> {
    const { auth, loginUrl } = this.#config.salesforce;
    const env = this.#env;
    const form = new URLSearchParams();
    if (auth.flow === 'client-credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', secret(env, auth.clientIdEnv));
      form.set('client_secret', secret(env, auth.clientSecretEnv));
    } else if (auth.flow === 'refresh-token') {
      form.set('grant_type', 'refresh_token');
      form.set('client_id', secret(env, auth.clientIdEnv));
      if (auth.clientSecretEnv) form.set('client_secret', secret(env, auth.clientSecretEnv));
      form.set('refresh_token', secret(env, auth.refreshTokenEnv));
    } else {
      form.set('grant_type', 'password');
      form.set('client_id', secret(env, auth.clientIdEnv));
      form.set('client_secret', secret(env, auth.clientSecretEnv));
      form.set('username', secret(env, auth.usernameEnv));
      form.set('password', secret(env, auth.passwordEnv));
    }
    const res = await this.#send(`${loginUrl.replace(/\/+$/, '')}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      instance_url?: string;
      error?: string;
      error_description?: string;
    };
    if (!res.ok || !body.access_token || !body.instance_url) {
      throw new StopSync(
        `Salesforce login failed (${body.error ?? res.status}): ${body.error_description ?? 'check the connected app and the credentials in the environment'}`,
      );
    }
    this.#token = { accessToken: body.access_token, instanceUrl: body.instance_url.replace(/\/+$/, '') };
  }

  /** fetch with retries for network errors, 5xx and REQUEST_LIMIT_EXCEEDED. */
  async #send(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(url, init);
      } catch (error) {
        if (attempt >= this.#retries)
          throw new StopSync(
            `Salesforce is unreachable at ${new URL(url).origin}: ${(error as Error).message}`,
          );
        await this.#backoff(attempt, `network error (${(error as Error).message})`);
        continue;
      }
      this.calls++;
      this.#readLimits(res);
      if (res.status >= 500 && attempt < this.#retries) {
        await res.body?.cancel();
        await this.#backoff(attempt, `HTTP ${res.status}`);
        continue;
      }
      if (res.status === 403 && attempt < this.#retries) {
        const text = await res.clone().text();
        if (text.includes('REQUEST_LIMIT_EXCEEDED')) {
          await this.#backoff(attempt, 'REQUEST_LIMIT_EXCEEDED');
          continue;
        }
      }
      return res;
    }
  }

  async #backoff(attempt: number, reason: string) {
    const delay = Math.round(Math.random() * Math.min(30_000, this.#base * 2 ** attempt));
    this.#log(`retrying after ${reason} in ${delay} ms`);
    await sleep(delay);
  }

  #readLimits(res: Response) {
    const info = res.headers.get('sforce-limit-info');
    const m = info ? /api-usage=(\d+)\/(\d+)/.exec(info) : null;
    if (!m) return;
    this.usage = { used: Number(m[1]), limit: Number(m[2]) };
    this.#usageAtStart ??= this.usage.used;
  }

  /** Slows down past 80% of this sync's share of the daily allowance, stops at 100%. */
  async #respectLimits(): Promise<void> {
    if (!this.usage || this.#usageAtStart === undefined) return;
    const budget = Math.max(1, Math.floor(this.usage.limit * this.#config.apiShare));
    const spent = this.usage.used - this.#usageAtStart;
    if (spent >= budget || this.usage.used >= this.usage.limit) {
      throw new StopSync(
        `stopping: this sync used ${spent} API calls, its share (${Math.round(this.#config.apiShare * 100)}%) of the org's daily ${this.usage.limit}; the org is at ${this.usage.used}. Run again later or raise apiShare.`,
      );
    }
    if (spent >= budget * 0.8) await sleep(1000);
  }

  /** An authenticated REST call; re-logs in once when the session expired. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    if (!this.#token) await this.login();
    await this.#respectLimits();
    for (let relogged = false; ; relogged = true) {
      const token = this.#token as { accessToken: string; instanceUrl: string };
      const url = path.startsWith('http') ? path : `${token.instanceUrl}${path}`;
      const res = await this.#send(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${token.accessToken}`,
        },
      });
      if (res.ok) return res;
      const errors = (await res.json().catch(() => [])) as { errorCode?: string; message?: string }[];
      const first = Array.isArray(errors) ? errors[0] : undefined;
      const code = first?.errorCode ?? `HTTP_${res.status}`;
      if (code === 'INVALID_SESSION_ID' && !relogged) {
        this.#log('session expired: logging in again');
        await this.login();
        continue;
      }
      const error = new SalesforceError(res.status, code, first?.message ?? res.statusText);
      if (FATAL.has(code))
        throw new StopSync(
          `Salesforce refused the request: ${error.message}. Check the object and field names in the config.`,
        );
      throw error;
    }
  }

  async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  /** Every record of a SOQL query, page by page (queryAll includes deleted records). */
  async *query<T>(soql: string, options: { all?: boolean } = {}): AsyncGenerator<T[]> {
    let page = await this.json<QueryPage<T>>(
      `${this.apiPath}/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`,
    );
    for (;;) {
      yield page.records;
      if (page.done || !page.nextRecordsUrl) return;
      page = await this.json<QueryPage<T>>(page.nextRecordsUrl);
    }
  }

  async count(soql: string): Promise<number> {
    return (await this.json<QueryPage<unknown>>(`${this.apiPath}/query?q=${encodeURIComponent(soql)}`))
      .totalSize;
  }

  describe(object: string): Promise<{
    fields: {
      name: string;
      label: string;
      type: string;
      picklistValues?: { value: string; label: string; active: boolean }[];
    }[];
  }> {
    return this.json(`${this.apiPath}/sobjects/${object}/describe`);
  }

  /** A Bulk API 2.0 query: create the job, wait for it, read the CSV results page by page (Sforce-Locator). */
  async *bulkQuery(
    soql: string,
    parseCsv: (text: string) => Record<string, string>[],
  ): AsyncGenerator<Record<string, string>[]> {
    const job = await this.json<{ id: string }>(`${this.apiPath}/jobs/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'query', query: soql }),
    });
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      const state = await this.json<{ state: string; errorMessage?: string }>(
        `${this.apiPath}/jobs/query/${job.id}`,
      );
      if (state.state === 'JobComplete') break;
      if (state.state === 'Failed' || state.state === 'Aborted')
        throw new StopSync(`Bulk query ${job.id} ${state.state}: ${state.errorMessage ?? ''}`);
      await sleep(wait);
    }
    let locator: string | null = null;
    do {
      const res = await this.request(
        `${this.apiPath}/jobs/query/${job.id}/results?maxRecords=10000${locator ? `&locator=${locator}` : ''}`,
      );
      locator = res.headers.get('sforce-locator');
      if (locator === 'null') locator = null;
      yield parseCsv(await res.text());
    } while (locator);
  }
}
