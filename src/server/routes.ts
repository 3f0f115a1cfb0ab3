/**
 * Route compilation (once, at startup): for each configured route, the policy list of every
 * phase, built from its protocol and limits. What a request meets is decided here, not per request.
 */
import { createLoopSlicer, type LoopSlicer } from '../util/loop-slicer.js';
import { loopSlicePolicy } from '../policies/loop-slice.js';
import type { ModelgateConfig, RouteConfig } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';
import { apiKeyAuth } from '../policies/api-key.js';
import { routeAuthPolicy } from '../policies/client-cert.js';
import { requireJson } from '../policies/content-type.js';
import { visionPolicy } from '../protocols/openai/vision.js';
import { kserveContentType, kserveJsonBody, kservePolicy } from '../protocols/kserve/policy.js';
import { torchserveContentType, torchservePolicy } from '../protocols/torchserve/policy.js';
import { imageContentType, imageUploadBody, imageUploadInspect } from '../protocols/image/policy.js';
import { declaredLength } from '../policies/declared-length.js';
import { corsPolicy } from '../policies/cors.js';
import { bodyRead } from '../policies/body-read.js';
import { jsonBody } from '../policies/json-body.js';
import { injectionPolicy } from '../policies/injection.js';
import { requestRef, type Emitter } from '../observability/events.js';
import type { RequestContext } from '../pipeline/context.js';
import { createExternalDetector, externalInspection } from '../policies/external-detector.js';
import { openaiChat } from '../protocols/openai/chat.js';
import { openaiCompletions } from '../protocols/openai/completions.js';
import { openaiEmbeddings } from '../protocols/openai/embeddings.js';
import { admitPolicy, gpuSlotPolicy, ipLimitPolicy } from '../policies/admit.js';
import type { Limiter } from '../limits/limiter.js';
import { outputPolicy } from '../policies/output.js';
import { costDebtPolicy } from '../policies/cost-debt.js';
import { compileOutput } from '../protocols/openai/output.js';
import type { Admission } from '../upstream/admission.js';
import type { UpstreamTargets } from '../upstream/targets.js';
import { upstreamAvailablePolicy } from '../policies/upstream-available.js';
import type { Abuse } from '../abuse/abuse.js';
import { ipBanPolicy, keyBanPolicy } from '../abuse/guard.js';
import { keyModelPolicy } from '../policies/key-model.js';
import type { KeyLookup } from '../keys/registry.js';
import type { CountOffload, JsonOffload, ScanOffload } from '../workers/scan-pool.js';

/**
 * A route's policies by phase, in the order they run. The admit phase is split around injection
 * detection (see docs/architecture.md: cost admission before the scan, the GPU slot after it).
 */
export interface RoutePhases {
  request: Policy[];
  body: Policy[];
  /** Protocol validation. */
  inspect: Policy[];
  /** Cost reservation and concurrency lease. */
  admitCost: Policy[];
  /** Prompt-injection detection (inspect, run after the cost reservation). */
  injection: Policy[];
  /** The GPU slot in the fair queue. */
  admitSlot: Policy[];
  /** Set-up of the respond phase (the output filter, the canary marker). */
  forward: Policy[];
}

export interface CompiledRoute {
  config: RouteConfig;
  /** The route's metric label. */
  label: string;
  phases: RoutePhases;
  /** The phases flattened in order: what the runner walks (one loop, no allocation per phase). */
  policies: Policy[];
  /** The same for GET requests (no body). */
  getPolicies: Policy[];
  /** Releases what the route's policies hold (the external detector's connections); absent: nothing. */
  close?: () => Promise<void>;
}

/** The protocol's validation (inspect phase), and injection detection when on. */
function inspectPolicies(route: RouteConfig, events: Emitter, scanPool?: ScanOffload): { validate: Policy[]; injection: Policy[]; close?: () => Promise<void> } {
  const l = route.limits;
  const validate: Policy[] = [];
  switch (route.protocol) {
    case 'openai-chat': validate.push(openaiChat(l), visionPolicy(l)); break;
    case 'openai-completions': validate.push(openaiCompletions(l)); break;
    case 'openai-embeddings': validate.push(openaiEmbeddings(l)); break;
    case 'kserve-v2': validate.push(kservePolicy(route)); break;
    case 'torchserve': validate.push(torchservePolicy(route)); break;
    case 'image-upload': validate.push(imageUploadInspect(l)); break;
  }
  const inj = route.injection;
  const ext = inj.action === 'off' ? null : inj.external ?? null;
  const detector = ext === null ? null : createExternalDetector(ext, { events });
  const extras = {
    external: ext === null || detector === null ? null : externalInspection(detector, ext.onError, events),
    debugHeader: inj.debugHeader ?? false,
    scored: (ctx: RequestContext, score: number | undefined, x: { flagged: boolean; cached: boolean } | null) => events.emit({ type: 'injection.scored', ...requestRef(ctx), score, external: x }),
    ...(scanPool === undefined ? {} : { offload: scanPool }),
  };
  const injection = inj.action === 'off' ? [] : [injectionPolicy(inj.action, inj.threshold, events, inj.onError, inj.layers, extras)];
  return detector === null ? { validate, injection } : { validate, injection, close: () => detector.close() };
}

/** Request-phase content-type allowlist and body-phase readers, by protocol. */
function bodyPolicies(route: RouteConfig, bodyTimeoutMs: number, jsonPool?: JsonOffload): { contentType: Policy; body: Policy[] } {
  const l = route.limits;
  switch (route.protocol) {
    case 'kserve-v2': return { contentType: kserveContentType(), body: [bodyRead(l, bodyTimeoutMs), kserveJsonBody(route, jsonPool)] };
    case 'torchserve': return { contentType: torchserveContentType(route), body: [bodyRead(l, bodyTimeoutMs)] };
    case 'image-upload': return { contentType: imageContentType(l), body: [imageUploadBody(l, bodyTimeoutMs)] };
    default: return { contentType: requireJson(), body: [bodyRead(l, bodyTimeoutMs), jsonBody(l)] };
  }
}

/** Whether a route has anything for the admit phase to enforce (otherwise the phase is skipped). */
export function needsAdmission(config: ModelgateConfig, route: RouteConfig): boolean {
  return config.tiers.size > 0 || config.perIp.cost !== null || route.rateLimits.requests !== null
    || route.rateLimits.cost !== null || config.upstreams.get(route.upstream)?.maxConcurrent != null;
}

/** Whether any cost bucket can refuse on this route (the tier's or the route's own). */
function hasCostLimits(config: ModelgateConfig, route: RouteConfig): boolean {
  if (route.rateLimits.cost !== null) return true;
  for (const t of config.tiers.values()) if (t.cost !== null && !t.exempt) return true;
  return false;
}

export interface LimitDeps { limiter: Limiter; admissions: Map<string, Admission>; }

/** `upstreams`: the targets, for fast failure when none can take traffic (absent in unit tests of the phases). */
export function compileRoutes(config: ModelgateConfig, events: Emitter, limits: LimitDeps, upstreams?: ReadonlyMap<string, UpstreamTargets>, abuse?: Abuse, keys?: KeyLookup, scanPool?: ScanOffload & CountOffload & JsonOffload, loopSlicer?: LoopSlicer): CompiledRoute[] {
  const auth = apiKeyAuth(keys ?? config.auth.keys, config.auth.headers);
  // One slice per turn of the event loop, shared by every route (src/util/loop-slicer.ts).
  const slice = loopSlicePolicy(loopSlicer ?? createLoopSlicer({ budgetMs: config.workers.loopSlice }));
  const keyModel = keyModelPolicy();
  const cors = config.server.cors === null ? null : corsPolicy(config.server.cors);
  const ipLimit = config.perIp.requests === null ? null : ipLimitPolicy(limits.limiter);
  return config.routes.map((route, i) => {
    const requestPhase: Policy[] = [];
    if (cors !== null) requestPhase.push(cors);
    // A banned address costs nothing (after CORS, so a browser can read its 403).
    if (abuse !== undefined) requestPhase.push(ipBanPolicy(abuse));
    // Per-IP request counting comes before authentication: unauthenticated floods are bounded too.
    if (ipLimit !== null) requestPhase.push(ipLimit);
    requestPhase.push(routeAuthPolicy(route.auth, auth, config.auth.clients, config.auth.headers));
    if (abuse !== undefined) requestPhase.push(keyBanPolicy(abuse, config));
    // Fast failure before anything is charged (cost debt, cost reservation, lease, GPU slot).
    const targets = upstreams?.get(route.upstream);
    if (targets !== undefined && (targets.config.breaker !== null || targets.config.healthCheck !== null)) requestPhase.push(upstreamAvailablePolicy(targets));
    if (hasCostLimits(config, route)) requestPhase.push(costDebtPolicy(limits.limiter, i));
    const { contentType, body } = bodyPolicies(route, config.server.bodyTimeoutMs, scanPool);
    // Right after the body is read: its parse, validation, token count, scan and forwarding run
    // within a turn's slice of the loop, or wait for the next turn.
    body.splice(1, 0, slice);
    const gpu = limits.admissions.get(route.upstream) ?? null;
    // Cost admission before injection detection (a store decision is cheaper than a scan of a
    // long prompt); the GPU slot after it (no slot is held for a request about to be refused).
    const admitCost: Policy[] = needsAdmission(config, route) ? [admitPolicy(route, i, limits.limiter, scanPool)] : [];
    const slot: Policy[] = gpu === null ? [] : [gpuSlotPolicy(limits.limiter, gpu)];
    const respond: Policy[] = route.output === null ? [] : [outputPolicy(compileOutput(route.output))];
    const { validate, injection, close } = inspectPolicies(route, events, scanPool);
    const phases: RoutePhases = {
      request: [...requestPhase, contentType, declaredLength(route.limits)],
      body,
      inspect: [keyModel, ...validate],
      admitCost,
      injection,
      admitSlot: slot,
      forward: respond,
    };
    return {
      config: route,
      label: route.path,
      phases,
      policies: [...phases.request, ...phases.body, ...phases.inspect, ...phases.admitCost, ...phases.injection, ...phases.admitSlot, ...phases.forward],
      // GET (metadata endpoints a route names explicitly): no body (a GET with one never gets
      // here: src/server/wire.ts refuses it before routing), and only the checks that need none
      // (the kserve model check).
      getPolicies: [...requestPhase, keyModel, ...validate.filter((p) => p.name === 'kserve-v2'), ...admitCost, ...slot],
      ...(close === undefined ? {} : { close }),
    };
  });
}

/** `/v2/models/{model}/infer` → `/v2/models/:model/infer` (find-my-way syntax). */
export function routerPath(path: string): string {
  return path.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, ':$1');
}

/**
 * The path sent upstream: the route's own pattern with the (decoded) parameters re-encoded, so the
 * model server sees the canonical path that was matched, never a differently-encoded spelling of
 * it. The query string is dropped unless the route sets `forwardQuery`.
 */
export function upstreamPath(route: RouteConfig, params: Record<string, string>, rawUrl: string): string {
  const path = route.path.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const q = route.forwardQuery ? rawUrl.indexOf('?') : -1;
  return q === -1 ? path : path + rawUrl.slice(q);
}

/**
 * For 405: the methods some route takes on this path (the request's path, query dropped), in the
 * router's syntax (`{param}` = one non-empty segment), plus OPTIONS when CORS answers preflights.
 * Empty: no route has this path (404).
 */
export function allowedMethods(routes: readonly CompiledRoute[], cors: boolean): (url: string) => string[] {
  const patterns = routes.map((r) => ({
    re: new RegExp(`^${r.config.path.split(/\{[A-Za-z][A-Za-z0-9_]*\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}$`),
    methods: r.config.methods,
  }));
  return (url) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const allowed = new Set<string>();
    for (const p of patterns) if (p.re.test(path)) for (const m of p.methods) allowed.add(m);
    if (allowed.size > 0 && cors) allowed.add('OPTIONS');
    return [...allowed].sort();
  };
}
