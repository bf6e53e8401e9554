import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback server that speaks the parts of the Salesforce REST API the connector uses, as documented:
 * OAuth2 token endpoint, query / queryAll with pages of at most 2,000 records and nextRecordsUrl, sObject
 * describe with picklistValues, error bodies as [{ message, errorCode }], Bulk API 2.0 query jobs with CSV
 * results paged by Sforce-Locator, and Sforce-Limit-Info on every answer. It evaluates the SOQL WHERE
 * clauses the connector sends (SystemModstamp > <datetime>, IsDeleted = true), so incremental reads are real.
 */
export interface SfRecord {
  Id: string;
  Name: string;
  Customer_Status__c: string | null;
  Industry: string | null;
  SystemModstamp: string;
  IsDeleted: boolean;
}

export type Fault = { status: number; errorCode?: string } | { drop: true };

export interface SalesforceDouble {
  readonly url: string;
  readonly records: SfRecord[];
  readonly queries: string[];
  /** Faults applied, in order, to the next API requests (not the token endpoint)... */
  readonly faults: Fault[];
  /** ...once this many more API requests have gone through. */
  faultAfter: number;
  apiUsage: { used: number; limit: number };
  /** Invalidates the current access tokens (the next call gets INVALID_SESSION_ID). */
  expireSessions(): void;
  close(): Promise<void>;
}

const VERSION = /^\/services\/data\/v(\d+\.\d)/;
const PICKLIST = [
  { value: 'Paying - Gold', label: 'Gold customer', active: true },
  { value: 'Paying - Silver', label: 'Silver customer', active: true },
  { value: 'Free Trial', label: 'Trial', active: true },
  { value: 'Churned', label: 'Former customer', active: true },
  { value: 'Partner', label: 'Partner', active: true },
  { value: 'Legacy', label: 'Legacy', active: false },
];
const FIELDS = ['Id', 'Name', 'Customer_Status__c', 'Industry', 'SystemModstamp', 'IsDeleted', 'OwnerId'];

function parseSoql(q: string): {
  fields: string[];
  count: boolean;
  object: string;
  since?: number;
  deleted: boolean;
} {
  const m = /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY .+)?$/i.exec(q.trim());
  if (!m) throw Object.assign(new Error(`unexpected token: ${q.slice(0, 40)}`), { code: 'MALFORMED_QUERY' });
  const [, select, object, where] = m as unknown as [string, string, string, string | undefined];
  const count = /^COUNT\(\)$/i.test(select.trim());
  const since = where ? /SystemModstamp > (\S+)/.exec(where)?.[1] : undefined;
  return {
    fields: count ? [] : select.split(',').map((f) => f.trim()),
    count,
    object,
    ...(since ? { since: Date.parse(since) } : {}),
    deleted: where ? /IsDeleted = true/.test(where) : false,
  };
}

function csv(rows: Record<string, unknown>[], fields: string[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${fields.join(',')}\n${rows.map((r) => fields.map((f) => cell(r[f])).join(',')).join('\n')}\n`;
}

export async function startSalesforceDouble(options: {
  clientId: string;
  clientSecret: string;
  records?: SfRecord[];
}): Promise<SalesforceDouble> {
  const records = options.records ?? [];
  const queries: string[] = [];
  const faults: Fault[] = [];
  const tokens = new Set<string>();
  const cursors = new Map<string, { rows: Record<string, unknown>[]; offset: number; total: number }>();
  const jobs = new Map<string, { rows: Record<string, unknown>[]; fields: string[]; polls: number }>();
  let seq = 0;
  const double = {
    url: '',
    records,
    queries,
    faults,
    faultAfter: 0,
    apiUsage: { used: 100, limit: 15_000 },
  } as SalesforceDouble;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/csv' : 'application/json',
      'sforce-limit-info': `api-usage=${double.apiUsage.used}/${double.apiUsage.limit}`,
      ...headers,
    });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, errorCode: string, message: string) =>
    send(res, status, [{ message, errorCode }]);
  const page = (rows: Record<string, unknown>[], offset: number, total: number, version: string) => {
    const slice = rows.slice(offset, offset + 2000);
    const done = offset + slice.length >= rows.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const id = `01g${String(++seq).padStart(15, '0')}`;
      cursors.set(id, { rows, offset: offset + 2000, total });
      nextRecordsUrl = `/services/data/v${version}/query/${id}-${offset + 2000}`;
    }
    return { totalSize: total, done, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records: slice };
  };
  const select = (q: ReturnType<typeof parseSoql>, all: boolean) =>
    records
      .filter(
        (r) =>
          (all ? true : !r.IsDeleted) &&
          (!q.deleted || r.IsDeleted) &&
          (q.since === undefined || Date.parse(r.SystemModstamp) > q.since),
      )
      .sort((a, b) => a.SystemModstamp.localeCompare(b.SystemModstamp) || a.Id.localeCompare(b.Id))
      .map((r) => {
        const out: Record<string, unknown> = {
          attributes: { type: 'Account', url: `/services/data/v61.0/sobjects/Account/${r.Id}` },
        };
        for (const f of q.fields) out[f] = (r as unknown as Record<string, unknown>)[f] ?? null;
        return out;
      });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (d) => {
        b += d;
      });
      req.on('end', () => resolve(b));
    });
    if (url.pathname === '/services/oauth2/token') {
      const form = new URLSearchParams(body);
      if (
        form.get('client_id') !== options.clientId ||
        (form.has('client_secret') && form.get('client_secret') !== options.clientSecret)
      ) {
        return send(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
      }
      const token = `00D000000000001!${++seq}`;
      tokens.add(token);
      return send(res, 200, {
        access_token: token,
        instance_url: double.url,
        id: `${double.url}/id/00D/005`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        signature: 'x',
      });
    }
    const fault = double.faultAfter > 0 ? undefined : faults.shift();
    if (double.faultAfter > 0) double.faultAfter--;
    if (fault) {
      if ('drop' in fault) {
        req.socket.destroy();
        return;
      }
      return error(res, fault.status, fault.errorCode ?? 'SERVER_ERROR', 'injected fault');
    }
    double.apiUsage.used++;
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (!auth || !tokens.has(auth))
      return error(res, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    const version = VERSION.exec(url.pathname)?.[1];
    if (!version) return error(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
    const rest = url.pathname.slice(`/services/data/v${version}`.length);
    if (rest === '/query' || rest === '/queryAll') {
      const q = url.searchParams.get('q') ?? '';
      queries.push(q);
      let parsed: ReturnType<typeof parseSoql>;
      try {
        parsed = parseSoql(q);
      } catch (e) {
        return error(res, 400, 'MALFORMED_QUERY', (e as Error).message);
      }
      if (parsed.object !== 'Account')
        return error(res, 400, 'INVALID_TYPE', `sObject type '${parsed.object}' is not supported.`);
      const bad = parsed.fields.find((f) => !FIELDS.includes(f));
      if (bad) return error(res, 400, 'INVALID_FIELD', `No such column '${bad}' on entity 'Account'.`);
      const rows = select(parsed, rest === '/queryAll');
      if (parsed.count) return send(res, 200, { totalSize: rows.length, done: true, records: [] });
      return send(res, 200, page(rows, 0, rows.length, version));
    }
    const more = /^\/query\/(01g\d+)-(\d+)$/.exec(rest);
    if (more) {
      const cursor = cursors.get(more[1] as string);
      if (!cursor) return error(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return send(res, 200, page(cursor.rows, cursor.offset, cursor.total, version));
    }
    if (rest === '/sobjects/Account/describe') {
      return send(res, 200, {
        name: 'Account',
        fields: FIELDS.map((name) => ({
          name,
          label: name,
          type: name === 'Customer_Status__c' ? 'picklist' : 'string',
          picklistValues:
            name === 'Customer_Status__c'
              ? PICKLIST.map((p) => ({ ...p, defaultValue: false, validFor: null }))
              : [],
        })),
      });
    }
    if (rest === '/jobs/query' && req.method === 'POST') {
      const { query } = JSON.parse(body) as { query: string };
      queries.push(query);
      const parsed = parseSoql(query);
      const id = `750${String(++seq).padStart(15, '0')}`;
      jobs.set(id, { rows: select(parsed, false), fields: parsed.fields, polls: 0 });
      return send(res, 200, { id, operation: 'query', object: 'Account', state: 'UploadComplete' });
    }
    const job = /^\/jobs\/query\/(750\d+)(\/results)?$/.exec(rest);
    if (job) {
      const j = jobs.get(job[1] as string);
      if (!j) return error(res, 404, 'NOT_FOUND', 'job not found');
      if (!job[2]) return send(res, 200, { id: job[1], state: j.polls++ < 1 ? 'InProgress' : 'JobComplete' });
      const max = Number(url.searchParams.get('maxRecords') ?? 10000);
      const offset = Number(url.searchParams.get('locator') ?? 0);
      const slice = j.rows.slice(offset, offset + max);
      const next = offset + max < j.rows.length ? String(offset + max) : 'null';
      return send(res, 200, csv(slice, j.fields), {
        'sforce-locator': next,
        'sforce-numberofrecords': String(slice.length),
      });
    }
    return error(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 500, [{ message: String(e), errorCode: 'UNKNOWN_EXCEPTION' }]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  Object.assign(double, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    expireSessions: () => tokens.clear(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  return double;
}
