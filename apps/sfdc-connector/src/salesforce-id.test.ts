import { describe, expect, it } from 'vitest';
import { toId18 } from './salesforce-id.js';

describe('toId18', () => {
  it('adds the case-safe suffix to a 15-character id', () => {
    expect(toId18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(toId18('001a0000006vm9r')).toBe('001a0000006vm9rAAA');
  });
  it('keeps an 18-character id (recomputing a wrong-case suffix) and rejects non-ids', () => {
    expect(toId18('001A0000006Vm9rIAC')).toBe('001A0000006Vm9rIAC');
    expect(toId18('001A0000006Vm9riac')).toBe('001A0000006Vm9rIAC');
    expect(() => toId18('001-not-an-id')).toThrow(/not a Salesforce id/);
  });
});
