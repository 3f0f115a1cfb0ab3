/**
 * JSON body (body phase): the bytes must be valid UTF-8 (checked natively by buffer.isUtf8, not
 * replaced with U+FFFD as Buffer#toString would), pass the structural limits of json-guard,
 * and then parse. An empty body is invalid JSON.
 */
import { isUtf8 } from 'node:buffer';
import { deny, type Denial } from '../errors.js';
import type { Limits } from '../config/defaults.js';
import type { Policy } from '../pipeline/policy.js';
import { checkJsonLimits, type JsonLimits } from '../protocols/json-guard.js';

export function jsonLimitsOf(limits: Limits): JsonLimits {
  return { maxDepth: limits.maxJsonDepth, maxArrayLength: limits.maxJsonArrayLength, maxStringChars: limits.maxJsonStringChars, maxKeys: limits.maxJsonKeys };
}

/**
 * UTF-8 check, structure scan, parse. With `stats`, stats.keys receives the number of object
 * members in the text (see checkJsonLimits).
 */
export function parseJsonBody(raw: Buffer | null, json: JsonLimits, stats?: { keys: number }): Denial | { value: unknown } {
  if (raw === null || raw.length === 0) return deny('MG_JSON_INVALID', 'empty body');
  if (!isUtf8(raw)) return deny('MG_BODY_INVALID_UTF8');
  const text = raw.toString('utf8');
  const violation = checkJsonLimits(text, json, stats);
  if (violation !== null) return deny(violation.code, violation.detail);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return deny('MG_JSON_INVALID');
  }
}

export function jsonBody(limits: Limits): Policy {
  const json = jsonLimitsOf(limits);
  return {
    name: 'json-body',
    phase: 'body',
    onError: 'fail-closed',
    run: function jsonBodyPolicy(ctx) {
      const r = parseJsonBody(ctx.rawBody, json);
      if ('code' in r) return r;
      ctx.body = r.value;
      return undefined;
    },
  };
}
