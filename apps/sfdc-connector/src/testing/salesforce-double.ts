import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { conditionFields, matches, parseSoql, SoqlError, type SoqlQuery } from './soql.js';

/**
 * A loopback server that speaks the parts of the Salesforce REST API the connector uses, as documented:
 *
 * - OAuth2 token endpoint (client credentials, refresh token, password), errors as `{ error, error_description }`;
 * - query / queryAll with pages (2,000 records by default) and nextRecordsUrl, query locators that can expire
 *   (INVALID_QUERY_LOCATOR), COUNT(), GROUP BY with COUNT(field), WHERE conditions (see `soql.ts`), ORDER BY;
 *   field and object names are case-insensitive in SOQL and canonical in responses;
 * - sObject describe with field types and picklistValues (active and inactive);
 * - Bulk API 2.0 query jobs (query and queryAll): create, poll, CSV results paged by Sforce-Locator with
 *   Sforce-NumberOfRecords, every value quoted, null as an empty value, the header as the query spells the
 *   fields, rows in Id order (the server chunks by primary key, so ORDER BY is not honoured); abort; delete
 *   (only once the job is JobComplete, Aborted or Failed);
 * - error bodies as `[{ message, errorCode }]`, Sforce-Limit-Info on every answer.
 *
 * Faults are injected deterministically: an error answer, a dropped connection, a body cut after K bytes
 * (headers already sent), a hung answer, or expired query locators, on the next request (optionally the next
 * whose path contains a given string), on the API or on the token endpoint.
 */
export interface SfRecord {
  Id: string;
  SystemModstamp: string;
  IsDeleted: boolean;
  Name?: string | null;
  Customer_Status__c?: string | null;
  Industry?: string | null;
  [field: string]: unknown;
}

export interface SfField {
  readonly name: string;
  readonly type: string;
  readonly label?: string;
  readonly picklistValues?: { value: string; label: string; active: boolean }[];
  /** Long text areas cannot be grouped. */
  readonly groupable?: boolean;
}

export type Fault = (
  | { status: number; errorCode?: string; message?: string }
  | { drop: true }
  /** Sends the headers and the first `truncate` bytes of the body, then cuts the connection. */
  | { truncate: number }
  /** Never answers (`headers`), or sends the headers and half the body and then stalls (`body`). */
  | { hang: 'headers' | 'body' }
  /** Expires every open query locator, then answers the request normally. */
  | { expireCursors: true }
) & {
  /** Applies to the next request whose path contains this (default: the next request). */
  match?: string;
};

export interface SalesforceDouble {
  readonly url: string;
  readonly records: SfRecord[];
  /** The Account fields describe lists; tests may add values to the picklist or fields to the object. */
  readonly fields: SfField[];
  readonly queries: string[];
  /** Faults applied, in order, to the next API requests (not the token endpoint)... */
  readonly faults: Fault[];
  /** ...once this many more API requests have gone through. */
  faultAfter: number;
  /** Faults applied, in order, to the next token requests. */
  readonly tokenFaults: Fault[];
  /** Token requests answered so far (logins). */
  readonly tokenRequests: number;
  /** Every request's method and path, in order. */
  readonly requests: string[];
  /** Bulk API 2.0 query jobs that still exist (not deleted). */
  readonly bulkJobs: { id: string; state: string }[];
  apiUsage: { used: number; limit: number };
  /** Invalidates the current access tokens (the next call gets INVALID_SESSION_ID). */
  expireSessions(): void;
  /** Expires the open query locators (the next queryMore gets INVALID_QUERY_LOCATOR). */
  expireCursors(): void;
  close(): Promise<void>;
}

const VERSION = /^\/services\/data\/v(\d+\.\d)/;

export const CUSTOMER_STATUS_PICKLIST = [
  { value: 'Paying - Gold', label: 'Gold customer', active: true },
  { value: 'Paying - Silver', label: 'Silver customer', active: true },
  { value: 'Free Trial', label: 'Trial', active: true },
  { value: 'Churned', label: 'Former customer', active: true },
  { value: 'Partner', label: 'Partner', active: true },
  { value: 'Legacy', label: 'Legacy', active: false },
];

/** The Account fields of the double: one of each type the connector types values by. */
export function accountFields(): SfField[] {
  return [
    { name: 'Id', type: 'id' },
    { name: 'IsDeleted', type: 'boolean' },
    { name: 'Name', type: 'string' },
    {
      name: 'Customer_Status__c',
      type: 'picklist',
      picklistValues: CUSTOMER_STATUS_PICKLIST.map((p) => ({ ...p })),
    },
    {
      name: 'Industry',
      type: 'picklist',
      picklistValues: ['Retail', 'Software'].map((v) => ({ value: v, label: v, active: true })),
    },
    { name: 'Region__c', type: 'string' },
    { name: 'NumberOfEmployees', type: 'int' },
    { name: 'AnnualRevenue', type: 'currency' },
    { name: 'Score__c', type: 'double' },
    { name: 'Active__c', type: 'boolean' },
    { name: 'Renewal_Date__c', type: 'date' },
    { name: 'Last_Login__c', type: 'datetime' },
    { name: 'OwnerId', type: 'reference' },
    { name: 'Description', type: 'textarea', groupable: false },
    { name: 'SystemModstamp', type: 'datetime' },
  ];
}

const NUMERIC = new Set(['int', 'double', 'currency', 'percent', 'long']);

/** A value as the REST API renders it in JSON. */
function restValue(v: unknown, type: string): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (type === 'datetime') return new Date(Date.parse(String(v))).toISOString().replace('Z', '+0000');
  return v;
}

/** A value as Bulk API 2.0 writes it in CSV (before quoting): null is empty. */
function csvValue(v: unknown, type: string): string {
  if (v === null || v === undefined) return '';
  if (type === 'datetime') return new Date(Date.parse(String(v))).toISOString();
  if (NUMERIC.has(type) && typeof v === 'number' && type !== 'int' && Number.isInteger(v)) return `${v}.0`;
  return String(v);
}

function csv(header: string[], rows: string[][]): string {
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function startSalesforceDouble(options: {
  clientId: string;
  clientSecret: string;
  records?: SfRecord[];
  fields?: SfField[];
  /** Records per REST query page (Salesforce's default batch size is 2,000). */
  pageSize?: number;
  /** Job polls answered InProgress before a Bulk job completes. */
  bulkPolls?: number;
}): Promise<SalesforceDouble> {
  const records = options.records ?? [];
  const fields = options.fields ?? accountFields();
  const pageSize = options.pageSize ?? 2000;
  const queries: string[] = [];
  const requests: string[] = [];
  const faults: Fault[] = [];
  const tokenFaults: Fault[] = [];
  const tokens = new Set<string>();
  const cursors = new Map<string, { rows: Record<string, unknown>[]; total: number }>();
  const jobs = new Map<
    string,
    { header: string[]; rows: string[][]; polls: number; state: string; operation: string }
  >();
  let seq = 0;
  let tokenRequests = 0;
  const double = {
    url: '',
    records,
    fields,
    queries,
    requests,
    faults,
    tokenFaults,
    faultAfter: 0,
    apiUsage: { used: 100, limit: 15_000 },
  } as unknown as SalesforceDouble;
  Object.defineProperties(double, {
    tokenRequests: { get: () => tokenRequests },
    bulkJobs: { get: () => [...jobs].map(([id, j]) => ({ id, state: j.state })) },
  });

  const field = (name: string) => fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const json = (status: number, body: unknown): Answer => ({
    status,
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: JSON.stringify(body),
  });
  const error = (status: number, errorCode: string, message: string) =>
    json(status, [{ message, errorCode }]);

  /** The records a query selects, with canonical field names and REST values. */
  const select = (q: SoqlQuery, all: boolean): { rows: SfRecord[]; error?: Answer } => {
    if (q.object.toLowerCase() !== 'account')
      return { rows: [], error: error(400, 'INVALID_TYPE', `sObject type '${q.object}' is not supported.`) };
    const unknown = [...q.fields, ...conditionFields(q.where), ...(q.groupBy ? [q.groupBy] : [])].find(
      (f) => !field(f),
    );
    if (unknown)
      return {
        rows: [],
        error: error(400, 'INVALID_FIELD', `No such column '${unknown}' on entity 'Account'.`),
      };
    if (q.groupBy && field(q.groupBy)?.groupable === false)
      return {
        rows: [],
        error: error(400, 'INVALID_FIELD', `field '${q.groupBy}' can not be grouped in a query call`),
      };
    const fieldOf = (r: SfRecord) => (name: string) => {
      const f = field(name) as SfField;
      return { value: r[f.name], type: f.type };
    };
    const rows = records.filter((r) => (all || !r.IsDeleted) && matches(q.where, fieldOf(r)));
    const order = q.orderBy.length ? q.orderBy : [{ field: 'Id', desc: false }];
    rows.sort((a, b) => {
      for (const o of order) {
        const f = field(o.field) as SfField;
        const x = f.type === 'datetime' ? Date.parse(String(a[f.name])) : String(a[f.name] ?? '');
        const y = f.type === 'datetime' ? Date.parse(String(b[f.name])) : String(b[f.name] ?? '');
        if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1);
      }
      return 0;
    });
    return { rows: q.limit !== undefined ? rows.slice(0, q.limit) : rows };
  };
  const restRecord = (r: SfRecord, names: string[]) => {
    const out: Record<string, unknown> = {
      attributes: { type: 'Account', url: `/services/data/v61.0/sobjects/Account/${r.Id}` },
    };
    for (const name of names) {
      const f = field(name) as SfField;
      out[f.name] = restValue(r[f.name], f.type);
    }
    return out;
  };
  const page = (rows: Record<string, unknown>[], offset: number, total: number, version: string) => {
    const slice = rows.slice(offset, offset + pageSize);
    const done = offset + slice.length >= rows.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const id = `01g${String(++seq).padStart(15, '0')}`;
      cursors.set(id, { rows, total });
      nextRecordsUrl = `/services/data/v${version}/query/${id}-${offset + pageSize}`;
    }
    return json(200, {
      totalSize: total,
      done,
      ...(nextRecordsUrl ? { nextRecordsUrl } : {}),
      records: slice,
    });
  };

  const token = (body: string): Answer => {
    tokenRequests++;
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    if (!['client_credentials', 'refresh_token', 'password'].includes(grant ?? ''))
      return json(400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    if (
      form.get('client_id') !== options.clientId ||
      (form.has('client_secret') && form.get('client_secret') !== options.clientSecret)
    )
      return json(400, { error: 'invalid_client', error_description: 'invalid client credentials' });
    if (grant === 'password' && !form.get('password'))
      return json(400, { error: 'invalid_grant', error_description: 'authentication failure' });
    const t = `00D000000000001!${++seq}`;
    tokens.add(t);
    return json(200, {
      access_token: t,
      instance_url: double.url,
      id: `${double.url}/id/00D000000000001AAA/005000000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'x',
    });
  };

  const api = (req: IncomingMessage, url: URL, body: string): Answer => {
    double.apiUsage.used++;
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (!auth || !tokens.has(auth)) return error(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    const version = VERSION.exec(url.pathname)?.[1];
    if (!version) return error(404, 'NOT_FOUND', 'The requested resource does not exist');
    const rest = url.pathname.slice(`/services/data/v${version}`.length);
    if (rest === '/query' || rest === '/queryAll') {
      const text = url.searchParams.get('q') ?? '';
      queries.push(text);
      let q: SoqlQuery;
      try {
        q = parseSoql(text);
      } catch (e) {
        return error(400, e instanceof SoqlError ? e.errorCode : 'MALFORMED_QUERY', (e as Error).message);
      }
      const { rows, error: refused } = select(q, rest === '/queryAll');
      if (refused) return refused;
      if (q.count) return json(200, { totalSize: rows.length, done: true, records: [] });
      if (q.groupBy) {
        const f = field(q.groupBy) as SfField;
        const groups = new Map<unknown, number>();
        for (const r of rows) groups.set(r[f.name] ?? null, (groups.get(r[f.name] ?? null) ?? 0) + 1);
        const out = [...groups].map(([value, n]) => ({
          attributes: { type: 'AggregateResult' },
          [f.name]: restValue(value, f.type),
          ...Object.fromEntries(q.aggregates.map((_, k) => [`expr${k}`, n])),
        }));
        return json(200, { totalSize: out.length, done: true, records: out });
      }
      const out = rows.map((r) => restRecord(r, q.fields));
      return page(out, 0, out.length, version);
    }
    const more = /^\/query\/(01g\d+)-(\d+)$/.exec(rest);
    if (more) {
      const cursor = cursors.get(more[1] as string);
      if (!cursor) return error(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return page(cursor.rows, Number(more[2]), cursor.total, version);
    }
    const describe = /^\/sobjects\/(\w+)\/describe$/.exec(rest);
    if (describe) {
      if ((describe[1] as string).toLowerCase() !== 'account')
        return error(404, 'NOT_FOUND', 'The requested resource does not exist');
      return json(200, {
        name: 'Account',
        label: 'Account',
        fields: fields.map((f) => ({
          name: f.name,
          label: f.label ?? f.name,
          type: f.type,
          groupable: f.groupable ?? true,
          nillable: f.name !== 'Id',
          picklistValues: (f.picklistValues ?? []).map((p) => ({
            ...p,
            defaultValue: false,
            validFor: null,
          })),
        })),
      });
    }
    if (rest === '/jobs/query' && req.method === 'POST') {
      const { query, operation } = JSON.parse(body) as { query: string; operation: string };
      queries.push(query);
      if (operation !== 'query' && operation !== 'queryAll')
        return error(400, 'INVALIDJOB', `Invalid operation: ${operation}`);
      let q: SoqlQuery;
      try {
        q = parseSoql(query);
      } catch (e) {
        return error(400, 'INVALIDJOB', (e as Error).message);
      }
      const { rows, error: refused } = select({ ...q, orderBy: [] }, operation === 'queryAll');
      if (refused) return error(400, 'INVALIDJOB', JSON.parse(refused.body)[0].message);
      const id = `750${String(++seq).padStart(15, '0')}`;
      jobs.set(id, {
        header: q.fields,
        rows: rows.map((r) =>
          q.fields.map((name) => {
            const f = field(name) as SfField;
            return csvValue(r[f.name], f.type);
          }),
        ),
        polls: 0,
        state: 'UploadComplete',
        operation,
      });
      return json(200, { id, operation, object: 'Account', state: 'UploadComplete', contentType: 'CSV' });
    }
    const job = /^\/jobs\/query\/(750\d+)(\/results)?$/.exec(rest);
    if (job) {
      const id = job[1] as string;
      const j = jobs.get(id);
      if (!j) return error(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (req.method === 'DELETE') {
        if (!['JobComplete', 'Aborted', 'Failed'].includes(j.state))
          return error(
            400,
            'API_ERROR',
            'Error encountered when deleting the job because the job is not terminated',
          );
        jobs.delete(id);
        return { status: 204, headers: {}, body: '' };
      }
      if (req.method === 'PATCH') {
        j.state = 'Aborted';
        return json(200, { id, operation: j.operation, state: 'Aborted' });
      }
      if (!job[2]) {
        if (j.state === 'UploadComplete' || j.state === 'InProgress')
          j.state = j.polls++ < (options.bulkPolls ?? 1) ? 'InProgress' : 'JobComplete';
        return json(200, { id, operation: j.operation, object: 'Account', state: j.state });
      }
      if (j.state !== 'JobComplete')
        return error(400, 'API_ERROR', `Job ${id} is not complete (state ${j.state})`);
      const max = Number(url.searchParams.get('maxRecords') ?? 10000);
      const offset = Number(url.searchParams.get('locator') ?? 0);
      const slice = j.rows.slice(offset, offset + max);
      return {
        status: 200,
        headers: {
          'content-type': 'text/csv',
          'sforce-locator': offset + max < j.rows.length ? String(offset + max) : 'null',
          'sforce-numberofrecords': String(slice.length),
        },
        body: csv(j.header, slice),
      };
    }
    return error(404, 'NOT_FOUND', 'The requested resource does not exist');
  };

  /** The fault that applies to this request, taken off its queue. */
  const takeFault = (queue: Fault[], path: string, counted: boolean): Fault | undefined => {
    if (counted && double.faultAfter > 0) {
      double.faultAfter--;
      return undefined;
    }
    const next = queue[0];
    if (!next || (next.match && !path.includes(next.match))) return undefined;
    return queue.shift();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (d) => {
        b += d;
      });
      req.on('end', () => resolve(b));
    });
    requests.push(`${req.method} ${url.pathname}`);
    const isToken = url.pathname === '/services/oauth2/token';
    const fault = takeFault(isToken ? tokenFaults : faults, `${url.pathname}${url.search}`, !isToken);
    if (fault && 'expireCursors' in fault) cursors.clear();
    if (fault && 'drop' in fault) return void req.socket.destroy();
    if (fault && 'hang' in fault && fault.hang === 'headers') return;
    const answer =
      fault && 'status' in fault
        ? error(fault.status, fault.errorCode ?? 'SERVER_ERROR', fault.message ?? 'injected fault')
        : isToken
          ? token(body)
          : api(req, url, body);
    const bytes = Buffer.from(answer.body);
    res.writeHead(answer.status, {
      ...answer.headers,
      'content-length': String(bytes.length),
      'sforce-limit-info': `api-usage=${double.apiUsage.used}/${double.apiUsage.limit}`,
    });
    if (fault && 'truncate' in fault) {
      res.write(bytes.subarray(0, Math.min(fault.truncate, Math.max(0, bytes.length - 1))), () =>
        res.socket?.destroy(),
      );
      return;
    }
    if (fault && 'hang' in fault) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return;
    }
    res.end(bytes);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ message: String(e), errorCode: 'UNKNOWN_EXCEPTION' }]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  Object.assign(double, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    expireSessions: () => tokens.clear(),
    expireCursors: () => cursors.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return double;
}
