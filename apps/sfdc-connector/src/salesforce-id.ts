const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 18-character, case-safe form of a Salesforce id. A 15-character id is case-sensitive; the 3-character
 * suffix encodes which of its letters are upper case, so the same record never appears twice.
 */
export function toId18(id: string): string {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id))
    throw new TypeError(`not a Salesforce id: ${JSON.stringify(id)}`);
  const base = id.slice(0, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = base.charCodeAt(chunk * 5 + i);
      if (ch >= 65 && ch <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX[bits];
  }
  return base + suffix;
}
