import { describe, expect, it } from 'vitest';
import { BlockedAddressError, isPrivateAddress, resolveTarget, webhookUrlProblem } from './address-policy.js';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '2002:c0a8:101::1',
  ])('%s is private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });
  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1'])(
    '%s is public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
  it('takes text that is no IP address as private', () => {
    expect(isPrivateAddress('example.com')).toBe(true);
  });
});

describe('webhookUrlProblem', () => {
  it('accepts public http(s) URLs and names (checked again at delivery)', () => {
    for (const url of ['https://example.com/hooks', 'http://93.184.216.34:8080/x?y=1', 'https://localhost/'])
      expect(webhookUrlProblem(url, false)).toBeUndefined();
  });
  it('refuses other schemes, relative URLs and credentials', () => {
    expect(webhookUrlProblem('ftp://example.com/', false)).toMatch(/http or https/);
    expect(webhookUrlProblem('file:///etc/passwd', true)).toMatch(/http or https/);
    expect(webhookUrlProblem('/hooks', false)).toMatch(/absolute/);
    expect(webhookUrlProblem('https://u:p@example.com/', false)).toMatch(/credentials/);
  });
  it('refuses literal private addresses in every spelling, unless allowed', () => {
    for (const url of [
      'http://127.0.0.1:3000/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      expect(webhookUrlProblem(url, false), url).toMatch(/loopback, private or link-local/);
      expect(webhookUrlProblem(url, true), url).toBeUndefined();
    }
  });
});

describe('resolveTarget', () => {
  it('refuses a name that resolves to a loopback address, unless allowed', async () => {
    await expect(resolveTarget(new URL('http://localhost:1/'), false)).rejects.toBeInstanceOf(
      BlockedAddressError,
    );
    expect(isPrivateAddress((await resolveTarget(new URL('http://localhost:1/'), true)).address)).toBe(true);
  });
  it('takes a literal address as it is', async () => {
    expect(await resolveTarget(new URL('http://[::1]:1/'), true)).toEqual({ address: '::1', family: 6 });
    await expect(resolveTarget(new URL('http://[::1]:1/'), false)).rejects.toThrow(/::1/);
  });
});
