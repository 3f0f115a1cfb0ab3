/**
 * Prompt-injection detection (inspect phase), over every text a model will read: every message
 * of every role (system, user, assistant, tool), text inside content parts, tool-call arguments,
 * completion prompts. Two layers, either of which can flag a text:
 *   - patterns: the weighted regex rules (detectors/injection/detector.ts), at their default
 *     threshold;
 *   - learned: the n-gram logistic regression (detectors/injection/learned.ts); `threshold`
 *     (default 0.5, its calibrated 2%-false-positive point on held-out sources) applies to its score.
 * Each text is scanned as sent and in its decoded views (decode.ts: URL, base64/hex blobs,
 * HTML entities, leetspeak, ROT13/reversed on request), and the short texts of a request are
 * also scanned joined together, so a payload split across messages is read whole.
 * `block` refuses with the same body as any other invalid input (MG_INPUT_REJECTED, "Invalid
 * input"), so a client learns nothing about which layer fired; `flag` lets the request through,
 * counted and logged (the injection.detected event). Scores go to the debug log, never the text.
 * With `external` (src/policies/external-detector.ts), a request the local layers let through is
 * also put to the external detector; flagged by either → the action; the service failing → its
 * fail mode (503 MG_INPUT_CHECK_UNAVAILABLE or pass). `debugHeader` (testing only) sends the
 * highest score in X-Modelgate-Injection-Score.
 */
import { deny, isDenial } from '../errors.js';
import type { InjectionAction, InjectionLayer } from '../config/types.js';
import type { Policy, PolicyResult } from '../pipeline/policy.js';
import { requestRef, type Emitter } from '../observability/events.js';
import type { ExternalInspection } from './external-detector.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ScanOffload } from '../workers/scan-pool.js';
import { createInjectionDetector } from '../detectors/injection/index.js';
import { decodedViews } from '../detectors/injection/decode.js';
import { sharedLearnedScorer } from '../detectors/injection/learned.js';

export const DEFAULT_LEARNED_THRESHOLD = 0.5;
export const ALL_LAYERS: readonly InjectionLayer[] = ['patterns', 'learned'];
/** Texts at most this long are also scanned joined (payload splitting across messages). */
const JOIN_MAX_TEXT = 2048;
/** The joined view is at most this long. */
const JOIN_MAX_TOTAL = 32 * 1024;

export interface InjectionVerdict {
  detected: boolean;
  /** Highest learned-layer score over all texts and views (0 when that layer is off). */
  score: number;
  families: string[];
}

/** The scanning itself, without the pipeline: used by the policy, tests and benchmarks. */
export function createInjectionScanner(threshold: number | null, layers: readonly InjectionLayer[] = ALL_LAYERS): (texts: readonly string[]) => InjectionVerdict {
  const t = threshold ?? DEFAULT_LEARNED_THRESHOLD;
  if (!(t > 0 && t < 1)) throw new RangeError(`injection threshold must be in (0, 1), got ${t}`);
  const patterns = layers.includes('patterns') ? createInjectionDetector() : null;
  const learned = layers.includes('learned') ? sharedLearnedScorer() : null;
  return function scanTexts(texts) {
    const views: string[] = [];
    for (const text of texts) views.push(text, ...decodedViews(text));
    if (texts.length > 1) {
      const short = texts.filter((x) => x.length <= JOIN_MAX_TEXT).join('\n').slice(0, JOIN_MAX_TOTAL);
      if (short.length > 0) views.push(short, ...decodedViews(short));
    }
    let score = 0;
    const families = new Set<string>();
    for (const v of views) {
      if (patterns !== null) {
        const r = patterns.scan(v);
        if (r.detected) for (const f of r.findings) families.add(f.family);
      }
      if (learned !== null) {
        const s = learned.score(v);
        if (s > score) score = s;
        if (s >= t) families.add('learned');
      }
      if (families.size > 0 && learned === null) break;
    }
    return { detected: families.size > 0, score, families: [...families] };
  };
}

export interface InjectionExtras {
  external?: ExternalInspection | null;
  debugHeader?: boolean;
  /** The score of a request the sink does not report (not flagged locally), with the external verdict if asked (debug log). */
  scored?: (ctx: RequestContext, score: number | undefined, external: { flagged: boolean; cached: boolean } | null) => void;
  /** Where large requests are scanned off the event loop (src/workers/scan-pool.ts). */
  offload?: ScanOffload;
}

export const INJECTION_SCORE_HEADER = 'x-modelgate-injection-score';

export function injectionPolicy(
  action: InjectionAction,
  threshold: number | null,
  events: Emitter,
  onError: 'fail-closed' | 'fail-open' = 'fail-closed',
  layers: readonly InjectionLayer[] = ALL_LAYERS,
  extras: InjectionExtras = {},
): Policy {
  const scan = createInjectionScanner(threshold, layers);
  const external = extras.external ?? null;
  /** A score exists when the learned layer ran or the external detector answered. */
  const learnedOn = layers.includes('learned');
  function verdict(ctx: RequestContext, detected: boolean, families: string[], score: number | undefined): PolicyResult {
    if (extras.debugHeader === true) ctx.responseHeaders[INJECTION_SCORE_HEADER] = (score ?? 0).toFixed(3);
    if (!detected) return undefined;
    events.emit({ type: 'injection.detected', ...requestRef(ctx), families, action, score });
    if (action === 'block') return deny('MG_INPUT_REJECTED', `injection: ${families.join(',')}`);
    ctx.flags.push('injection');
    return undefined;
  }
  return {
    name: 'injection',
    phase: 'inspect',
    onError,
    run: function injection(ctx) {
      const texts = ctx.inspection?.texts ?? [];
      if (texts.length === 0) return undefined;
      // Large requests are scanned in a worker thread (src/workers/scan-pool.ts), the rest here.
      const offload = extras.offload;
      if (offload?.takes(texts) === true) return offload.scan(texts, threshold, layers, ctx.clientGone).then((v) => judge(ctx, v));
      return judge(ctx, scan(texts));
    },
  };

  /** The local verdict, then (when it is clean) the external detector's. */
  function judge(ctx: RequestContext, v: InjectionVerdict): PolicyResult | Promise<PolicyResult> {
    const local = learnedOn ? v.score : undefined;
    if (v.detected) return verdict(ctx, true, v.families, local);
    if (external === null) {
      extras.scored?.(ctx, local, null);
      return verdict(ctx, false, v.families, local);
    }
    return external(ctx).then((x) => {
      if (isDenial(x)) return x;
      const score = Math.max(local ?? 0, x.score);
      extras.scored?.(ctx, score, { flagged: x.flagged, cached: x.cached });
      return verdict(ctx, x.flagged, ['external'], score);
    });
  }
}
