/**
 * API-key authentication (request phase). A key arrives in one of the configured headers
 * (X-API-Key, or Authorization: Bearer <key>); it is hashed with SHA-256 and looked up by hash.
 * The map lookup only ever sees a hash (a preimage-resistant value, so its timing tells an
 * attacker nothing about valid keys); the final comparison is timingSafeEqual.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { deny } from '../errors.js';
import type { ApiKeyEntry } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';
import type { RequestContext } from '../pipeline/context.js';

/** Keys are short; anything longer is refused before hashing so nobody hashes megabytes. */
const MAX_KEY_LENGTH = 512;

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The key from the first configured header present; '' when a header is present but empty or malformed. */
function presentedKey(ctx: RequestContext, headers: readonly string[]): string | null {
  for (const name of headers) {
    const v = ctx.headers[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') return '';
    if (name === 'authorization' || name === 'proxy-authorization') {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(v);
      return m?.[1] ?? '';
    }
    return v.trim();
  }
  return null;
}

export function apiKeyAuth(keys: readonly ApiKeyEntry[], headerNames: readonly string[]): Policy {
  const byHash = new Map<string, ApiKeyEntry>();
  for (const k of keys) byHash.set(k.hash.toString('hex'), k);
  const headers = headerNames.map((h) => h.toLowerCase());
  return {
    name: 'api-key',
    phase: 'request',
    onError: 'fail-closed',
    run: function apiKey(ctx) {
      const key = presentedKey(ctx, headers);
      if (key === null) return deny('MG_AUTH_MISSING');
      if (key === '' || key.length > MAX_KEY_LENGTH) return deny('MG_AUTH_INVALID', 'malformed credential');
      const digest = hashKey(key);
      const entry = byHash.get(digest.toString('hex'));
      if (entry === undefined || !timingSafeEqual(entry.hash, digest)) return deny('MG_AUTH_INVALID');
      ctx.identity = { keyId: entry.id, tier: entry.tier };
      return undefined;
    },
  };
}
