/**
 * Timestamps between JavaScript and PostgreSQL's text form, exact for every year PostgreSQL stores:
 * `new Date('0050-06-01 00:00:00+00')` reads year 50 as 1950, and `toISOString()` writes year 10000 as
 * `+010000-...`, which PostgreSQL does not read.
 */
const PG_TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/** Parses `timestamptz` / `timestamp` text as PostgreSQL writes it (a `timestamp` without zone is UTC). */
export function parsePgTimestamp(text: string): Date {
  const m = PG_TIMESTAMP.exec(text);
  if (!m) return new Date(text);
  const n = (i: number) => Number(m[i] ?? 0);
  const year = m[12] ? 1 - n(1) : n(1);
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  const d = new Date(Date.UTC(2000, 0, 1, n(4), n(5), n(6), ms));
  d.setUTCFullYear(year, n(2) - 1, n(3));
  const offsetSeconds = (m[8] === '-' ? -1 : 1) * (n(9) * 3600 + n(10) * 60 + n(11));
  return new Date(d.getTime() - offsetSeconds * 1000);
}

/** A Date as text PostgreSQL reads, for any year 1 to 294276. */
export function pgTimestamp(d: Date): string {
  return d.toISOString().replace(/^\+0*/, '');
}
