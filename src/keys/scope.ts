/**
 * Parsing and checking a key's scope (expiry, routes, models, client CIDRs): the same rules for a
 * key in the config file and for one made through the admin API. Address ranges are matched with
 * node's own `net.BlockList`, built once per key, never per request.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { KeyScope } from './types.js';

export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** At most this many entries in one allow-list (a bound on what a record can hold). */
export const MAX_LIST = 256;

export interface ScopeProblem { path: string; message: string; }

/** `203.0.113.0/24`, `2001:db8::/32` or a single address; null when invalid. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return null;
  const max = v === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** An instant from an ISO 8601 date-time with a zone (`2027-06-30T00:00:00Z`); null when invalid. */
export function parseInstant(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : null;
}

function stringList(v: unknown, path: string, problems: ScopeProblem[], check: (s: string) => string | null): string[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST) {
    problems.push({ path, message: `must be a list of 1 to ${MAX_LIST} strings (or null)` });
    return null;
  }
  const out: string[] = [];
  v.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > 256) {
      problems.push({ path: `${path}[${i}]`, message: 'must be a non-empty string' });
      return;
    }
    const bad = check(s);
    if (bad !== null) problems.push({ path: `${path}[${i}]`, message: bad });
    else out.push(s);
  });
  return [...new Set(out)];
}

/**
 * A scope from raw values (config or admin JSON). `routePaths`: the configured route paths (a
 * key's `routes` must name one of them). Problems are pushed with their path under `base`.
 */
export function parseScope(raw: Record<string, unknown>, base: string, routePaths: ReadonlySet<string>, problems: ScopeProblem[]): KeyScope {
  let expiresAt: number | null = null;
  if (raw.expiresAt !== undefined && raw.expiresAt !== null) {
    const t = typeof raw.expiresAt === 'string' ? parseInstant(raw.expiresAt) : null;
    if (t === null) problems.push({ path: `${base}.expiresAt`, message: 'must be an ISO 8601 date-time with a zone, e.g. 2027-06-30T00:00:00Z' });
    expiresAt = t;
  }
  return {
    expiresAt,
    routes: stringList(raw.routes, `${base}.routes`, problems, (s) => (routePaths.has(s) ? null : `no route with path "${s}"`)),
    models: stringList(raw.models, `${base}.models`, problems, () => null),
    allowedCidrs: stringList(raw.allowedCidrs, `${base}.allowedCidrs`, problems, (s) => (parseCidr(s) === null ? 'not an address or CIDR range' : null)),
  };
}

/** What the auth policy checks, compiled once per key. */
export interface CompiledScope {
  expiresAt: number | null;
  routes: ReadonlySet<string> | null;
  models: ReadonlySet<string> | null;
  /** null = from anywhere. */
  allowed: ((ip: string) => boolean) | null;
}

export const OPEN_SCOPE: CompiledScope = { expiresAt: null, routes: null, models: null, allowed: null };

export function compileScope(s: KeyScope): CompiledScope {
  let allowed: CompiledScope['allowed'] = null;
  if (s.allowedCidrs !== null) {
    const list = new BlockList();
    for (const c of s.allowedCidrs) {
      const p = parseCidr(c);
      if (p !== null) list.addSubnet(p.address, p.prefix, p.family);
    }
    allowed = (ip) => {
      // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
      const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
      const v = isIP(plain);
      return v !== 0 && list.check(plain, v === 4 ? 'ipv4' : 'ipv6');
    };
  }
  return {
    expiresAt: s.expiresAt,
    routes: s.routes === null ? null : new Set(s.routes),
    models: s.models === null ? null : new Set(s.models),
    allowed,
  };
}
