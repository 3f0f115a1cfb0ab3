/**
 * What the headers declare, checked before a byte of body is read (request phase): a
 * Content-Length over the route's cap is 413, a Content-Encoding outside the route's
 * `decompress` list is 415. The body phase then counts the bytes that really arrive.
 */
import { deny } from '../errors.js';
import type { Limits } from '../config/defaults.js';
import type { Policy } from '../pipeline/policy.js';

export function declaredLength(limits: Limits): Policy {
  const encodings = new Set<string>(limits.decompress);
  return {
    name: 'declared-length',
    phase: 'request',
    onError: 'fail-closed',
    run: function declared(ctx) {
      const cl = ctx.headers['content-length'];
      if (cl !== undefined && Number(cl) > limits.maxBodyBytes) return deny('MG_BODY_TOO_LARGE', `declared ${cl}`);
      const ce = ctx.headers['content-encoding'];
      if (ce !== undefined) {
        const enc = ce.trim().toLowerCase();
        if (enc !== 'identity' && !encodings.has(enc)) return deny('MG_UNSUPPORTED_ENCODING', 'encoding not allowed');
      }
      return undefined;
    },
  };
}
