/**
 * KServe v2 / Triton routes (body and inspect phases).
 *
 * An infer route (`…/infer`) validates every request against the route's declared models
 * (src/protocols/kserve/validate.ts): JSON tensors, or the binary tensor data extension when
 * `Inference-Header-Content-Length` is present. What is forwarded is what was checked: the JSON
 * re-serialised, or for binary requests the re-serialised header followed by the checked bytes
 * (with the header length recomputed). Other v2 endpoints (model metadata, repository
 * load/unload, shared memory) are 404 unless a route names them; such a route still only serves
 * its declared models and checks an optional JSON body's structure.
 *
 * Cost: elements ÷ 1,000 per request, in the same unit as tokens.
 */
import { deny } from '../../errors.js';
import type { RouteConfig } from '../../config/types.js';
import type { Policy } from '../../pipeline/policy.js';
import { unitsInspection, type RequestContext } from '../../pipeline/context.js';
import { contentTypePolicy } from '../../policies/content-type.js';
import { countObjectKeys } from '../json-guard.js';
import { jsonLimitsOf, parseJsonBody } from '../../policies/json-body.js';
import { compileKserve } from './validate.js';

export const BINARY_HEADER = 'inference-header-content-length';

export function isBinaryRequest(ctx: RequestContext): boolean {
  return ctx.headers[BINARY_HEADER] !== undefined;
}

/** Content types: JSON, or application/octet-stream with the binary extension's header; none when there is no body. */
export function kserveContentType(): Policy {
  return contentTypePolicy(function kserveContentTypePolicy(ctx) {
      const ct = ctx.headers['content-type'];
      const hasBody = ctx.headers['transfer-encoding'] !== undefined || (ctx.headers['content-length'] ?? '0') !== '0';
      if (ct === undefined) return hasBody ? deny('MG_UNSUPPORTED_MEDIA_TYPE', 'no content-type') : undefined;
      const type = ct.split(';')[0]?.trim().toLowerCase();
      if (type === 'application/json') return undefined;
      if (type === 'application/octet-stream' && isBinaryRequest(ctx)) return undefined;
      return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'not json or binary tensors');
  });
}

/**
 * The JSON body of a kserve route (body phase): like json-body, and when the text has no
 * duplicate keys the client's bytes are forwarded as they are — re-serialising a 2.4M-element
 * tensor costs more than parsing it, and without duplicate keys every JSON parser reads the same
 * values (NaN/Infinity and unsafe integers are refused by the validator). A binary request, or a
 * non-infer route's empty body, skips this.
 */
export function kserveJsonBody(route: RouteConfig): Policy {
  const limits = jsonLimitsOf(route.limits);
  const infer = /\/infer$/.test(route.path);
  return {
    name: 'json-body',
    phase: 'body',
    onError: 'fail-closed',
    run: function kserveJson(ctx) {
      if (isBinaryRequest(ctx) || (!infer && (ctx.rawBody === null || ctx.rawBody.length === 0))) return undefined;
      const stats = { keys: 0 };
      const r = parseJsonBody(ctx.rawBody, limits, stats);
      if ('code' in r) return r;
      ctx.body = r.value;
      if (countObjectKeys(ctx.body) === stats.keys) ctx.forward = { body: ctx.rawBody as Buffer, contentType: 'application/json' };
      return undefined;
    },
  };
}

/** The model a request names: the {model} parameter, or the route's only model. */
function modelOf(ctx: RequestContext, only: string | null): string {
  return ctx.params.model ?? only ?? '';
}


export function kservePolicy(route: RouteConfig): Policy {
  const models = route.models ?? {};
  const names = Object.keys(models);
  const only = names.length === 1 ? names[0] as string : null;
  const infer = /\/infer$/.test(route.path);
  const validator = compileKserve(models, { maxTensorElements: route.limits.maxTensorElements });
  const jsonLimits = jsonLimitsOf(route.limits);
  return {
    name: 'kserve-v2',
    phase: 'inspect',
    onError: 'fail-closed',
    run: function kserve(ctx) {
      // A route without models (a server-wide endpoint such as /v2/repository/index) names none.
      const model = modelOf(ctx, only);
      if (route.models !== null && !validator.hasModel(model)) return deny('MG_MODEL_NOT_FOUND', 'model not declared');
      if (!infer || ctx.method === 'GET') {
        ctx.inspection = unitsInspection(0);
        return undefined;
      }
      if (isBinaryRequest(ctx)) {
        const raw = ctx.rawBody ?? Buffer.alloc(0);
        const headerLength = Number(ctx.headers[BINARY_HEADER]);
        const r = validator.validateBinary(model, raw, headerLength, jsonLimits);
        if ('code' in r) return r;
        const header = Buffer.from(JSON.stringify(r.header), 'utf8');
        ctx.forward = {
          body: Buffer.concat([header, raw.subarray(headerLength)]),
          contentType: 'application/octet-stream',
          headers: { [BINARY_HEADER]: String(header.length) },
        };
        ctx.inspection = unitsInspection(r.elements / 1000);
        return undefined;
      }
      const r = validator.validateJson(model, ctx.body);
      if ('code' in r) return r;
      ctx.inspection = unitsInspection(r.elements / 1000);
      return undefined;
    },
  };
}
