/**
 * Client addresses in one canonical spelling, so that a ban or a count cannot be escaped by
 * writing the same address differently (`2001:DB8::1` vs `2001:db8:0:0::1`, `::ffff:192.0.2.1`
 * vs `192.0.2.1`), and the network prefixes keySpread counts (/24 for IPv4, /64 for IPv6).
 * Parsing is ipaddr.js (already what Fastify's proxy-addr uses to read X-Forwarded-For).
 */
import ipaddr from 'ipaddr.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The canonical form of an address: IPv4 dotted quad (an IPv4-mapped IPv6 address becomes its
 * IPv4 address), IPv6 in RFC 5952 form (lowercase, longest zero run compressed); a zone id is
 * dropped. Null when it is not an address.
 */
export function canonicalIp(ip: string): string | null {
  if (IPV4.test(ip)) return ip; // the common case, without allocating a parsed address
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = bare.indexOf('%');
  const text = zone === -1 ? bare : bare.slice(0, zone);
  if (!ipaddr.isValid(text)) return null;
  try {
    return ipaddr.process(text).toString();
  } catch {
    return null;
  }
}

/** The network of an address: `a.b.c.0/24` for IPv4, the first four groups `/64` for IPv6. */
export function networkOf(canonical: string): string {
  const addr = ipaddr.parse(canonical);
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** A CIDR in canonical form (`192.0.2.7/24` → `192.0.2.0/24`), or null when it is not one. */
export function canonicalCidr(cidr: string): string | null {
  try {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    const network = addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  } catch {
    return null;
  }
}

/** Does the canonical address `ip` fall in the canonical CIDR `cidr`? */
export function cidrContains(cidr: string, ip: string): boolean {
  try {
    const range = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.parse(ip);
    return addr.kind() === range[0].kind() && addr.match(range);
  } catch {
    return false;
  }
}
