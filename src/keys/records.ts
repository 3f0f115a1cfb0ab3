/**
 * Store records: parsing what a store returned (never trusting it blindly), the admin view of a
 * key (never a key or a hash), and the changes an admin operation makes to a record.
 */
import { KEY_ID_PATTERN } from './scope.js';
import type { KeyHash, StoredKey } from './types.js';
import type { LiveKey } from './registry.js';
import type { ApiKeyEntry } from '../config/types.js';

/** Rotated-out values kept at once; the oldest goes first. */
export const MAX_HASHES = 8;

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v as string[] : null);

/** A record from its stored JSON; null when it is not one (logged by the caller, then ignored). */
export function parseRecord(json: string): StoredKey | null {
  let v: unknown;
  try { v = JSON.parse(json); } catch { return null; }
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !KEY_ID_PATTERN.test(r.id) || typeof r.createdAt !== 'number' || !Array.isArray(r.hashes)) return null;
  const hashes: KeyHash[] = [];
  for (const h of r.hashes as unknown[]) {
    const x = h as Record<string, unknown> | null;
    if (x === null || typeof x.hash !== 'string' || !/^[0-9a-f]{64}$/.test(x.hash) || (x.until !== null && typeof x.until !== 'number')) return null;
    hashes.push({ hash: x.hash, until: x.until as number | null });
  }
  return {
    id: r.id,
    tier: typeof r.tier === 'string' ? r.tier : null,
    createdAt: r.createdAt,
    expiresAt: typeof r.expiresAt === 'number' ? r.expiresAt : null,
    routes: strings(r.routes),
    models: strings(r.models),
    allowedCidrs: strings(r.allowedCidrs),
    hashes,
  };
}

/** Rotation: `newHash` becomes current; the current value stays valid until `now + graceMs`. */
export function rotated(rec: StoredKey, newHash: string, now: number, graceMs: number): StoredKey {
  const kept = rec.hashes
    .map((h) => (h.until === null ? { hash: h.hash, until: now + graceMs } : h))
    .filter((h) => h.until !== null && h.until > now);
  return { ...rec, hashes: [...kept.slice(-(MAX_HASHES - 1)), { hash: newHash, until: null }] };
}

const iso = (t: number | null): string | null => (t === null || t === 0 ? null : new Date(t).toISOString());

/** What GET /admin/keys shows of a key: never the key, never a hash. */
export interface KeyView {
  id: string;
  source: 'config' | 'store';
  tier: string | null;
  createdAt: string | null;
  expiresAt: string | null;
  routes: string[] | null;
  models: string[] | null;
  allowedCidrs: string[] | null;
  lastUsedAt: string | null;
  /** During a rotation grace: when the previous value stops working. */
  previousValidUntil: string | null;
}

export function storeView(rec: StoredKey, lastUsed: number, now: number): KeyView {
  const grace = rec.hashes.filter((h) => h.until !== null && h.until > now).map((h) => h.until as number);
  return {
    id: rec.id, source: 'store', tier: rec.tier, createdAt: iso(rec.createdAt), expiresAt: iso(rec.expiresAt),
    routes: rec.routes, models: rec.models, allowedCidrs: rec.allowedCidrs, lastUsedAt: iso(lastUsed),
    previousValidUntil: grace.length === 0 ? null : iso(Math.max(...grace)),
  };
}

export function configView(k: ApiKeyEntry, live: LiveKey | undefined, lastUsed: number): KeyView {
  const s = k.scope;
  return {
    id: k.id, source: 'config', tier: k.tier, createdAt: null, expiresAt: iso(s?.expiresAt ?? null),
    routes: s?.routes ?? null, models: s?.models ?? null, allowedCidrs: s?.allowedCidrs ?? null,
    lastUsedAt: iso(Math.max(lastUsed, live?.lastUsed ?? 0)), previousValidUntil: null,
  };
}
