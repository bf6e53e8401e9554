/**
 * The SOQL the Salesforce double understands: `SELECT fields FROM object [WHERE condition] [GROUP BY field]
 * [ORDER BY field [ASC|DESC], ...] [LIMIT n]`, with conditions built from `=`, `!=`, `<>`, `<`, `>`, `<=`,
 * `>=`, `IN (...)`, `NOT IN (...)`, `LIKE`, `AND`, `OR`, `NOT` and parentheses, over string, number, boolean,
 * null, date and datetime literals. As in Salesforce, field and object names are case-insensitive and string
 * comparisons ignore case.
 */
export interface SoqlQuery {
  /** Selected fields as written in the query (`COUNT()` gives an empty list and `count: true`). */
  readonly fields: string[];
  readonly count: boolean;
  /** `COUNT(Id)` and the like, in the select list of a GROUP BY query. */
  readonly aggregates: string[];
  readonly object: string;
  readonly where: Condition | undefined;
  readonly groupBy: string | undefined;
  readonly orderBy: { field: string; desc: boolean }[];
  readonly limit: number | undefined;
}

export type Literal = string | number | boolean | null | { datetime: number } | { date: string };
export type Condition =
  | { op: 'and' | 'or'; left: Condition; right: Condition }
  | { op: 'not'; inner: Condition }
  | { op: 'cmp'; field: string; cmp: string; value: Literal | Literal[] };

export class SoqlError extends Error {
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD',
    message: string,
  ) {
    super(message);
  }
}

const TOKEN =
  /\s*(?:('(?:[^'\\]|\\.)*')|(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))|(\d{4}-\d{2}-\d{2})|(-?\d+(?:\.\d+)?)|(!=|<>|<=|>=|=|<|>|\(|\)|,)|([A-Za-z_][A-Za-z0-9_.]*))/y;

type Token = { kind: 'str' | 'datetime' | 'date' | 'num' | 'sym' | 'word'; text: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m)
      throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${text.slice(at).trim().slice(0, 20)}'`);
    at = TOKEN.lastIndex;
    const [, str, datetime, date, num, sym, word] = m;
    if (str !== undefined) out.push({ kind: 'str', text: str.slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (datetime !== undefined) out.push({ kind: 'datetime', text: datetime });
    else if (date !== undefined) out.push({ kind: 'date', text: date });
    else if (num !== undefined) out.push({ kind: 'num', text: num });
    else if (sym !== undefined) out.push({ kind: 'sym', text: sym });
    else out.push({ kind: 'word', text: word as string });
  }
  return out;
}

function parseCondition(tokens: Token[]): Condition {
  let i = 0;
  const peekWord = (w: string) => tokens[i]?.kind === 'word' && tokens[i]?.text.toUpperCase() === w;
  const expect = (text: string) => {
    if (tokens[i]?.text !== text) throw new SoqlError('MALFORMED_QUERY', `expecting '${text}'`);
    i++;
  };
  const literal = (): Literal => {
    const t = tokens[i++];
    if (!t) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of query');
    if (t.kind === 'str') return t.text;
    if (t.kind === 'num') return Number(t.text);
    if (t.kind === 'datetime')
      return { datetime: Date.parse(t.text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) };
    if (t.kind === 'date') return { date: t.text };
    if (t.kind === 'word' && /^(true|false)$/i.test(t.text)) return t.text.toLowerCase() === 'true';
    if (t.kind === 'word' && /^null$/i.test(t.text)) return null;
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${t.text}'`);
  };
  const primary = (): Condition => {
    if (tokens[i]?.text === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (peekWord('NOT')) {
      i++;
      return { op: 'not', inner: primary() };
    }
    const field = tokens[i++];
    if (field?.kind !== 'word') throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${field?.text}'`);
    let cmp: string;
    if (peekWord('NOT') && tokens[i + 1]?.text.toUpperCase() === 'IN') {
      i += 2;
      cmp = 'NOT IN';
    } else if (peekWord('IN') || peekWord('LIKE')) cmp = (tokens[i++] as Token).text.toUpperCase();
    else if (tokens[i]?.kind === 'sym' && /^(=|!=|<>|<|>|<=|>=)$/.test(tokens[i]?.text ?? ''))
      cmp = (tokens[i++] as Token).text;
    else throw new SoqlError('MALFORMED_QUERY', `unexpected token after ${field.text}`);
    if (cmp === 'IN' || cmp === 'NOT IN') {
      expect('(');
      const values: Literal[] = [literal()];
      while (tokens[i]?.text === ',') {
        i++;
        values.push(literal());
      }
      expect(')');
      return { op: 'cmp', field: field.text, cmp, value: values };
    }
    return { op: 'cmp', field: field.text, cmp, value: literal() };
  };
  /** `next (WORD next)*`, left-associative: AND binds tighter than OR. */
  const chain = (word: 'AND' | 'OR', next: () => Condition) => (): Condition => {
    let left = next();
    while (peekWord(word)) {
      i++;
      left = { op: word === 'AND' ? 'and' : 'or', left, right: next() };
    }
    return left;
  };
  const and = chain('AND', primary);
  const or = chain('OR', and);
  const condition = or();
  if (i < tokens.length) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${tokens[i]?.text}'`);
  return condition;
}

export function parseSoql(q: string): SoqlQuery {
  const m =
    /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+GROUP BY\s+(\w+))?(?:\s+ORDER BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
      q.trim(),
    );
  if (!m) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${q.trim().slice(0, 40)}'`);
  const [, select, object, where, groupBy, orderBy, limit] = m as unknown as (string | undefined)[];
  const items = (select as string).split(',').map((f) => f.trim());
  const count = items.length === 1 && /^COUNT\(\)$/i.test(items[0] as string);
  const aggregates = items.filter((f) => /^COUNT\(\w+\)$/i.test(f));
  return {
    fields: count ? [] : items.filter((f) => !aggregates.includes(f)),
    count,
    aggregates,
    object: object as string,
    where: where ? parseCondition(tokenize(where)) : undefined,
    groupBy,
    orderBy: orderBy
      ? orderBy.split(',').map((part) => {
          const [field, dir] = part.trim().split(/\s+/);
          return { field: field as string, desc: /^DESC$/i.test(dir ?? '') };
        })
      : [],
    limit: limit ? Number(limit) : undefined,
  };
}

/** Every field name a condition mentions (to check them against the object). */
export function conditionFields(c: Condition | undefined): string[] {
  if (!c) return [];
  if (c.op === 'cmp') return [c.field];
  if (c.op === 'not') return conditionFields(c.inner);
  return [...conditionFields(c.left), ...conditionFields(c.right)];
}

function comparable(v: unknown, type: string): number | string | boolean | null {
  if (v === null || v === undefined || v === '') return null;
  if (type === 'datetime') return Date.parse(String(v));
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v).toLowerCase();
}

function literalValue(l: Literal): number | string | boolean | null {
  if (l === null || typeof l === 'number' || typeof l === 'boolean') return l;
  if (typeof l === 'string') return l.toLowerCase();
  return 'datetime' in l ? l.datetime : l.date;
}

/** Evaluates a condition on a record; `field` gives a field's value and type by its name in any case. */
export function matches(
  c: Condition | undefined,
  field: (name: string) => { value: unknown; type: string },
): boolean {
  if (!c) return true;
  if (c.op === 'not') return !matches(c.inner, field);
  if (c.op !== 'cmp')
    return c.op === 'and'
      ? matches(c.left, field) && matches(c.right, field)
      : matches(c.left, field) || matches(c.right, field);
  const { value, type } = field(c.field);
  const v = comparable(value, type);
  if (c.cmp === 'IN' || c.cmp === 'NOT IN') {
    const found = (c.value as Literal[]).some((l) => literalValue(l) === v);
    return c.cmp === 'IN' ? found : !found;
  }
  const l = literalValue(c.value as Literal);
  switch (c.cmp) {
    case '=':
      return v === l;
    case '!=':
    case '<>':
      return v !== l;
    case 'LIKE': {
      if (typeof v !== 'string' || typeof l !== 'string') return false;
      const re = new RegExp(
        `^${l
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replaceAll('%', '.*')
          .replaceAll('_', '.')}$`,
      );
      return re.test(v);
    }
    default: {
      if (v === null || l === null) return false;
      if (c.cmp === '<') return v < l;
      if (c.cmp === '>') return v > l;
      if (c.cmp === '<=') return v <= l;
      return v >= l;
    }
  }
}
