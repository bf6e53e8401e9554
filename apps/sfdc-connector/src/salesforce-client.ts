import Papa from 'papaparse';
import type { ConnectorConfig } from './config.js';
import { ConfigError, secret } from './config.js';

/** A Salesforce error answer: its body is an array of { message, errorCode }. */
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

/** Why a sync stopped on purpose: a limit (run later), Salesforce (refused, unreachable), or the config. */
export type StopKind = 'limit' | 'salesforce' | 'config';

/** Stops a sync on purpose (limits, Salesforce refusing or failing) with a message for the person running it. */
export class StopSync extends Error {
  override readonly name = 'StopSync';
  constructor(
    message: string,
    readonly kind: StopKind = 'salesforce',
  ) {
    super(message);
  }
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

/** One field of an sObject describe. */
export interface DescribedField {
  readonly name: string;
  readonly label: string;
  readonly type: string;
  readonly picklistValues?: { value: string; label: string; active: boolean }[];
}

export interface ObjectDescribe {
  readonly name: string;
  readonly fields: DescribedField[];
}

export interface ClientOptions {
  readonly fetch?: typeof fetch;
  readonly env?: NodeJS.ProcessEnv;
  /** Default: the config's `salesforce.retries`. */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** Default: the config's `salesforce.timeoutSeconds`. */
  readonly timeoutMs?: number;
  /** First wait between two polls of a Bulk API 2.0 job (doubling up to 10 s). */
  readonly bulkPollMs?: number;
  readonly log?: (line: string) => void;
}

/** An answer read in full: status, headers and body (parsed when asked to). */
interface Answer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON body of a 2xx answer read with `json`. */
  readonly body?: unknown;
  /** The CSV rows of a 2xx answer read with `csv`. */
  readonly rows?: Record<string, string>[];
}

type BodyFormat = 'json' | 'csv' | 'none';

/** A body that arrived whole as far as HTTP knows, but does not parse: read again like a cut-off one. */
class IncompleteBody extends Error {}

/** Error codes that mean the query (its `where`, object or fields) is wrong: fix the config. */
const QUERY_REFUSED = new Set([
  'INVALID_FIELD',
  'INVALID_TYPE',
  'MALFORMED_QUERY',
  'INVALID_QUERY_FILTER_OPERATOR',
  'INVALIDJOB',
]);
/** Error codes that mean the integration user may not do this. */
const ACCESS_REFUSED = new Set(['INSUFFICIENT_ACCESS', 'API_DISABLED_FOR_ORG', 'FUNCTIONALITY_NOT_ENABLED']);
const TERMINAL_JOB = new Set(['JobComplete', 'Failed', 'Aborted']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A small fetch layer over the Salesforce REST API: OAuth2 token, query / queryMore / queryAll, describe,
 * Bulk API 2.0 query jobs. Every request, the reading of its body included, has a timeout of its own and is
 * retried on network errors, cut-off or unparseable bodies, 5xx and REQUEST_LIMIT_EXCEEDED, with exponential
 * backoff and jitter. It re-authenticates once on INVALID_SESSION_ID and otherwise keeps its session for as
 * long as Salesforce accepts it, watches Sforce-Limit-Info, and stops with a clear message when Salesforce
 * refuses.
 */
export class SalesforceClient {
  readonly #config: ConnectorConfig;
  readonly #fetch: typeof fetch;
  readonly #env: NodeJS.ProcessEnv;
  readonly #retries: number;
  readonly #base: number;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #log: (line: string) => void;
  #token: { accessToken: string; instanceUrl: string } | undefined;
  /** The org's API usage as last reported. */
  usage: ApiUsage | undefined;
  /** API calls made since `beginRun`. */
  calls = 0;
  #usageAtStart: number | undefined;

  constructor(config: ConnectorConfig, options: ClientOptions = {}) {
    this.#config = config;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#env = options.env ?? process.env;
    this.#retries = options.retries ?? config.salesforce.retries;
    this.#base = options.retryBaseMs ?? 500;
    this.#timeoutMs = options.timeoutMs ?? config.salesforce.timeoutSeconds * 1000;
    this.#pollMs = options.bulkPollMs ?? 500;
    this.#log = options.log ?? (() => {});
  }

  get apiPath(): string {
    return `/services/data/v${this.#config.salesforce.apiVersion}`;
  }

  /** Starts counting API calls and this sync's share of the daily allowance afresh (the session is kept). */
  beginRun(): void {
    this.calls = 0;
    this.#usageAtStart = undefined;
  }

  async login(): Promise<void> {
    const { auth, loginUrl } = this.#config.salesforce;
    const env = this.#env;
    const form = new URLSearchParams();
    const names: string[] = [auth.clientIdEnv];
    form.set('client_id', secret(env, auth.clientIdEnv));
    if (auth.flow === 'client-credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_secret', secret(env, auth.clientSecretEnv));
      names.push(auth.clientSecretEnv);
    } else if (auth.flow === 'refresh-token') {
      form.set('grant_type', 'refresh_token');
      if (auth.clientSecretEnv) {
        form.set('client_secret', secret(env, auth.clientSecretEnv));
        names.push(auth.clientSecretEnv);
      }
      form.set('refresh_token', secret(env, auth.refreshTokenEnv));
      names.push(auth.refreshTokenEnv);
    } else {
      form.set('grant_type', 'password');
      form.set('client_secret', secret(env, auth.clientSecretEnv));
      form.set('username', secret(env, auth.usernameEnv));
      form.set('password', secret(env, auth.passwordEnv));
      names.push(auth.clientSecretEnv, auth.usernameEnv, auth.passwordEnv);
    }
    const answer = await this.#send(
      `${loginUrl.replace(/\/+$/, '')}/services/oauth2/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      },
      "Salesforce's login endpoint",
      'json',
    );
    const body = (answer.ok ? answer.body : parseJson(answer.text)) as
      | { access_token?: string; instance_url?: string; error?: string; error_description?: string }
      | undefined;
    if (answer.ok && body?.access_token && body.instance_url) {
      this.#token = { accessToken: body.access_token, instanceUrl: body.instance_url.replace(/\/+$/, '') };
      return;
    }
    if (body?.error) {
      throw new StopSync(
        `Salesforce refused the login (${body.error}: ${body.error_description ?? 'no description'}). Check the connected app (the ${auth.flow} flow enabled, its policies) and the credentials in ${names.join(', ')}.`,
      );
    }
    throw new StopSync(
      `Salesforce's login endpoint answered HTTP ${answer.status} without an access token: ${answer.text.slice(0, 200) || '(empty body)'}`,
    );
  }

  /**
   * One request, read in full, with retries: network errors, timeouts, bodies cut off or not parseable, 5xx,
   * 429 and REQUEST_LIMIT_EXCEEDED. An error answer that retries do not cure is returned for the caller to
   * read; a failure to get any complete answer stops the sync.
   */
  async #send(url: string, init: RequestInit, who: string, format: BodyFormat): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#retries;
      let failure: { kind: 'unreachable' | 'incomplete' | 'limit' | 'status'; reason: string };
      let res: Response | undefined;
      try {
        res = await this.#fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
        this.calls++;
        this.#readLimits(res.headers);
        const text = await res.text();
        const answer: Answer = { status: res.status, ok: res.ok, headers: res.headers, text };
        if (res.ok) return { ...answer, ...parseBody(answer, format) };
        if (res.status === 403 && text.includes('REQUEST_LIMIT_EXCEEDED'))
          failure = { kind: 'limit', reason: firstError(text)?.message ?? 'REQUEST_LIMIT_EXCEEDED' };
        else if (res.status >= 500 || res.status === 429)
          failure = { kind: 'status', reason: `HTTP ${res.status}` };
        else return answer;
        if (last && failure.kind === 'status') return answer;
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError';
        failure = {
          kind: res === undefined && !timedOut ? 'unreachable' : 'incomplete',
          reason: timedOut ? `no answer within ${this.#timeoutMs / 1000} s` : describeError(error),
        };
      }
      if (last) {
        const attempts = `${attempt + 1} attempt${attempt ? 's' : ''}`;
        if (failure.kind === 'limit')
          throw new StopSync(
            `Salesforce refuses more requests: REQUEST_LIMIT_EXCEEDED (${failure.reason}), after ${attempts}. Run again later.`,
            'limit',
          );
        if (failure.kind === 'unreachable')
          throw new StopSync(
            `Salesforce is unreachable at ${new URL(url).origin}: ${failure.reason} (${attempts})`,
          );
        throw new StopSync(`${who} did not answer in full (${failure.reason}) after ${attempts}`);
      }
      await this.#backoff(attempt, failure.reason);
    }
  }

  async #backoff(attempt: number, reason: string) {
    const delay = Math.round(Math.random() * Math.min(30_000, this.#base * 2 ** attempt));
    this.#log(`retrying after ${reason} in ${delay} ms`);
    await sleep(delay);
  }

  #readLimits(headers: Headers) {
    const info = headers.get('sforce-limit-info');
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
        'limit',
      );
    }
    if (spent >= budget * 0.8) await sleep(1000);
  }

  /** An authenticated REST call, read in full; logs in first, and again once when the session expired. */
  async request(path: string, init: RequestInit = {}, format: BodyFormat = 'json'): Promise<Answer> {
    if (!this.#token) await this.login();
    await this.#respectLimits();
    for (let relogged = false; ; relogged = true) {
      const token = this.#token as { accessToken: string; instanceUrl: string };
      const url = path.startsWith('http') ? path : `${token.instanceUrl}${path}`;
      const answer = await this.#send(
        url,
        {
          ...init,
          headers: {
            ...(init.headers as Record<string, string>),
            authorization: `Bearer ${token.accessToken}`,
          },
        },
        'Salesforce',
        format,
      );
      if (answer.ok) return answer;
      const first = firstError(answer.text);
      const code = first?.errorCode ?? `HTTP_${answer.status}`;
      if (code === 'INVALID_SESSION_ID' && !relogged) {
        this.#log('session expired: logging in again');
        await this.login();
        continue;
      }
      const error = new SalesforceError(answer.status, code, first?.message ?? `HTTP ${answer.status}`);
      if (QUERY_REFUSED.has(code))
        throw new StopSync(
          `Salesforce rejected the query: ${error.message}. Check \`where\` and the object and field names in the config.`,
          'config',
        );
      if (ACCESS_REFUSED.has(code))
        throw new StopSync(
          `Salesforce refused the request: ${error.message}. Check the integration user's permissions (API Enabled, read access to the object and its fields).`,
        );
      throw error;
    }
  }

  /** Every record of a SOQL query, page by page (queryAll includes deleted records). */
  async *query<T>(soql: string, options: { all?: boolean } = {}): AsyncGenerator<T[]> {
    let page = (
      await this.request(
        `${this.apiPath}/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`,
      )
    ).body as QueryPage<T>;
    for (;;) {
      yield page.records;
      if (page.done || !page.nextRecordsUrl) return;
      page = (await this.request(page.nextRecordsUrl)).body as QueryPage<T>;
    }
  }

  async count(soql: string): Promise<number> {
    return (
      (await this.request(`${this.apiPath}/query?q=${encodeURIComponent(soql)}`)).body as QueryPage<unknown>
    ).totalSize;
  }

  /** The object's fields with their types and picklist values (the config's object name in any case). */
  async describe(object: string): Promise<ObjectDescribe> {
    try {
      return (await this.request(`${this.apiPath}/sobjects/${encodeURIComponent(object)}/describe`))
        .body as ObjectDescribe;
    } catch (error) {
      if (error instanceof SalesforceError && error.errorCode === 'NOT_FOUND')
        throw new ConfigError(
          `object: Salesforce has no object "${object}" (or the integration user cannot see it)`,
        );
      throw error;
    }
  }

  /**
   * A Bulk API 2.0 query job: create it, wait for it, read its CSV results set by set (Sforce-Locator), and
   * delete it once read, or when the sync stops on the way (aborting it first if it still runs). Rows come
   * as strings, in no particular order.
   */
  async *bulkQuery(soql: string, options: { all?: boolean } = {}): AsyncGenerator<Record<string, string>[]> {
    const jobs = `${this.apiPath}/jobs/query`;
    const json = { 'content-type': 'application/json' };
    const job = (
      await this.request(jobs, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ operation: options.all ? 'queryAll' : 'query', query: soql }),
      })
    ).body as { id: string; state?: string };
    let state = job.state ?? 'UploadComplete';
    try {
      for (let wait = this.#pollMs; ; wait = Math.min(wait * 2, 10_000)) {
        const info = (await this.request(`${jobs}/${job.id}`)).body as {
          state: string;
          errorMessage?: string;
        };
        state = info.state;
        if (state === 'JobComplete') break;
        if (state === 'Failed' || state === 'Aborted')
          throw new StopSync(
            `Bulk API 2.0 query job ${job.id} ${state}: ${info.errorMessage ?? 'no message'}`,
          );
        await sleep(wait);
      }
      let locator = '';
      do {
        const answer = await this.request(
          `${jobs}/${job.id}/results?maxRecords=10000${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`,
          {},
          'csv',
        );
        locator = answer.headers.get('sforce-locator') ?? '';
        if (locator === 'null') locator = '';
        yield answer.rows ?? [];
      } while (locator);
    } finally {
      try {
        if (!TERMINAL_JOB.has(state))
          await this.request(`${jobs}/${job.id}`, {
            method: 'PATCH',
            headers: json,
            body: JSON.stringify({ state: 'Aborted' }),
          });
        await this.request(`${jobs}/${job.id}`, { method: 'DELETE' }, 'none');
      } catch (error) {
        this.#log(`could not delete Bulk API 2.0 job ${job.id}: ${(error as Error).message}`);
      }
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function firstError(text: string): { errorCode?: string; message?: string } | undefined {
  const body = parseJson(text);
  return Array.isArray(body) ? body[0] : undefined;
}

/** Parses a 2xx body; a body that does not parse, or CSV with fewer rows than announced, is incomplete. */
function parseBody(answer: Answer, format: BodyFormat): { body?: unknown; rows?: Record<string, string>[] } {
  if (format === 'none' || answer.status === 204) return {};
  if (format === 'json') {
    try {
      return { body: JSON.parse(answer.text) };
    } catch (error) {
      throw new IncompleteBody(`unreadable JSON: ${(error as Error).message}`);
    }
  }
  const parsed = Papa.parse<Record<string, string>>(answer.text, { header: true, skipEmptyLines: true });
  const announced = answer.headers.get('sforce-numberofrecords');
  if (parsed.errors.length > 0)
    throw new IncompleteBody(`unreadable CSV: ${parsed.errors[0]?.message} (row ${parsed.errors[0]?.row})`);
  if (announced !== null && Number(announced) !== parsed.data.length)
    throw new IncompleteBody(`CSV with ${parsed.data.length} of ${announced} records`);
  return { rows: parsed.data };
}

/** `terminated (other side closed)`: the message of a network error and of its cause. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { message?: string; code?: string } | undefined;
  const detail = cause?.message ?? cause?.code;
  return detail && detail !== error.message ? `${error.message} (${detail})` : error.message;
}
