import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not be sent to unless private targets are allowed: loopback, private,
 * shared (CGNAT), link-local, unspecified, multicast, reserved and documentation ranges, IPv6 unique-local
 * (fc00::/7), link-local (fe80::/10), and IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) by the IPv4
 * address it carries.
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** The 8 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] as string;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = (dotted[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g || '0', 16));
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (g.length !== 8) return undefined;
  const [a, b, c, d, e, f, hi, lo] = g as [number, number, number, number, number, number, number, number];
  const zeros = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (zeros && (f === 0xffff || (f === 0 && (hi !== 0 || lo > 1)))) return v4(hi, lo);
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return v4(hi, lo);
  if (a === 0x2002) return v4(b, c);
  return undefined;
}

/** Whether an IP address (v4 or v6 text) is one webhooks may not reach without the private-target setting. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const inner = embeddedIpv4(address);
  if (inner !== undefined && blocked.check(inner, 'ipv4')) return true;
  return blocked.check(address.split('%')[0] as string, 'ipv6');
}

/** The host of a URL without IPv6 brackets. */
const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why a subscription URL is refused at creation, or undefined: it must be absolute http(s) without
 * credentials, and (unless `allowPrivate`) its host must not be a loopback, private or link-local literal
 * address. Names (`localhost` too) are checked at each delivery, after DNS resolution.
 */
export function webhookUrlProblem(text: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not hold credentials (user:password@)';
  if (allowPrivate) return undefined;
  const host = bareHost(url);
  if (isIP(host) && isPrivateAddress(host))
    return `must not point at a loopback, private or link-local address (${host}); set STATUSKIT_WEBHOOKS_ALLOW_PRIVATE=1 to allow it`;
  return undefined;
}

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

/**
 * The address to connect to for a URL's host: a literal as it is, a name resolved now. Unless
 * `allowPrivate`, every address the name resolves to must be public (so a name that answers a public and a
 * private address is refused too), and the caller connects to the address checked here, never resolving
 * again: DNS rebinding between the check and the connection cannot redirect it.
 */
export async function resolveTarget(
  url: URL,
  allowPrivate: boolean,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = bareHost(url);
  const literal = isIP(host);
  const found = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family as 4 | 6,
      }));
  const first = found[0];
  if (!first) throw new BlockedAddressError(`${host} resolves to no address`);
  if (!allowPrivate) {
    const bad = found.find((a) => isPrivateAddress(a.address));
    if (bad)
      throw new BlockedAddressError(
        `${host} resolves to ${bad.address}, a loopback, private or link-local address (STATUSKIT_WEBHOOKS_ALLOW_PRIVATE=1 allows it)`,
      );
  }
  return first;
}
