/**
 * JSON body (body phase): the bytes must be valid UTF-8 (checked natively by buffer.isUtf8, not
 * replaced with U+FFFD as Buffer#toString would), pass the structural limits of json-guard,
 * and then parse. An empty body is invalid JSON.
 */
import { isUtf8 } from 'node:buffer';
import { deny } from '../errors.js';
import type { Limits } from '../config/defaults.js';
import type { Policy } from '../pipeline/policy.js';
import { checkJsonLimits, type JsonLimits } from '../protocols/json-guard.js';

export function jsonBody(limits: Limits): Policy {
  const json: JsonLimits = {
    maxDepth: limits.maxJsonDepth,
    maxArrayLength: limits.maxJsonArrayLength,
    maxStringChars: limits.maxJsonStringChars,
    maxKeys: limits.maxJsonKeys,
  };
  return {
    name: 'json-body',
    phase: 'body',
    onError: 'fail-closed',
    run: function jsonBodyPolicy(ctx) {
      const raw = ctx.rawBody;
      if (raw === null || raw.length === 0) return deny('MG_JSON_INVALID', 'empty body');
      if (!isUtf8(raw)) return deny('MG_BODY_INVALID_UTF8');
      const text = raw.toString('utf8');
      const violation = checkJsonLimits(text, json);
      if (violation !== null) return deny(violation.code, violation.detail);
      try {
        ctx.body = JSON.parse(text);
      } catch {
        return deny('MG_JSON_INVALID');
      }
      return undefined;
    },
  };
}
