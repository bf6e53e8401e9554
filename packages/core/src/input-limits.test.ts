import { describe, expect, it } from 'vitest';
import { ATTRIBUTES_LIMITS, jsonProblems, textProblem, timestampProblem } from './input-limits.js';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe('input limits', () => {
  it('finds NUL and lone surrogates in text, and lets well-formed pairs through', () => {
    expect(textProblem('a\u0000b')?.code).toBe('nul_character');
    expect(textProblem('a\ud800')?.code).toBe('lone_surrogate');
    expect(textProblem('\udc00a')?.code).toBe('lone_surrogate');
    expect(textProblem('\udc00\ud800')?.code).toBe('lone_surrogate');
    expect(textProblem('Pro 🚀 ü 中')).toBeUndefined();
  });

  it('reports every bad string, key and number of a JSON value with its path, in document order', () => {
    const value = JSON.parse('{"a":{"x":"\\u0000"},"k\\u0000":1,"l":[1e400,"\\ud800"],"ok":true}');
    expect(jsonProblems(value, ATTRIBUTES_LIMITS, ['attributes']).map((i) => [i.at, i.code])).toEqual([
      ['attributes.a.x', 'nul_character'],
      ['attributes["k\\u0000"]', 'nul_character'],
      ['attributes.l[0]', 'not_finite'],
      ['attributes.l[1]', 'lone_surrogate'],
    ]);
  });

  it('stops at the depth limit without recursing, at any depth', () => {
    expect(jsonProblems(nested(32), ATTRIBUTES_LIMITS)).toEqual([]);
    expect(jsonProblems(nested(33), ATTRIBUTES_LIMITS).map((i) => i.code)).toEqual(['too_deep']);
    expect(jsonProblems(nested(1_000_000), ATTRIBUTES_LIMITS).map((i) => i.code)).toEqual(['too_deep']);
  });

  it('measures size in bytes of UTF-8 JSON', () => {
    const limits = { maxDepth: 4, maxBytes: 20 };
    expect(jsonProblems({ a: 'x'.repeat(12) }, limits)).toEqual([]); // {"a":"xxxxxxxxxxxx"} = 20 bytes
    expect(jsonProblems({ a: 'x'.repeat(13) }, limits)[0]?.code).toBe('too_big');
    expect(jsonProblems({ a: '🚀🚀🚀' }, limits)).toEqual([]); // 8 + 12 bytes
    expect(jsonProblems({ a: '🚀🚀🚀ü' }, limits)[0]?.code).toBe('too_big');
  });

  it('refuses what is not JSON', () => {
    const odd = { f: () => 1, d: new Date(0), u: undefined };
    expect(jsonProblems(odd, ATTRIBUTES_LIMITS).map((i) => i.at)).toEqual(['f', 'd', 'u']);
  });

  it('keeps timestamps to years 1..9999 in UTC, after the offset', () => {
    expect(timestampProblem('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(timestampProblem('9999-12-31T23:59:59.999Z')).toBeUndefined();
    expect(timestampProblem('0001-01-01T00:00:00+00:01')?.code).toBe('date_out_of_range');
    expect(timestampProblem('9999-12-31T23:59:59-00:01')?.code).toBe('date_out_of_range');
    expect(timestampProblem('0000-01-01T00:00:00Z')?.code).toBe('date_out_of_range');
    expect(timestampProblem(new Date(Number.NaN))?.code).toBe('invalid_date');
    expect(timestampProblem(1e20)?.code).toBe('invalid_date');
    expect(timestampProblem('yesterday')?.code).toBe('invalid_date');
  });
});
