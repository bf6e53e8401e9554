import { describe, expect, it } from 'vitest';
import { checkCatalog, defaultCatalog, defineCatalog } from './catalog.js';
import { StatuskitValidationError } from './validation-issue.js';

function issuesOf(input: unknown) {
  const result = checkCatalog(input);
  if (result.ok) throw new Error('expected the catalog to be rejected');
  return result.issues;
}

describe('defineCatalog', () => {
  it('fills the plan of a paying status from its value', () => {
    const catalog = defineCatalog({
      statuses: [
        { value: 'Pro', type: 'paying' },
        { value: 'Team', type: 'paying', plan: 'team-2024' },
      ],
    });
    expect(catalog.statuses.map((s) => s.plan)).toEqual(['Pro', 'team-2024']);
  });

  it('rejects an empty catalog', () => {
    expect(issuesOf({ statuses: [] })).toMatchObject([
      { at: 'statuses', message: 'a catalog needs at least one status' },
    ]);
  });

  it('rejects duplicate values compared ignoring case and surrounding whitespace, naming both entries', () => {
    const issues = issuesOf({
      statuses: [
        { value: 'Pro', type: 'paying' },
        { value: 'PRO', type: 'paying' },
      ],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ at: 'statuses[1].value' });
    expect(issues[0]?.message).toContain('statuses[0]');
  });

  it('reports a missing value and a duplicate in one check (not the first now and the other next time)', () => {
    const issues = issuesOf({
      statuses: [
        { type: 'free' },
        { value: 'Pro', type: 'paying' },
        { value: 'pro', type: 'paying' },
        { value: 'Team', type: 'paying', plan: 'Pro' },
      ],
      uniquePlans: true,
    });
    expect(issues.map((i) => i.at)).toEqual(['statuses[0].value', 'statuses[2].value', 'statuses[3].plan']);
  });

  it('rejects an unknown type with the path of the entry', () => {
    const issues = issuesOf({
      statuses: [
        { value: 'Trial', type: 'free' },
        { value: 'Gold', type: 'premium' },
      ],
    });
    expect(issues[0]?.at).toBe('statuses[1].type');
  });

  it('rejects trial on a paying status', () => {
    expect(issuesOf({ statuses: [{ value: 'Pro', type: 'paying', trial: true }] })[0]?.at).toBe(
      'statuses[0].trial',
    );
  });

  it('rejects surrounding whitespace and unknown properties', () => {
    const issues = issuesOf({ statuses: [{ value: ' Pro', type: 'paying', colour: 'red' }] });
    expect(issues.map((i) => i.at).sort()).toEqual(['statuses[0]', 'statuses[0].value']);
  });

  it('allows two paying statuses on one plan unless plans are unique', () => {
    const statuses = [
      { value: 'Pro', type: 'paying' as const },
      { value: 'Pro (annual)', type: 'paying' as const, plan: 'Pro' },
    ];
    expect(checkCatalog({ statuses }).ok).toBe(true);
    expect(issuesOf({ statuses, uniquePlans: true })[0]).toMatchObject({ at: 'statuses[1].plan' });
  });

  it('throws StatuskitValidationError listing every problem', () => {
    try {
      defineCatalog({
        statuses: [
          { value: '', type: 'free' },
          { value: 'X', type: 'paying', trial: true },
        ],
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StatuskitValidationError);
      const e = error as StatuskitValidationError;
      expect(e.issues.map((i) => i.at)).toEqual(['statuses[0].value', 'statuses[1].trial']);
      expect(e.message).toContain('statuses[1].trial');
    }
  });

  it('round-trips through JSON', () => {
    const catalog = defineCatalog({
      statuses: [
        { value: 'Trial', type: 'free', trial: true, description: 'try' },
        { value: 'Pro', type: 'paying' },
      ],
      matching: 'exact',
      uniquePlans: true,
    });
    const again = defineCatalog(JSON.parse(JSON.stringify(catalog)));
    expect(again.statuses).toEqual(catalog.statuses);
    expect(again.matching).toBe('exact');
    expect(again.uniquePlans).toBe(true);
    expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(catalog)));
  });

  it('ships the recommended default catalog', () => {
    expect(defaultCatalog.statuses.map((s) => [s.value, s.type])).toEqual([
      ['Trial', 'free'],
      ['Internal-use', 'free'],
      ['Personal', 'paying'],
      ['Pro', 'paying'],
      ['Enterprise', 'paying'],
      ['Cancelled', 'cancelled'],
    ]);
    expect(defaultCatalog.find('Trial')?.trial).toBe(true);
    expect(defaultCatalog.find('Internal-use')?.nonCustomer).toBe(true);
    expect(new Set(defaultCatalog.statuses.filter((s) => s.type === 'paying').map((s) => s.plan)).size).toBe(
      3,
    );
  });
});
