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
 * also scanned joined together (in windows when long: joinedWindows), so a payload split across
 * messages is read whole. What the same API key sent before is answered from the policy's cache
 * (createScanCache) and only new text is decoded and scanned — on the loop, or in the worker pool
 * when it is large.
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
import { ScopedTextCache, type Known } from '../util/scoped-cache.js';

export const DEFAULT_LEARNED_THRESHOLD = 0.5;
export const ALL_LAYERS: readonly InjectionLayer[] = ['patterns', 'learned'];
/** Texts at most this long are also scanned joined (payload splitting across messages). */
const JOIN_MAX_TEXT = 2048;
/** The joined view is at most this long. */
const JOIN_MAX_TOTAL = 32 * 1024;
/** A longer joined view is scanned in windows of this many characters … */
export const JOIN_WINDOW = 4096;
/** … each overlapping the next by this many, so that every stretch this long lies whole in one window. */
export const JOIN_OVERLAP = 1024;
const JOIN_STRIDE = JOIN_WINDOW - JOIN_OVERLAP;

export interface InjectionVerdict {
  detected: boolean;
  /** Highest learned-layer score over all texts and views (0 when that layer is off). */
  score: number;
  families: string[];
}

/** What one view of a text scores: the pattern families that fired, and the learned score. */
export interface ViewResult {
  readonly families: readonly string[];
  /** The learned layer's score (0 when that layer is off). */
  readonly score: number;
}

/** Sources remembered per policy (the scope, a 44-character digest and a few small results each: about 2 MB). */
export const SCAN_CACHE_ENTRIES = 4096;

/** The results of a source's views (sourceViews order): what the cache keeps and a thread returns. */
export type SourceResult = readonly ViewResult[];

/**
 * The policy's memory of sources already scanned (src/util/scoped-cache.ts), per API key: a chat
 * client resends its system prompt and the conversation so far with every turn, and each of
 * those texts (and each settled window of the joined view) is scanned once, not once per turn.
 */
export const createScanCache = (): ScopedTextCache<SourceResult> => new ScopedTextCache<SourceResult>(SCAN_CACHE_ENTRIES);

export interface ScannerOptions {
  /** Remember source results (the policy's scanner; tests and benchmarks scan uncached). */
  cache?: ScopedTextCache<SourceResult>;
}

export type InjectionScanner = (texts: readonly string[], scope?: string) => InjectionVerdict;
export type SourceScanner = (source: string) => SourceResult;

/**
 * What is scanned of a request, before decoding: each text, and the windows of the joined short
 * texts. Cheap (a join and slices): the event loop builds and hashes these; decoding (each
 * source's views) is part of the scan, in a thread when the new sources are large.
 */
export function injectionSources(texts: readonly string[]): string[] {
  const sources = [...texts];
  if (texts.length > 1) {
    const short = texts.filter((x) => x.length <= JOIN_MAX_TEXT);
    // One short text joined with nothing is that text again, already a source.
    if (short.length > 1) sources.push(...joinedWindows(short));
  }
  return sources;
}

/** A source and its decoded views (decode.ts), in the order they are scanned. */
const sourceViews = (source: string): string[] => [source, ...decodedViews(source)];

const NO_FAMILIES: readonly string[] = [];

/** Both layers (those in `layers`) over each of a source's views (sourceViews order), already decoded. */
export function createViewScanner(layers: readonly InjectionLayer[] = ALL_LAYERS): (views: readonly string[]) => SourceResult {
  const patterns = layers.includes('patterns') ? createInjectionDetector() : null;
  const learned = layers.includes('learned') ? sharedLearnedScorer() : null;
  const scanView = (v: string): ViewResult => {
    let families = NO_FAMILIES;
    if (patterns !== null) {
      const r = patterns.scan(v);
      if (r.detected) families = r.findings.map((f) => f.family);
    }
    return { families, score: learned === null ? 0 : learned.score(v) };
  };
  return (views) => views.map(scanView);
}

/** Both layers (those in `layers`) over each view of a source; the threshold is applied later (verdictOf). */
export function createSourceScanner(layers: readonly InjectionLayer[] = ALL_LAYERS): SourceScanner {
  const scanViews = createViewScanner(layers);
  return (source) => scanViews(sourceViews(source));
}

function checkedThreshold(threshold: number | null): number {
  const t = threshold ?? DEFAULT_LEARNED_THRESHOLD;
  if (!(t > 0 && t < 1)) throw new RangeError(`injection threshold must be in (0, 1), got ${t}`);
  return t;
}

/**
 * The verdict over `n` sources in order, `resultAt(i)` asked for each as it is reached: flagged by
 * a pattern family or a learned score at or above `t`, view by view. Without the learned layer,
 * views after the first flagged one do not count, and later sources are not asked for.
 */
function verdictOf(n: number, resultAt: (i: number) => SourceResult, t: number, learnedOn: boolean): InjectionVerdict {
  let score = 0;
  const families = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (const r of resultAt(i)) {
      for (const f of r.families) families.add(f);
      if (learnedOn) {
        if (r.score > score) score = r.score;
        if (r.score >= t) families.add('learned');
      } else if (families.size > 0) {
        return { detected: true, score, families: [...families] };
      }
    }
  }
  return { detected: families.size > 0, score, families: [...families] };
}

/**
 * The verdict over a request's sources, each scanned only when the verdict reaches it and the
 * cache (`known`: what this scope sent before) has no result for it; a new result is remembered.
 */
function scanVerdict(sources: readonly string[], known: Known<SourceResult> | null, scan: SourceScanner, t: number, learnedOn: boolean): InjectionVerdict {
  const fresh = (i: number): SourceResult => scan(sources[i] as string);
  return verdictOf(sources.length, known === null ? fresh : (i) => known.results[i] ?? known.remember(i, fresh(i)), t, learnedOn);
}

/** The verdict over every source's results (sources in injectionSources order), as the scanner gives it. */
export function combineSources(results: readonly SourceResult[], threshold: number | null, layers: readonly InjectionLayer[] = ALL_LAYERS): InjectionVerdict {
  return verdictOf(results.length, (i) => results[i] as SourceResult, checkedThreshold(threshold), layers.includes('learned'));
}

/** The scanning itself, without the pipeline: used by the policy, tests and benchmarks. */
export function createInjectionScanner(threshold: number | null, layers: readonly InjectionLayer[] = ALL_LAYERS, opts: ScannerOptions = {}): InjectionScanner {
  const t = checkedThreshold(threshold);
  const scan = createSourceScanner(layers);
  const learnedOn = layers.includes('learned');
  const cache = opts.cache ?? null;
  return function scanTexts(texts, scope = '') {
    const sources = injectionSources(texts);
    return scanVerdict(sources, cache === null ? null : cache.lookupAll(scope, sources), scan, t, learnedOn);
  };
}

/**
 * The joined view of the short texts (a payload split across messages is read whole), at most
 * JOIN_MAX_TOTAL characters: whole up to JOIN_WINDOW, beyond that in windows of JOIN_WINDOW
 * overlapping by JOIN_OVERLAP, so every stretch of up to JOIN_OVERLAP characters lies whole in
 * one window (the windows add up to 4/3 of the joined text). They sit at fixed offsets from the
 * start: a conversation only grows at its end, so on the next turn every window but the last ones
 * is the same text again (a cache hit), where one joined string would be new, and scanned whole,
 * on every turn.
 */
export function joinedWindows(short: readonly string[]): string[] {
  const joined = short.join('\n').slice(0, JOIN_MAX_TOTAL);
  if (joined.length <= JOIN_WINDOW) return [joined];
  const out: string[] = [];
  for (let at = 0; ; at += JOIN_STRIDE) {
    out.push(joined.slice(at, at + JOIN_WINDOW));
    if (at + JOIN_WINDOW >= joined.length) return out;
  }
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
  const t = checkedThreshold(threshold);
  const scanViews = createViewScanner(layers);
  const scan: SourceScanner = (source) => scanViews(sourceViews(source));
  const cache = createScanCache();
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
      const scope = ctx.identity === null ? `ip:${ctx.ip}` : `key:${ctx.identity.keyId}`;
      const sources = injectionSources(texts);
      // What this caller sent before (the system prompt, the earlier turns) is known already.
      const known = cache.lookupAll(scope, sources);
      // Large new text is decoded and scanned in a worker thread (src/workers/scan-pool.ts), the rest here.
      const offload = extras.offload;
      if (offload !== undefined) {
        const missing: number[] = [];
        known.results.forEach((r, i) => { if (r === undefined) missing.push(i); });
        const missed = missing.map((i) => sources[i] as string);
        // What is scanned is each source and its decoded views, so that is what is weighed: a
        // prompt under the threshold that is encoded throughout (entities, percent-runs,
        // leetspeak, and asking for ROT13 and reversal) has up to six views as long as itself,
        // seven times the scan. Decoding a text that would be scanned here anyway is cheap
        // (tens of µs per 4 KB); a thread decodes again from the sources.
        if (!offload.takes(missed)) {
          const views = missed.map(sourceViews);
          if (!offload.takes(views.flat())) {
            // Scanned here, from the views just decoded (a source may occur twice: same views).
            const viewsOf = new Map(missed.map((m, j) => [m, views[j] as string[]]));
            return judge(ctx, scanVerdict(sources, known, (source) => scanViews(viewsOf.get(source) ?? sourceViews(source)), t, learnedOn));
          }
        }
        return offload.scanSources(missed, layers, ctx.clientGone).then((found) => {
          found.forEach((r, j) => known.remember(missing[j] as number, r));
          return judge(ctx, scanVerdict(sources, known, scan, t, learnedOn));
        });
      }
      return judge(ctx, scanVerdict(sources, known, scan, t, learnedOn));
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
