/**
 * SHA-256 of a string (UTF-8): `crypto.hash`, one call and no Hash object (Node >= 20.12), where
 * Node has it, else a Hash object. Used where a digest is taken per request (API keys, the scan
 * caches' keys).
 */
import * as crypto from 'node:crypto';

const ONE_SHOT = typeof (crypto as { hash?: unknown }).hash === 'function';

export function sha256(s: string, encoding: 'base64' | 'hex'): string;
export function sha256(s: string, encoding: 'buffer'): Buffer;
export function sha256(s: string, encoding: 'base64' | 'hex' | 'buffer'): string | Buffer {
  if (ONE_SHOT) return encoding === 'buffer' ? crypto.hash('sha256', s, 'buffer') : crypto.hash('sha256', s, encoding);
  const h = crypto.createHash('sha256').update(s, 'utf8');
  return encoding === 'buffer' ? h.digest() : h.digest(encoding);
}
