// Generators of hostile requests, driven by the OpenAPI document: every operation, with path, query, header
// and body values that mostly follow the declared schema and are hostile where they do not (NUL, lone
// surrogates, huge and deep JSON, impossible dates, numbers JSON cannot carry, wrong types, path tricks).
import fc from 'fast-check';

export interface OpenApiDoc {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components?: { readonly schemas?: Record<string, Schema> };
}
interface Operation {
  readonly parameters?: readonly { name: string; in: 'path' | 'query' | 'header'; schema?: Schema }[];
  readonly requestBody?: { content?: Record<string, { schema?: Schema }> };
}
type Schema = Record<string, unknown>;

export interface HostileRequest {
  readonly method: string;
  /** Already percent-encoded, with its query string. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /** What the generator meant to send, for the report of a failing case. */
  readonly note: string;
}

/** Ids that exist on the server, so generated paths hit real resources too. */
export interface KnownIds {
  readonly accountIds: readonly string[];
  readonly runIds: readonly string[];
  readonly keyIds: readonly string[];
  readonly connectors: readonly string[];
}

/** Credentials the generator may send. */
export interface Credentials {
  readonly key: string;
  readonly otherTenantKey: string;
  readonly revokedKey: string;
  readonly adminToken: string;
}

const unit16 = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\udc00\ud800',
  '🚀',
  '\u202e\u0645',
  '\ufeff',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '%00',
  '%ED%A0%80',
  "'; DROP TABLE accounts; --",
  '$[?(@.x.y)]',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+00:01',
  '9999-12-31T23:59:59-00:01',
  '9000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '0050-01-01',
  '9999-12-31',
  '0000-01-01',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  'null',
  'true',
  '{}',
  '[]',
  'Pro',
  'sk_0000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
];

/** A string that is often hostile: specials, any UTF-16 units (lone surrogates included), long ones. */
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: unit16, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -0, 1, -1, 1.5, 1e300, -1e300, 2 ** 53 + 1, 5e-324, 10_000, 10_001, 1_000_000),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, hostile at the leaves, a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('json'), { maxKeys: 4 }),
  ),
})).json;

/** A value for a JSON schema: mostly conforming, now and then hostile (any JSON), recursively. */
function fromSchema(doc: OpenApiDoc, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return hostileJson;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.split('/').at(-1) as string;
    return fromSchema(doc, doc.components?.schemas?.[name], depth);
  }
  const conforming = conformingTo(doc, schema, depth);
  return fc.oneof({ weight: 5, arbitrary: conforming }, { weight: 1, arbitrary: hostileJson });
}

function conformingTo(doc: OpenApiDoc, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0)
      return fc.oneof(...options.map((s) => fromSchema(doc, s as Schema, depth + 1)));
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  return fc.oneof(...types.map((type) => conformingType(doc, schema, type, depth)));
}

function conformingType(
  doc: OpenApiDoc,
  schema: Schema,
  type: string | undefined,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({
          min: typeof schema.minimum === 'number' ? schema.minimum : -1000,
          max: typeof schema.maximum === 'number' ? schema.maximum : 1_000_000,
        }),
        hostileNumber,
      );
    case 'string': {
      if (schema.format === 'date-time')
        return fc.oneof(
          fc
            .date({
              min: new Date('0001-01-01T00:00:00Z'),
              max: new Date('9999-12-31T23:59:59Z'),
              noInvalidDate: true,
            })
            .map((d) => d.toISOString()),
          fc
            .date({ min: new Date(Date.now() - 86_400_000), max: new Date(), noInvalidDate: true })
            .map((d) => d.toISOString()),
          hostileString,
        );
      if (typeof schema.pattern === 'string')
        return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), hostileString);
      return fc.oneof(
        fc.string({ maxLength: typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 40) : 40 }),
        fc.constantFrom('Pro', 'Trial', 'Cancelled', 'Enterprise', 'Gold', 'acme'),
        hostileString,
      );
    }
    case 'array': {
      const max = typeof schema.maxItems === 'number' ? Math.min(schema.maxItems, 6) : 6;
      return fc.array(fromSchema(doc, schema.items as Schema | undefined, depth + 1), { maxLength: max });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const names = Object.keys(properties);
      if (names.length === 0) return fc.dictionary(hostileString, hostileJson, { maxKeys: 5 });
      const record = fc.record(
        Object.fromEntries(names.map((n) => [n, fromSchema(doc, properties[n], depth + 1)])),
        { requiredKeys: (schema.required ?? []) as string[] },
      );
      // Now and then a property the schema does not know, or one it requires left out.
      return fc.oneof(
        { weight: 6, arbitrary: record },
        {
          weight: 1,
          arbitrary: fc
            .tuple(record, hostileString, hostileJson)
            .map(([r, k, v]) => ({ ...(r as object), [k]: v })),
        },
        { weight: 1, arbitrary: fc.dictionary(hostileString, hostileJson, { maxKeys: 3 }) },
      );
    }
    default:
      return hostileJson;
  }
}

/** Rule sets: mostly the shape json-rules-engine expects, with JSONPath filters that fail on some accounts. */
const ruleSet = fc.array(
  fc.record({
    name: fc.oneof(fc.constantFrom('r1', 'r2', 'trial-too-long'), hostileString),
    priority: fc.option(fc.oneof(fc.integer({ min: -2, max: 5 }), hostileNumber), { nil: undefined }),
    conditions: fc.record({
      all: fc.array(
        fc.record({
          fact: fc.constantFrom('status', 'statusType', 'plan', 'attributes', 'daysInStatus', 'nope'),
          operator: fc.constantFrom('equal', 'in', 'notIn', 'greaterThan', 'contains', 'not:in', 'bogus'),
          value: hostileJson,
          path: fc.option(fc.constantFrom('$.region', '$[?(@.x.y)]', '$..x', '$.*', '$[(@.length-1)]', 'x'), {
            nil: undefined,
          }),
        }),
        { maxLength: 3 },
      ),
    }),
    event: fc.record({
      type: fc.constantFrom('include', 'exclude', 'other'),
      params: fc.record({ reason: hostileString }),
    }),
  }),
  { maxLength: 3 },
);

/** Bodies that are not what JSON.stringify writes. */
const rawBody = fc.oneof(
  fc.constantFrom('', '{', '[', '{"status":', 'null', '"x"', '1e400', '{"status":"Pro"}garbage', '\u0000'),
  fc.integer({ min: 33, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 33, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.constantFrom(
    '{"status":"Pro","attributes":{"n":1e400}}',
    '{"status":"Pro","attributes":{"__proto__":{"x":1}}}',
    '{"status":"Pro","observedAt":"0000-01-01T00:00:00Z"}',
    '{"updates":[{"accountId":"a","status":"Pro","attributes":{"n":-1e999}}]}',
    '{"status":"\\ud800"}',
    '{"status":"P\\u0000"}',
  ),
);
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
);

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json, text/plain',
      'application/problem+json',
      'APPLICATION/JSON',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/**
 * Percent-encodes a value for a path or query (any JSON value as its text), at most 1,000 characters so the
 * request line stays under Node's header limit (huge headers are sent raw, in their own test).
 */
function encode(value: unknown): string {
  const text = (typeof value === 'string' ? value : String(JSON.stringify(value))).slice(0, 1000);
  try {
    return encodeURIComponent(text);
  } catch {
    // A lone surrogate: send its replacement's bytes, as a browser would.
    return encodeURIComponent(text.replace(/\p{Cs}/gu, '\ufffd'));
  }
}

const pathTrick = fc.constantFrom(
  '%00',
  '..%2F..%2Fv1%2Fcatalog',
  '%2e%2e',
  '%ED%A0%80',
  '%zz',
  '%',
  'a%2Fb',
  '%C0%AF',
  'x'.repeat(300),
);

/** Header values as HTTP can carry them (no control characters; latin-1 above ASCII allowed). */
const headerValue = fc.oneof(
  fc.constantFrom('', ' ', '*', '"1"', 'W/"1"', '"1", "2"', '"abc"', 'x'.repeat(300), '\u00ff\u00e9'),
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
);

/** One hostile request for the operation `method path` of the document. */
function operationRequest(
  doc: OpenApiDoc,
  method: string,
  template: string,
  op: Operation,
  ids: KnownIds,
  creds: Credentials,
): fc.Arbitrary<HostileRequest> {
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
  const known: Record<string, readonly string[]> = {
    accountId: ids.accountIds,
    runId: ids.runIds,
    keyId: ids.keyIds,
    connector: ids.connectors,
  };
  const pathValue = (name: string, schema: Schema | undefined) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(known[name]?.length ? known[name] : ['x'])).map(encode) },
      { weight: 3, arbitrary: fromSchema(doc, schema).map(encode) },
      { weight: 2, arbitrary: hostileString.map(encode) },
      { weight: 1, arbitrary: pathTrick },
    );
  const pathArb = fc
    .tuple(...pathParams.map((p) => pathValue(p.name, p.schema)))
    .map((values) =>
      pathParams.reduce((path, p, i) => path.replace(`{${p.name}}`, values[i] as string), template),
    );
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(
          fc.oneof(
            { weight: 3, arbitrary: fromSchema(doc, p.schema).map((v) => `${p.name}=${encode(v)}`) },
            { weight: 1, arbitrary: hostileString.map((v) => `${p.name}=${encode(v)}`) },
            {
              weight: 1,
              arbitrary: fc.constantFrom(`${p.name}=`, p.name, `${p.name}=1&${p.name}=2`, `${p.name}[]=x`),
            },
          ),
          { nil: undefined },
        ),
      ),
      fc.option(fc.constantFrom('tenantId=other', '%00=%00', 'x=%zz', '&&&', '__proto__[x]=1'), {
        nil: undefined,
      }),
    )
    .map((parts) => parts.filter((p) => p !== undefined).join('&'));
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  const isRules = template.startsWith('/v1/rules');
  const bodyArb: fc.Arbitrary<{ body?: string | Buffer; note: string }> = fc.oneof(
    {
      weight: 10,
      arbitrary: (isRules ? ruleSet : fromSchema(doc, bodySchema)).map((v) => ({
        body: JSON.stringify(v) ?? 'null',
        note: 'schema body',
      })),
    },
    { weight: 2, arbitrary: rawBody.map((b) => ({ body: b, note: 'raw body' })) },
    { weight: 1, arbitrary: invalidUtf8.map((b) => ({ body: b, note: 'invalid UTF-8 body' })) },
    { weight: 1, arbitrary: fc.constant({ note: 'no body' }) },
  );
  const auth = fc.oneof(
    { weight: 20, arbitrary: fc.constant(`Bearer ${creds.key}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `Bearer ${creds.adminToken}`,
        `Bearer ${creds.otherTenantKey}`,
        `Bearer ${creds.revokedKey}`,
        `Bearer ${creds.key}, Bearer ${creds.otherTenantKey}`,
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        'Bearer',
        `bearer   ${creds.key}   `,
        `Bearer ${'x'.repeat(5000)}`,
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const requestMethod = fc.oneof(
    { weight: 12, arbitrary: fc.constant(method.toUpperCase()) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  );
  return fc
    .record({
      method: requestMethod,
      path: pathArb,
      query: queryArb,
      body: bodyArb,
      auth,
      type: contentType,
      idempotencyKey: fc.option(headerValue, { nil: undefined }),
      ifMatch: fc.option(headerValue, { nil: undefined }),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.authorization = r.auth;
      const hasBody = r.body.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
      if (hasBody && r.type !== undefined) headers['content-type'] = r.type;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
      return {
        method: r.method,
        path: r.query ? `${r.path}?${r.query}` : r.path,
        headers,
        ...(hasBody ? { body: r.body.body } : {}),
        note: `${method.toUpperCase()} ${template} (${r.body.note})`,
      };
    });
}

/** Hostile requests for every operation of the document, each operation about as often as the others. */
export function hostileRequests(
  doc: OpenApiDoc,
  ids: KnownIds,
  creds: Credentials,
): fc.Arbitrary<HostileRequest> {
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => operationRequest(doc, method, path, op, ids, creds)),
  );
  return fc.oneof(...operations);
}

/** How many operations the document declares. */
export const operationCount = (doc: OpenApiDoc): number =>
  Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
