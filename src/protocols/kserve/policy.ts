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
 *
 * A JSON body over `workers.offloadJsonAbove` bytes is never parsed on the event loop: with the
 * worker pool up, one task guards, parses and validates it in a thread (json-check.ts) and the
 * loop keeps only the verdict — a body-phase denial is returned by the body phase, the
 * validator's answer by the inspect phase, as inline — and forwards the client's bytes. A binary
 * tensor request over `workers.offloadTensorAbove` bytes is checked whole in a thread the same way
 * (header, element checks, the body to forward), its answer given by the inspect phase.
 */
import { deny, type Denial } from '../../errors.js';
import type { RouteConfig } from '../../config/types.js';
import type { Policy } from '../../pipeline/policy.js';
import { unitsInspection, type RequestContext } from '../../pipeline/context.js';
import { contentTypePolicy } from '../../policies/content-type.js';
import { countObjectKeys } from '../json-guard.js';
import { jsonLimitsOf, parseJsonBody } from '../../policies/json-body.js';
import type { JsonOffload } from '../../workers/scan-pool.js';
import { binaryForward, specKeyOf, type KserveBinaryVerdict, type KserveJsonSpec } from './json-check.js';
import { compileKserve, type TensorSummary } from './validate.js';

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

/** The validator's answer for a body checked in the pool, from the body phase to the inspect phase. */
const checkedOffLoop = new WeakMap<RequestContext, Denial | TensorSummary | null>();
/** The same for a binary tensor request, with the body to forward. */
const binaryOffLoop = new WeakMap<RequestContext, KserveBinaryVerdict>();

/** The route's models, or {} (a server-wide endpoint names none), and its only model if just one. */
function routeModels(route: RouteConfig): { models: NonNullable<RouteConfig['models']>; only: string | null } {
  const models = route.models ?? {};
  const names = Object.keys(models);
  return { models, only: names.length === 1 ? names[0] as string : null };
}

/**
 * The JSON body of a kserve route (body phase): like json-body, and when the text has no
 * duplicate keys the client's bytes are forwarded as they are — re-serialising a 2.4M-element
 * tensor costs more than parsing it, and without duplicate keys every JSON parser reads the same
 * values (NaN/Infinity and unsafe integers are refused by the validator). A binary request, or a
 * non-infer route's empty body, skips this. `offload`: the worker pool, for large bodies.
 */
export function kserveJsonBody(route: RouteConfig, offload?: JsonOffload): Policy {
  const limits = jsonLimitsOf(route.limits);
  const infer = /\/infer$/.test(route.path);
  const { models, only } = routeModels(route);
  const kLimits = { maxTensorElements: route.limits.maxTensorElements };
  const spec: KserveJsonSpec = { key: specKeyOf(models, kLimits), models, limits: kLimits, json: limits, infer };
  /**
   * A pool task that takes the body's bytes: if it fails (the client left mid-check, the thread
   * died), a stand-in of the same length (zero pages, never touched) keeps the body size that
   * settle logs and the abuse rules judge. Nothing is forwarded.
   */
  async function moving<T>(ctx: RequestContext, raw: Buffer, check: () => Promise<T>): Promise<T> {
    const size = raw.length;
    try {
      return await check();
    } catch (err) {
      if (raw.length !== size) ctx.rawBody = Buffer.alloc(size);
      throw err;
    }
  }
  /** The check in a thread: what the body phase would refuse is refused here, the rest waits for inspect. */
  async function offloaded(pool: JsonOffload, ctx: RequestContext, raw: Buffer): Promise<Denial | undefined> {
    const { verdict: v, body } = await moving(ctx, raw, () => pool.checkKserve(spec, modelOf(ctx, only), raw, ctx.clientGone));
    ctx.rawBody = body;
    if (v.body !== null) return v.body;
    checkedOffLoop.set(ctx, v.inspect);
    // Only what a later policy reads of the body: its `model` (key-model, when the path names none).
    if (v.model !== null) ctx.body = { model: v.model };
    const json = v.json;
    ctx.forward = { body: json === null ? body : Buffer.from(json.buffer, json.byteOffset, json.byteLength), contentType: 'application/json' };
    return undefined;
  }
  /** A binary tensor request checked whole in a thread; its answer waits for the inspect phase (as inline). */
  async function offloadedBinary(pool: JsonOffload, ctx: RequestContext, raw: Buffer): Promise<undefined> {
    const headerLength = Number(ctx.headers[BINARY_HEADER]);
    const { verdict, body } = await moving(ctx, raw, () => pool.checkKserveBinary(spec, modelOf(ctx, only), raw, headerLength, ctx.clientGone));
    ctx.rawBody = body;
    binaryOffLoop.set(ctx, verdict);
    return undefined;
  }
  return {
    name: 'json-body',
    phase: 'body',
    onError: 'fail-closed',
    run: function kserveJson(ctx) {
      const raw = ctx.rawBody;
      if (isBinaryRequest(ctx)) {
        // Only a request the inspect phase would walk: an infer POST for a declared model.
        const walks = infer && ctx.method !== 'GET' && raw !== null && Object.hasOwn(models, modelOf(ctx, only));
        return offload !== undefined && walks && offload.takesTensor(raw.length) ? offloadedBinary(offload, ctx, raw) : undefined;
      }
      if (!infer && (raw === null || raw.length === 0)) return undefined;
      if (offload !== undefined && raw !== null && offload.takesJson(raw.length)) return offloaded(offload, ctx, raw);
      const stats = { keys: 0 };
      const r = parseJsonBody(raw, limits, stats);
      if ('code' in r) return r;
      ctx.body = r.value;
      if (countObjectKeys(ctx.body) === stats.keys) ctx.forward = { body: raw as Buffer, contentType: 'application/json' };
      return undefined;
    },
  };
}

/** The model a request names: the {model} parameter, or the route's only model. */
function modelOf(ctx: RequestContext, only: string | null): string {
  return ctx.params.model ?? only ?? '';
}

export function kservePolicy(route: RouteConfig): Policy {
  const { models, only } = routeModels(route);
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
        let summary: TensorSummary;
        let forward: { body: Buffer; headerLength: number };
        const off = binaryOffLoop.get(ctx); // checked in a worker thread during the body phase
        if (off !== undefined) {
          if ('code' in off.inspect) return off.inspect;
          const f = off.forward as Uint8Array;
          summary = off.inspect;
          forward = { body: Buffer.from(f.buffer, f.byteOffset, f.byteLength), headerLength: off.headerLength };
        } else {
          const raw = ctx.rawBody ?? Buffer.alloc(0);
          const headerLength = Number(ctx.headers[BINARY_HEADER]);
          const r = validator.validateBinary(model, raw, headerLength, jsonLimits);
          if ('code' in r) return r;
          summary = r;
          forward = binaryForward(r.header, raw, headerLength);
        }
        ctx.forward = {
          body: forward.body,
          contentType: 'application/octet-stream',
          headers: { [BINARY_HEADER]: String(forward.headerLength) },
        };
        ctx.inspection = unitsInspection(summary.elements / 1000);
        return undefined;
      }
      // Checked in a worker thread during the body phase (null only off an infer route: not here).
      const r = checkedOffLoop.get(ctx) ?? validator.validateJson(model, ctx.body);
      if ('code' in r) return r;
      ctx.inspection = unitsInspection(r.elements / 1000);
      return undefined;
    },
  };
}
