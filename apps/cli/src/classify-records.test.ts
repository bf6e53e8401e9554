import { compileRules, defaultCatalog, type EligibilityRule } from '@statuskit/core';
import { describe, expect, it } from 'vitest';
import { csvChunkClassifier } from './classify-records.js';
import { type CsvDialect, detectDialect } from './csv-chunks.js';
import type { OutputFormat } from './write-records.js';

const asOf = Date.parse('2026-11-25');
const rules: EligibilityRule[] = [
  {
    name: 'test-region',
    conditions: { all: [{ fact: 'attributes', path: '$.region', operator: 'equal', value: 'TEST' }] },
    event: { type: 'exclude', params: { reason: 'test tenant' } },
  },
];

function classifyText(text: string, output: OutputFormat = 'csv', withRules: EligibilityRule[] = []) {
  const dialect: CsvDialect = detectDialect(text);
  const run = csvChunkClassifier(
    { catalog: defaultCatalog, evaluator: compileRules(withRules), fields: { id: 'id', status: 'status' } },
    asOf,
    output,
    dialect,
    { header: undefined },
  );
  const result = run(Buffer.from(text));
  return { ...result, text: Buffer.from(result.out).toString('utf8') };
}

describe('csvChunkClassifier', () => {
  it('keeps each comma-separated row as written and adds the columns', () => {
    const r = classifyText('id,name,status\r\n1,"Co 7",Pro\r\n2, spaced ,trial\r\n');
    expect(r.text).toBe(
      'id,name,rawStatus,statusType,status,plan,unknownReason,eligible,reasons\n' +
        '1,"Co 7",Pro,paying,Pro,Pro,,true,active-customer\n' +
        '2, spaced ,trial,free,Trial,,,true,active-customer\n',
    );
    expect(r).toMatchObject({ records: 2, bad: [], lines: 3 });
  });

  it('writes other delimiters as commas, quoting where a value needs it', () => {
    const r = classifyText('id;name;status\n1;a,b;Pro\n2;"say ""hi""";Gold\n3;x;Trial\n');
    expect(r.text.split('\n').slice(1, 3)).toEqual([
      '1,"a,b",Pro,paying,Pro,Pro,,true,active-customer',
      '2,"say ""hi""",Gold,unknown,,,not-in-catalog,false,unknown-status:not-in-catalog',
    ]);
  });

  it('re-quotes rows of a slice where a field holds a line break', () => {
    const r = classifyText('id,name,status\n1,"Co 7",Pro\n2,"two\nlines",Pro\n');
    expect(r.text.split('\n').slice(1, 4)).toEqual([
      '1,Co 7,Pro,paying,Pro,Pro,,true,active-customer',
      '2,"two',
      'lines",Pro,paying,Pro,Pro,,true,active-customer',
    ]);
    expect(r.lines).toBe(4);
  });

  it('writes NDJSON, and gives rules every column when they read attributes', () => {
    const r = classifyText('id,status,region\na,Pro,EU\nb,Pro,TEST\n', 'ndjson', rules);
    const [a, b] = r.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a).toMatchObject({ id: 'a', rawStatus: 'Pro', region: 'EU', status: 'Pro', eligible: true });
    expect(b).toMatchObject({
      id: 'b',
      eligible: false,
      reasons: [{ code: 'active-customer' }, { rule: 'test-region' }],
    });
  });

  it('writes the header alone for a file without rows, and reports bad rows by line', () => {
    expect(classifyText('id,status\r\n').text).toBe(
      'id,rawStatus,statusType,status,plan,unknownReason,eligible,reasons\n',
    );
    const r = classifyText('id,status\n\na,Pro\nb\nc,Pro,x\n');
    expect(r.bad).toEqual([{ line: 4, message: 'expected 2 fields, found 3' }]);
    expect(r.short).toEqual([3]);
    expect(r.records).toBe(2);
    expect(r.text).toContain('\nb,,unknown,,,missing,false,unknown-status:missing\n');
  });
});
