import { describe, expect, it } from 'vitest';
import { type CatalogInput, checkCatalog, defineCatalog } from './catalog.js';
import { classify } from './classify.js';

function issuesOf(input: unknown) {
  const result = checkCatalog(input);
  if (result.ok) throw new Error('expected the catalog to be rejected');
  return result.issues;
}

const withAliases: CatalogInput = {
  statuses: [
    { value: 'Trial', type: 'free', trial: true, aliases: ['Trail', 'Free trial'] },
    { value: 'Pro', type: 'paying', aliases: ['Professional'] },
    { value: 'Cancelled', type: 'cancelled' },
  ],
};

describe('aliases: other spellings of a status', () => {
  it('classify an alias as the canonical value, with the same matching (case and spaces ignored)', () => {
    const catalog = defineCatalog(withAliases);
    for (const raw of ['Trail', ' trail ', 'FREE TRIAL'])
      expect(classify({ status: raw }, catalog)).toMatchObject({
        statusType: 'free',
        status: 'Trial',
        rawStatus: raw,
        trial: true,
      });
    expect(classify({ status: 'professional' }, catalog)).toMatchObject({
      statusType: 'paying',
      status: 'Pro',
      plan: 'Pro',
    });
    expect(classify({ status: 'Trials' }, catalog)).toMatchObject({ unknownReason: 'not-in-catalog' });
  });

  it('match only as written when the catalog matches exactly, so an alias can list another case', () => {
    const catalog = defineCatalog({
      statuses: [{ value: 'Pro', type: 'paying', aliases: ['PRO', 'pro'] }],
      matching: 'exact',
    });
    expect(classify({ status: 'PRO' }, catalog).status).toBe('Pro');
    expect(classify({ status: 'pro' }, catalog).status).toBe('Pro');
    expect(classify({ status: 'Pro ' }, catalog).statusType).toBe('unknown');
    expect(classify({ status: 'pRo' }, catalog).statusType).toBe('unknown');
  });

  it('keep a catalog without aliases as it was, and round-trip one with aliases through JSON', () => {
    const plain = defineCatalog({ statuses: [{ value: 'Pro', type: 'paying' }] });
    expect(plain.statuses[0]).not.toHaveProperty('aliases');
    expect(JSON.parse(JSON.stringify(plain))).toEqual({ statuses: [{ value: 'Pro', type: 'paying' }] });

    const catalog = defineCatalog(withAliases);
    expect(catalog.statuses[0]?.aliases).toEqual(['Trail', 'Free trial']);
    expect(catalog.find('Trail')?.value).toBe('Trial');
    const again = defineCatalog(JSON.parse(JSON.stringify(catalog)));
    expect(again.statuses).toEqual(catalog.statuses);
    expect(JSON.parse(JSON.stringify(again))).toEqual(withAliases);
  });

  it('refuse an alias that is another status value, with the path of the alias and the entry it collides with', () => {
    const issues = issuesOf({
      statuses: [
        { value: 'Trial', type: 'free', aliases: ['Trail', ' pro'] },
        { value: 'Pro', type: 'paying', aliases: ['professional'] },
      ],
    });
    expect(issues.map((i) => [i.at, i.code])).toEqual([['statuses[0].aliases[1]', 'alias_whitespace']]);
    const collision = issuesOf({
      statuses: [
        { value: 'Trial', type: 'free', aliases: ['PRO'] },
        { value: 'Pro', type: 'paying' },
      ],
    });
    expect(collision).toHaveLength(1);
    expect(collision[0]).toMatchObject({ at: 'statuses[0].aliases[0]', code: 'alias_taken' });
    expect(collision[0]?.message).toContain('statuses[1]');
  });

  it('refuse an alias that is the value of a later status: values come first, the alias is the problem', () => {
    const issues = issuesOf({
      statuses: [
        { value: 'Pro', type: 'paying', aliases: ['Premium'] },
        { value: 'premium', type: 'paying' },
      ],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ at: 'statuses[0].aliases[0]', code: 'alias_taken' });
    expect(issues[0]?.message).toContain('statuses[1]');
  });

  it('refuse an alias listed twice, on two statuses or on one, and an alias that is its own value', () => {
    const issues = issuesOf({
      statuses: [
        { value: 'Pro', type: 'paying', aliases: ['Premium', 'pro', 'PREMIUM'] },
        { value: 'Enterprise', type: 'paying', aliases: ['premium'] },
      ],
    });
    expect(issues.map((i) => [i.at, i.code])).toEqual([
      ['statuses[0].aliases[1]', 'alias_is_value'],
      ['statuses[0].aliases[2]', 'alias_repeated'],
      ['statuses[1].aliases[0]', 'alias_taken'],
    ]);
  });

  it('in exact matching, compare aliases of one status as written (other statuses still ignore case)', () => {
    expect(
      checkCatalog({ statuses: [{ value: 'Pro', type: 'paying', aliases: ['PRO'] }], matching: 'exact' }).ok,
    ).toBe(true);
    expect(
      issuesOf({ statuses: [{ value: 'Pro', type: 'paying', aliases: ['Pro'] }], matching: 'exact' }),
    ).toMatchObject([{ at: 'statuses[0].aliases[0]', code: 'alias_is_value' }]);
    expect(
      issuesOf({
        statuses: [
          { value: 'Pro', type: 'paying' },
          { value: 'Trial', type: 'free', aliases: ['PRO'] },
        ],
        matching: 'exact',
      }),
    ).toMatchObject([{ at: 'statuses[1].aliases[0]', code: 'alias_taken' }]);
  });

  it('check each alias like a value: a string, not empty, no surrounding spaces, at most 200 characters', () => {
    const issues = issuesOf({
      statuses: [{ value: 'Pro', type: 'paying', aliases: ['', 7, 'x'.repeat(201), 'ok'] }],
    });
    expect(issues.map((i) => [i.at, i.code])).toEqual([
      ['statuses[0].aliases[0]', 'too_small'],
      ['statuses[0].aliases[1]', 'invalid_type'],
      ['statuses[0].aliases[2]', 'too_big'],
    ]);
    expect(issuesOf({ statuses: [{ value: 'Pro', type: 'paying', aliases: 'Premium' }] })[0]?.at).toBe(
      'statuses[0].aliases',
    );
  });
});

describe('checkCatalog reports every problem of a catalog at once', () => {
  it('checks values, plans and aliases across statuses even when one status is incomplete', () => {
    const issues = issuesOf({
      statuses: [
        { type: 'free' },
        { value: 'Pro', type: 'paying' },
        { value: 'pro', type: 'paying' },
        { value: 'Pro annual', type: 'paying', plan: 'Pro' },
        { value: 'Gone', type: 'cancelled', plan: 'x', aliases: ['Trail'] },
        { value: 'Trial', type: 'paying', trial: true, aliases: ['trail'] },
      ],
      uniquePlans: true,
    });
    expect(issues.map((i) => [i.at, i.code])).toEqual([
      ['statuses[0].value', 'invalid_type'],
      ['statuses[2].value', 'duplicate_value'],
      ['statuses[3].plan', 'plan_taken'],
      ['statuses[4].plan', 'plan_on_cancelled'],
      ['statuses[5].aliases[0]', 'alias_taken'],
      ['statuses[5].trial', 'trial_not_free'],
    ]);
  });

  it('gives each problem a stable code', () => {
    const issues = issuesOf({
      statuses: [
        { value: ' Pro', type: 'paying' },
        { value: 'x'.repeat(201), type: 'gold' },
      ],
    });
    expect(issues.map((i) => [i.at, i.code])).toEqual([
      ['statuses[0].value', 'value_whitespace'],
      ['statuses[1].value', 'too_big'],
      ['statuses[1].type', 'invalid_value'],
    ]);
  });
});
