import { describe, expect, it } from 'vitest';
import { parsePgTimestamp, pgTimestamp } from './timestamps.js';

describe('timestamps between JavaScript and PostgreSQL', () => {
  it('reads every year as written, with fractions and offsets', () => {
    const cases: [string, string][] = [
      ['0050-06-01 00:00:00+00', '0050-06-01T00:00:00.000Z'],
      ['0001-01-01 00:00:00+00', '0001-01-01T00:00:00.000Z'],
      ['2026-03-01 12:00:00.123456+00', '2026-03-01T12:00:00.123Z'],
      ['2026-03-01 12:00:00.5+05:30', '2026-03-01T06:30:00.500Z'],
      ['2026-03-01 12:00:00-03', '2026-03-01T15:00:00.000Z'],
      ['9999-12-31 23:59:59.999+00', '9999-12-31T23:59:59.999Z'],
      ['10000-01-01 00:00:00+00', '+010000-01-01T00:00:00.000Z'],
      ['0001-12-31 00:00:00+00 BC', '0000-12-31T00:00:00.000Z'],
      ['2026-03-01 12:00:00', '2026-03-01T12:00:00.000Z'],
    ];
    for (const [text, iso] of cases) expect(parsePgTimestamp(text).toISOString(), text).toBe(iso);
  });

  it('writes years past 9999 without the sign PostgreSQL does not read', () => {
    expect(pgTimestamp(new Date('0050-06-01T00:00:00Z'))).toBe('0050-06-01T00:00:00.000Z');
    expect(pgTimestamp(new Date(Date.UTC(10000, 0, 1)))).toBe('10000-01-01T00:00:00.000Z');
  });
});
