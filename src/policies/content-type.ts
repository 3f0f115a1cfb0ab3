/**
 * Content-type allowlist (request phase): JSON routes take `application/json` only (with an
 * optional `charset=utf-8`). A request that carries no body at all is left to the body phase.
 */
import { deny } from '../errors.js';
import type { Policy, PolicyResult } from '../pipeline/policy.js';
import type { RequestContext } from '../pipeline/context.js';

/** The request-phase content-type policy of a protocol, from its check. */
export function contentTypePolicy(check: (ctx: RequestContext) => PolicyResult): Policy {
  return { name: 'content-type', phase: 'request', onError: 'fail-closed', run: check };
}

export function requireJson(): Policy {
  return contentTypePolicy(function contentType(ctx) {
      const ct = ctx.headers['content-type'];
      if (ct === undefined) return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'no content-type');
      const [type, ...params] = ct.split(';');
      if (type?.trim().toLowerCase() !== 'application/json') return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'not json');
      for (const p of params) {
        const [k, v] = p.split('=');
        if (k?.trim().toLowerCase() === 'charset' && v?.trim().replace(/"/g, '').toLowerCase() !== 'utf-8') {
          return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'charset not utf-8');
        }
      }
      return undefined;
  });
}
