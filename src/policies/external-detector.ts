/**
 * The external prompt-injection detector hook (`routes[].injection.external`): a
 * Lakera-Guard-compatible service, or a generic JSON webhook, asked about the messages of a
 * request the local layers let through. Its verdict is combined with ours in
 * src/policies/injection.ts (flagged by either → the route's action).
 *
 *   lakera-v2: POST {messages: [{role, content}]} → {flagged: boolean, …}
 *   generic:   POST {messages: [{role, content}]} → {flagged: boolean, score?: number in [0, 1]}
 *
 * Verdicts are cached for `cacheTtl` by the SHA-256 of the messages (lru-cache, bounded by
 * `cacheSize`), and concurrent requests with the same messages share one call (lru-cache's
 * fetch: a second fetch of a key in flight gets the same promise). Only verdicts are cached,
 * never failures. A call that takes longer than `timeout` is aborted (AbortSignal): a slow
 * service, like one that is down, answers 5xx or something that is not the expected JSON, is
 * a failure, and the route's `onError` decides: fail-open forwards, fail-closed refuses with
 * 503 MG_INPUT_CHECK_UNAVAILABLE. Reported as injection.external-* events on the telemetry bus
 * (src/observability/events.ts): counted, logged, and audited when a request goes on unchecked.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Agent, request, type Dispatcher } from 'undici';
import type { ExternalDetectorConfig } from '../config/injection.js';
import type { RequestContext } from '../pipeline/context.js';
import { deny, type Denial } from '../errors.js';
import { NO_EVENTS, requestRef, type Emitter, type ExternalFailureReason } from '../observability/events.js';

export interface GuardMessage { role: string; content: string }

export interface ExternalVerdict {
  flagged: boolean;
  /** The service's score (generic format), else 1 when flagged and 0 when not. */
  score: number;
}

export class ExternalDetectorError extends Error {
  readonly reason: ExternalFailureReason;
  constructor(reason: ExternalFailureReason, message: string) {
    super(message);
    this.name = 'ExternalDetectorError';
    this.reason = reason;
  }
}

/** Largest answer read from the service (a verdict is a few hundred bytes; Lakera's breakdown a few KB). */
const MAX_ANSWER_BYTES = 256 * 1024;
/** Retry-After of MG_INPUT_CHECK_UNAVAILABLE, in seconds. */
export const INPUT_CHECK_RETRY_AFTER = '2';

export interface ExternalDetectorOptions {
  /** Where calls and cache hits are reported; default nowhere. */
  events?: Emitter;
  /** The cache's clock (ms), for tests; default performance.now. */
  now?: () => number;
  /** The HTTP dispatcher; default an Agent of the detector's own (closed by close()). */
  dispatcher?: Dispatcher;
}

export interface ExternalDetector {
  /** The verdict on these messages; rejects with ExternalDetectorError when there is none. */
  check(messages: readonly GuardMessage[]): Promise<ExternalVerdict & { cached: boolean }>;
  close(): Promise<void>;
}

/** Lakera Guard knows system, user and assistant; a tool result is data from outside, read as user input. */
function lakeraRole(role: string): string {
  if (role === 'system' || role === 'developer') return 'system';
  if (role === 'assistant') return 'assistant';
  return 'user';
}

function parseVerdict(text: string, format: ExternalDetectorConfig['format']): ExternalVerdict {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ExternalDetectorError('bad-response', 'answer is not JSON');
  }
  const o = v as { flagged?: unknown; score?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.flagged !== 'boolean') throw new ExternalDetectorError('bad-response', 'answer has no boolean "flagged"');
  let score = o.flagged ? 1 : 0;
  if (format === 'generic' && o.score !== undefined) {
    if (typeof o.score !== 'number' || !(o.score >= 0 && o.score <= 1)) throw new ExternalDetectorError('bad-response', '"score" is not a number in [0, 1]');
    score = o.score;
  }
  return { flagged: o.flagged, score };
}

async function readAnswer(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      body.on('error', () => undefined).destroy();
      throw new ExternalDetectorError('bad-response', `answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createExternalDetector(cfg: ExternalDetectorConfig, opts: ExternalDetectorOptions = {}): ExternalDetector {
  const events = opts.events ?? NO_EVENTS;
  const own = opts.dispatcher === undefined ? new Agent({ connect: { timeout: cfg.timeoutMs } }) : null;
  const dispatcher = opts.dispatcher ?? (own as Agent);
  const headers = { ...cfg.headers, 'content-type': 'application/json', accept: 'application/json' };
  const url = cfg.url.href;

  async function call(messages: readonly GuardMessage[], cancel?: AbortSignal): Promise<ExternalVerdict> {
    const sent = cfg.format === 'lakera-v2' ? messages.map((m) => ({ role: lakeraRole(m.role), content: m.content })) : messages;
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const signal = cancel === undefined ? timeout : AbortSignal.any([timeout, cancel]);
    const t0 = performance.now();
    try {
      const res = await request(url, { method: 'POST', headers, body: JSON.stringify({ messages: sent }), signal, dispatcher });
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump();
        throw new ExternalDetectorError('status', `status ${res.statusCode}`);
      }
      const verdict = parseVerdict(await readAnswer(res.body), cfg.format);
      events.emit({ type: 'injection.external-called', outcome: verdict.flagged ? 'flagged' : 'clean', seconds: (performance.now() - t0) / 1000 });
      return verdict;
    } catch (err) {
      events.emit({ type: 'injection.external-called', outcome: 'error', seconds: (performance.now() - t0) / 1000 });
      if (err instanceof ExternalDetectorError) throw err;
      if (timeout.aborted) throw new ExternalDetectorError('timeout', `no answer within ${cfg.timeoutMs} ms`);
      throw new ExternalDetectorError('unreachable', (err as Error)?.message ?? 'request failed');
    }
  }

  const cache = cfg.cacheSize > 0 && cfg.cacheTtlMs > 0
    ? new LRUCache<string, ExternalVerdict, readonly GuardMessage[]>({
      max: cfg.cacheSize,
      ttl: cfg.cacheTtlMs,
      ttlResolution: 0,
      ...(opts.now === undefined ? {} : { perf: { now: opts.now } }),
      fetchMethod: (_key, _stale, { signal, context }) => call(context, signal),
    })
    : null;

  return {
    async check(messages) {
      if (cache === null) return { ...(await call(messages)), cached: false };
      const key = createHash('sha256').update(JSON.stringify(messages)).digest('base64');
      const status: LRUCache.Status<string, ExternalVerdict, readonly GuardMessage[]> = {};
      const v = await cache.fetch(key, { context: messages, status });
      const cached = status.fetch === 'hit' || status.fetch === 'inflight';
      if (cached) events.emit({ type: 'injection.external-cached' });
      if (v === undefined) throw new ExternalDetectorError('unreachable', 'no verdict');
      return { ...v, cached };
    },
    async close() {
      cache?.clear();
      await own?.close();
    },
  };
}

function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  const p = part as { type?: unknown; text?: unknown } | null;
  return typeof p?.text === 'string' ? p.text : '';
}

/**
 * The messages sent to the service. Chat requests: each message with its role, its content
 * (text parts joined) and its tool-call arguments. Other protocols: every text a model will
 * read (ctx.inspection.texts) as a user message.
 */
export function guardMessages(ctx: Pick<RequestContext, 'body' | 'inspection'>): GuardMessage[] {
  const msgs = (ctx.body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(msgs)) return (ctx.inspection?.texts ?? []).filter((t) => t.length > 0).map((content) => ({ role: 'user', content }));
  const out: GuardMessage[] = [];
  for (const m of msgs as Array<{ role?: unknown; content?: unknown; tool_calls?: unknown }>) {
    const parts: string[] = [];
    if (typeof m?.content === 'string') parts.push(m.content);
    else if (Array.isArray(m?.content)) for (const p of m.content) parts.push(partText(p));
    if (Array.isArray(m?.tool_calls)) {
      for (const c of m.tool_calls as Array<{ function?: { arguments?: unknown } }>) if (typeof c?.function?.arguments === 'string') parts.push(c.function.arguments);
    }
    const content = parts.filter((x) => x.length > 0).join('\n');
    if (content.length > 0) out.push({ role: typeof m?.role === 'string' ? m.role : 'user', content });
  }
  return out;
}

/** What the injection policy gets: a verdict, or a refusal (fail-closed), or a pass (fail-open: clean). */
export type ExternalInspection = (ctx: RequestContext) => Promise<(ExternalVerdict & { cached: boolean }) | Denial>;

/** The check with the route's fail mode applied (failures: the injection.external-failed event). */
export function externalInspection(detector: ExternalDetector, onError: 'fail-closed' | 'fail-open', events: Emitter = NO_EVENTS): ExternalInspection {
  return async function inspectExternal(ctx) {
    const messages = guardMessages(ctx);
    if (messages.length === 0) return { flagged: false, score: 0, cached: false };
    try {
      return await detector.check(messages);
    } catch (err) {
      const reason = err instanceof ExternalDetectorError ? err.reason : 'unreachable';
      events.emit({ type: 'injection.external-failed', ...requestRef(ctx), reason, failOpen: onError === 'fail-open' });
      if (onError === 'fail-open') return { flagged: false, score: 0, cached: false };
      return deny('MG_INPUT_CHECK_UNAVAILABLE', `external injection detector: ${reason}`, { 'retry-after': INPUT_CHECK_RETRY_AFTER });
    }
  };
}
