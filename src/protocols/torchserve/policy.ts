/**
 * TorchServe inference routes (`/predictions/{model}`): the body is checked by its content type,
 * which must be one the route lists (`limits.types`): JSON passes the structure caps and is
 * re-serialised; images get every image check (type, signature, dimensions, frames, truncation,
 * optional decode); text must be UTF-8; other listed types are size-checked only. With `models`
 * the route serves only those models (others: 404). TorchServe's management API (`/models`,
 * register, scale, delete) is never routed: no route names it (deny by default), and the
 * configuration refuses a torchserve route on those paths.
 *
 * Cost: an image's pixels × frames ÷ 1,000; any other body, its bytes ÷ 1,000.
 */
import { isUtf8 } from 'node:buffer';
import { deny, isDenial } from '../../errors.js';
import type { RouteConfig } from '../../config/types.js';
import type { Policy } from '../../pipeline/policy.js';
import { unitsInspection } from '../../pipeline/context.js';
import { contentTypePolicy } from '../../policies/content-type.js';
import { jsonLimitsOf, parseJsonBody } from '../../policies/json-body.js';
import { imageLimitsOf, imageUnits } from '../image/policy.js';
import { inspectImage } from '../image/inspect.js';
import { normaliseMime } from '../image/types.js';

export function torchserveContentType(route: RouteConfig): Policy {
  const allowed = new Set(route.limits.types.map(normaliseMime));
  return contentTypePolicy(function torchserveContentTypePolicy(ctx) {
      const ct = ctx.headers['content-type'];
      if (ct === undefined || !allowed.has(normaliseMime(ct))) return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'content type not listed');
      return undefined;
  });
}

export function torchservePolicy(route: RouteConfig): Policy {
  const models = route.models === null ? null : new Set(Object.keys(route.models));
  // A path without {model} serves exactly one model (checked at load): that one.
  const only = models !== null && models.size === 1 ? [...models][0] as string : '';
  const il = imageLimitsOf(route.limits);
  const json = jsonLimitsOf(route.limits);
  return {
    name: 'torchserve',
    phase: 'inspect',
    onError: 'fail-closed',
    run: async function torchserve(ctx) {
      if (models !== null && !models.has(ctx.params.model ?? only)) return deny('MG_MODEL_NOT_FOUND', 'model not routed');
      const type = normaliseMime(ctx.headers['content-type'] ?? '');
      const raw = ctx.rawBody ?? Buffer.alloc(0);
      let units = raw.length / 1000;
      if (type.startsWith('image/')) {
        const info = await inspectImage(raw, type, il);
        if (isDenial(info)) return info;
        units = imageUnits(info);
        ctx.forward = { body: raw, contentType: info.type };
      } else if (type === 'application/json' || type.endsWith('+json')) {
        const r = parseJsonBody(raw, json);
        if ('code' in r) return r;
        ctx.body = r.value;
        ctx.forward = { body: JSON.stringify(ctx.body), contentType: 'application/json' };
      } else {
        if (type.startsWith('text/') && !isUtf8(raw)) return deny('MG_BODY_INVALID_UTF8');
        ctx.forward = { body: raw, contentType: type };
      }
      ctx.inspection = unitsInspection(units);
      return undefined;
    },
  };
}
