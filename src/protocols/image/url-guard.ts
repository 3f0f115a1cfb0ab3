/**
 * SSRF guard for remote image URLs in chat requests (`image_url.url` = http(s)://…).
 *
 * Only http(s), no credentials in the URL, the host must be on the operator's allow list (exact,
 * case-insensitive; an empty list refuses every remote URL), never a metadata / local name, and
 * EVERY address the name resolves to must be public. IP literals in any form (decimal
 * 2852039166, octal 0251.0376.0251.0376, hex 0xA9FEA9FE, short 127.1, [::ffff:7f00:1]) are
 * normalised by the WHATWG URL parser before the check.
 *
 * This check alone does not stop DNS rebinding: whoever fetches the image must connect to an
 * address that passes isForbiddenAddress (e.g. check it again in the HTTP agent's lookup / connect
 * hook) and must not follow redirects without calling checkImageUrl on each location.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { deny, type Denial } from '../../errors.js';

export type HostLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** Special-purpose IPv4 ranges (RFC 6890 and friends): never a public image host. */
const V4_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT shared address space
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
];

const V6_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // unspecified ::, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo (embeds an obfuscated IPv4)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

/** 16-bit groups of an IPv4 address, for embedding it into an IPv6 prefix. */
function v4Groups(ip: string): [string, string] {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

function buildBlockList(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of V4_RANGES) {
    // IPv4 rules also match IPv4-mapped IPv6 (::ffff:a.b.c.d) in net.BlockList.
    list.addSubnet(net, prefix, 'ipv4');
    const [hi, lo] = v4Groups(net);
    list.addSubnet(`64:ff9b::${hi}:${lo}`, 96 + prefix, 'ipv6'); // NAT64 of a special range
    list.addSubnet(`2002:${hi}:${lo}::`, 16 + prefix, 'ipv6'); // 6to4 of a special range
  }
  for (const [net, prefix] of V6_RANGES) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const BLOCKED = buildBlockList();

/** Hostnames that name the machine itself or a cloud metadata service. */
const FORBIDDEN_NAMES = new Set([
  'localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.com',
  'instance-data', 'instance-data.ec2.internal',
]);
const FORBIDDEN_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

/** True when `ip` is not a public unicast address (or is not an IP address at all). */
export function isForbiddenAddress(ip: string): boolean {
  const zone = ip.indexOf('%');
  const addr = zone === -1 ? ip : ip.slice(0, zone);
  const family = isIP(addr);
  if (family === 0) return true;
  try {
    return BLOCKED.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return true;
  }
}

/** Lower-case, without IPv6 brackets and trailing dots; null if it is not a valid host. */
function normaliseHost(host: string): string | null {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h.length > 0 ? h : null;
}

/** An allow-list entry normalised the same way the URL parser normalises the request's host. */
function normaliseAllowed(entry: string): string | null {
  const e = entry.trim();
  try {
    return normaliseHost(new URL(`http://${isIP(e) === 6 ? `[${e}]` : e}/`).hostname);
  } catch {
    return null;
  }
}

function isForbiddenName(host: string): boolean {
  return FORBIDDEN_NAMES.has(host) || FORBIDDEN_SUFFIXES.some((s) => host.endsWith(s));
}

const defaultLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

export async function checkImageUrl(url: string, allowHosts: readonly string[], lookup: HostLookup = defaultLookup): Promise<Denial | void> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return deny('MG_IMAGE_URL_FORBIDDEN', 'unparseable URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return deny('MG_IMAGE_URL_FORBIDDEN', `scheme ${u.protocol}`);
  if (u.username !== '' || u.password !== '') return deny('MG_IMAGE_URL_FORBIDDEN', 'credentials in URL');
  const host = normaliseHost(u.hostname);
  if (host === null) return deny('MG_IMAGE_URL_FORBIDDEN', 'no host');
  if (!allowHosts.some((h) => normaliseAllowed(h) === host)) return deny('MG_IMAGE_URL_FORBIDDEN', `host ${host} not allowed`);
  if (isIP(host) !== 0) {
    return isForbiddenAddress(host) ? deny('MG_IMAGE_URL_FORBIDDEN', `address ${host}`) : undefined;
  }
  if (isForbiddenName(host)) return deny('MG_IMAGE_URL_FORBIDDEN', `host ${host} is local or metadata`);
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await lookup(host);
  } catch (err) {
    return deny('MG_IMAGE_URL_FORBIDDEN', `lookup ${host}: ${(err as Error).message}`);
  }
  if (addresses.length === 0) return deny('MG_IMAGE_URL_FORBIDDEN', `lookup ${host}: no address`);
  for (const { address } of addresses) {
    if (isForbiddenAddress(address)) return deny('MG_IMAGE_URL_FORBIDDEN', `host ${host} resolves to ${address}`);
  }
  return undefined;
}
