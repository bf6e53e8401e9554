import { describe, expect, it } from 'vitest';
import { StampGroups } from './stamp-groups.js';

describe('StampGroups', () => {
  it('completes a stamp only when a later one arrives', () => {
    const g = new StampGroups(true);
    g.see('2027-01-01T00:00:00.000Z');
    g.see('2027-01-01T00:00:00.000Z');
    expect(g.complete).toBeUndefined();
    g.see('2027-01-01T00:00:01.000Z');
    expect(g.complete).toBe('2027-01-01T00:00:00.000Z');
    g.see('2027-01-01T00:00:01.000Z');
    expect(g.complete).toBe('2027-01-01T00:00:00.000Z');
    expect(g.end).toBe('2027-01-01T00:00:01.000Z');
  });

  it('gives no mark while reading records in no order, and the latest stamp at the end', () => {
    const unordered = new StampGroups(false);
    unordered.see('2027-01-01T00:00:00.000Z');
    unordered.see('2027-01-01T00:00:02.000Z');
    expect(unordered.complete).toBeUndefined();
    const broken = new StampGroups(true);
    broken.see('2027-01-01T00:00:02.000Z');
    broken.see('2027-01-01T00:00:03.000Z');
    broken.see('2027-01-01T00:00:01.000Z');
    broken.see('2027-01-01T00:00:04.000Z');
    expect(broken.complete).toBeUndefined();
    expect(broken.end).toBe('2027-01-01T00:00:04.000Z');
  });
});
