/**
 * A ban and the local set of active bans every replica keeps in memory, so that the hot-path
 * check costs a map lookup (no store round trip): the store holds the shared truth and tells each
 * replica of changes (src/abuse/ban-store*.ts).
 */
import { createHash } from 'node:crypto';
import { cidrContains } from './address.js';

export type BanKind = 'ip' | 'cidr' | 'key';

export interface Ban {
  /** Stable for (kind, value): banning the same caller again replaces its ban. */
  id: string;
  kind: BanKind;
  /** A canonical address, a canonical CIDR, or a key id (never a key). */
  value: string;
  /** The rule that made it (authFailures, errorRate, …) or `manual`. */
  rule: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
}

/** The id of the ban on (kind, value): 16 hex chars, URL-safe, the same on every replica. */
export function banId(kind: BanKind, value: string): string {
  return createHash('sha256').update(`${kind}\0${value}`).digest('hex').slice(0, 16);
}

export function makeBan(kind: BanKind, value: string, rule: string, now: number, durationMs: number): Ban {
  return { id: banId(kind, value), kind, value, rule, createdAt: now, expiresAt: now + durationMs };
}

/** A ban read back from the store: checked field by field (the store is shared, not trusted blindly). */
export function parseBan(text: string): Ban | null {
  try {
    const b = JSON.parse(text) as Partial<Ban>;
    if (typeof b.id !== 'string' || typeof b.value !== 'string' || typeof b.rule !== 'string') return null;
    if (b.kind !== 'ip' && b.kind !== 'cidr' && b.kind !== 'key') return null;
    if (typeof b.createdAt !== 'number' || typeof b.expiresAt !== 'number') return null;
    return { id: b.id, kind: b.kind, value: b.value, rule: b.rule, createdAt: b.createdAt, expiresAt: b.expiresAt };
  } catch {
    return null;
  }
}

/**
 * The active bans of this replica. `ip` and `key` bans are map lookups; CIDR bans (manual, rare)
 * are scanned. Expired bans are dropped when met, and by `prune()`.
 */
export class BanSet {
  private readonly byId = new Map<string, Ban>();
  private readonly ips = new Map<string, Ban>();
  private readonly keys = new Map<string, Ban>();
  private cidrs: Ban[] = [];

  get size(): number { return this.byId.size; }

  /** Adds or replaces a ban. */
  add(ban: Ban): void {
    this.remove(ban.id);
    this.byId.set(ban.id, ban);
    if (ban.kind === 'ip') this.ips.set(ban.value, ban);
    else if (ban.kind === 'key') this.keys.set(ban.value, ban);
    else this.cidrs = [...this.cidrs, ban];
  }

  /** Removes a ban; returns it, or null when there was none. */
  remove(id: string): Ban | null {
    const ban = this.byId.get(id);
    if (ban === undefined) return null;
    this.byId.delete(id);
    if (ban.kind === 'ip') this.ips.delete(ban.value);
    else if (ban.kind === 'key') this.keys.delete(ban.value);
    else this.cidrs = this.cidrs.filter((b) => b.id !== id);
    return ban;
  }

  /** Replaces the whole set (a full reload from the store). */
  replace(bans: Iterable<Ban>): void {
    this.byId.clear(); this.ips.clear(); this.keys.clear(); this.cidrs = [];
    for (const b of bans) this.add(b);
  }

  get(id: string): Ban | undefined { return this.byId.get(id); }

  /** The ban on this canonical address (exact or by CIDR), if one is active at `now`. */
  ip(ip: string, now: number): Ban | null {
    if (this.byId.size === 0) return null;
    const exact = this.ips.get(ip);
    if (exact !== undefined) {
      if (exact.expiresAt > now) return exact;
      this.remove(exact.id);
    }
    for (const b of this.cidrs) if (b.expiresAt > now && cidrContains(b.value, ip)) return b;
    return null;
  }

  /** The ban on this key id, if one is active at `now`. */
  key(keyId: string, now: number): Ban | null {
    const ban = this.keys.get(keyId);
    if (ban === undefined) return null;
    if (ban.expiresAt > now) return ban;
    this.remove(ban.id);
    return null;
  }

  /** Every ban active at `now` (expired ones are dropped). */
  active(now: number): Ban[] {
    this.prune(now);
    return [...this.byId.values()];
  }

  /** Drops expired bans; returns how many. */
  prune(now: number): number {
    let n = 0;
    for (const b of [...this.byId.values()]) if (b.expiresAt <= now) { this.remove(b.id); n++; }
    return n;
  }

  /** Active bans by kind (the bans_active gauge). */
  counts(now: number): Record<BanKind, number> {
    const c: Record<BanKind, number> = { ip: 0, cidr: 0, key: 0 };
    for (const b of this.byId.values()) if (b.expiresAt > now) c[b.kind]++;
    return c;
  }
}
