/**
 * Forward and respond: send the checked request to a target and relay the answer.
 *
 * - The body sent is the re-serialised parsed JSON: the model server parses exactly what
 *   modelgate validated (no parser differentials such as duplicate keys or lone escapes).
 * - `text/event-stream` responses are relayed chunk by chunk as they arrive, with back-pressure;
 *   a failure mid-stream ends the stream with an OpenAI-shaped error event.
 * - Other responses are read whole (bounded) and sent with a recomputed Content-Length, so a
 *   failure mid-body still becomes a clean 502.
 * - 5xx answers, and 401/403/407 (a gateway-to-server misconfiguration), never reach the client
 *   as they are: they become MG_UPSTREAM_ERROR; their bodies are not logged (they may echo
 *   prompts), only their status and length.
 * - A client that goes away aborts the upstream request.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { deny, errorBody, type Denial, type ErrorCode } from '../errors.js';
import { releaseGpu, type RequestContext } from '../pipeline/context.js';
import { clientHeaders } from './headers.js';
import { SseSplitter, type SseEvent } from '../protocols/sse.js';
import { chunkText, isUsageOnlyChunk, usageOf } from '../protocols/openai/usage.js';
import type { Target, UpstreamTargets } from './targets.js';
import type { OutputFilter } from '../protocols/openai/output.js';

/** Bound on a non-streamed response body held in memory. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface ForwardHooks {
  /** Write an error response (status, code) for a request whose response has not started. */
  sendDenial(ctx: RequestContext, res: ServerResponse, denial: Denial): void;
  upstreamFailed(ctx: RequestContext, kind: string, detail: Record<string, unknown>): void;
  /** Headers every response carries (request id, CORS, HSTS). */
  baseHeaders(ctx: RequestContext): Record<string, string>;
  /** The output filter threw; `failOpen` tells whether the response went on unfiltered. */
  outputFailed(ctx: RequestContext, err: unknown, failOpen: boolean): void;
}

function errCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return (err as Error).name ?? 'Error';
}

function denialFor(code: string): Denial {
  if (TIMEOUTS.has(code)) return deny('MG_UPSTREAM_TIMEOUT', code);
  if (UNREACHABLE.has(code)) return deny('MG_UPSTREAM_UNREACHABLE', code);
  return deny('MG_UPSTREAM_ERROR', code);
}

function sseError(requestId: string, code: ErrorCode = 'MG_UPSTREAM_ERROR'): string {
  return `data: ${errorBody(code, requestId)}\n\n`;
}

/** The whole (bounded) body; events rather than an async iterator, which cost more per chunk. */
function readAll(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        body.destroy();
        reject(Object.assign(new Error('response too large'), { code: 'MG_RESPONSE_TOO_LARGE' }));
        return;
      }
      chunks.push(chunk);
    });
    body.on('end', () => resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)));
    body.on('error', reject);
  });
}

/** Generated text kept from a stream for counting when no usage arrives. */
const MAX_STREAMED_TEXT = 1024 * 1024;

/** observeEvent's answer for an event the client does not see. */
const HIDDEN = Symbol('hidden');
/** observeEvent's answer for an event that is not JSON. */
const NOT_JSON = Symbol('not JSON');

/**
 * Look at one complete SSE event on its way to the client: note usage and generated text, and
 * decide whether the client sees it (the usage-only chunk modelgate asked for itself is removed).
 * Returns the parsed data (reused by the output filter), NOT_JSON, or HIDDEN.
 */
function observeEvent(ctx: RequestContext, ev: SseEvent): unknown {
  if (ev.data === null || ev.data === '[DONE]' || ev.data.charCodeAt(0) !== 0x7b) return NOT_JSON;
  let v: unknown;
  try { v = JSON.parse(ev.data); } catch { return NOT_JSON; }
  const o = ctx.outcome;
  const u = usageOf(v);
  if (u !== null) o.usage = u;
  if (o.streamedText.length < MAX_STREAMED_TEXT) o.streamedText += chunkText(v);
  return o.stripUsageChunk && isUsageOnlyChunk(v) ? HIDDEN : v;
}

/**
 * What the client sees of one event on a route with output protection: the event as it is, the
 * re-serialised filtered event, '' (nothing), or null when the response must be withheld.
 * `[DONE]` is preceded by whatever text the filters still hold. Throws on what it cannot filter.
 */
function filterEvent(filter: OutputFilter, ev: SseEvent, parsed: unknown): string | null {
  const data = ev.data;
  if (data === null) return ev.raw;
  if (data === '[DONE]') {
    const rest = filter.finish();
    if (rest === null) return null;
    return rest === '' ? ev.raw : `data: ${rest}\n\n${ev.raw}`;
  }
  const out = filter.event(data, parsed === NOT_JSON ? undefined : parsed);
  if (out === null) return null;
  return out === data ? ev.raw : `data: ${out}\n\n`;
}

function relayStream(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks): Promise<void> {
  res.writeHead(data.statusCode, { ...hooks.baseHeaders(ctx), ...clientHeaders(data.headers), 'cache-control': 'no-cache' });
  res.flushHeaders();
  const sse = new SseSplitter();
  let filter = ctx.output;
  return new Promise<void>((resolve) => {
    const body = data.body;
    let stopped = false;
    const stop = (last: string): void => {
      releaseGpu(ctx);
      if (stopped) return;
      stopped = true;
      if (!res.destroyed) res.end(last);
      body.destroy();
      resolve();
    };
    const fail = (err: unknown): void => {
      if (!res.destroyed) hooks.upstreamFailed(ctx, 'stream', { code: errCode(err) });
      stop(sseError(ctx.id));
    };
    const withheld = (): void => {
      ctx.denial = deny('MG_OUTPUT_BLOCKED', ctx.output?.leak ?? 'output match');
      stop(sseError(ctx.id, 'MG_OUTPUT_BLOCKED'));
    };
    /** The filter threw: withhold (fail-closed), or carry on unfiltered (fail-open). True = go on. */
    const filterFailed = (err: unknown): boolean => {
      const open = ctx.route.output?.onError === 'fail-open';
      hooks.outputFailed(ctx, err, open);
      if (open) {
        filter = null;
        return true;
      }
      ctx.denial = deny('MG_OUTPUT_CHECK_FAILED', (err as Error)?.message);
      stop(sseError(ctx.id, 'MG_OUTPUT_CHECK_FAILED'));
      return false;
    };
    body.on('data', (chunk: Buffer) => {
      if (stopped) return; // data already read from the socket before the destroy took effect
      let events: SseEvent[];
      try { events = sse.push(chunk); } catch (err) { return fail(err); }
      let out = '';
      for (const ev of events) {
        const parsed = observeEvent(ctx, ev);
        if (parsed === HIDDEN) continue;
        if (filter === null) { out += ev.raw; continue; }
        let shown: string | null;
        try { shown = filterEvent(filter, ev, parsed); } catch (err) {
          if (!filterFailed(err)) return;
          shown = ev.raw;
        }
        if (shown === null) {
          if (out.length > 0) res.write(out);
          return withheld();
        }
        out += shown;
      }
      if (out.length > 0 && !res.write(out)) body.pause();
    });
    res.on('drain', () => body.resume());
    body.on('end', () => {
      releaseGpu(ctx);
      if (stopped) return;
      if (filter === null) return stop(sse.rest());
      // An unterminated last event is not an event (clients discard it); held text is released.
      let rest: string | null;
      try { rest = filter.finish(); } catch (err) {
        if (!filterFailed(err)) return;
        rest = '';
      }
      if (rest === null) return withheld();
      stop(rest === '' ? '' : `data: ${rest}\n\n`);
    });
    body.on('error', fail);
  });
}

/** Filter a whole response body (routes with output protection). Returns what to send, or null when answered already. */
function filterBody(ctx: RequestContext, res: ServerResponse, filter: OutputFilter, body: Buffer, json: boolean, hooks: ForwardHooks, parsed: unknown): Buffer | null {
  let out: Buffer | null;
  try {
    if (!json && ctx.outcome.status < 300) throw new Error('response is not JSON');
    out = filter.json(body, json && ctx.outcome.status < 300, parsed);
  } catch (err) {
    const open = ctx.route.output?.onError === 'fail-open';
    hooks.outputFailed(ctx, err, open);
    if (open) return body;
    hooks.sendDenial(ctx, res, deny('MG_OUTPUT_CHECK_FAILED', (err as Error)?.message));
    return null;
  }
  if (out === null) hooks.sendDenial(ctx, res, deny('MG_OUTPUT_BLOCKED', filter.leak ?? 'output match'));
  return out;
}

async function attempt(target: Target, ctx: RequestContext, payload: string | Buffer | null, headers: Record<string, string>, path: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return target.pool.request({
    method: ctx.method as Dispatcher.HttpMethod,
    path,
    headers,
    body: payload,
    signal,
  });
}

export async function forward(
  ctx: RequestContext,
  res: ServerResponse,
  upstream: UpstreamTargets,
  path: string,
  headers: Record<string, string>,
  hooks: ForwardHooks,
): Promise<void> {
  // ctx.clientGone aborts when the client's connection closes: the upstream request goes with it.
  const abort = { signal: ctx.clientGone };
  const fwd = ctx.forward;
  const payload = fwd !== null ? fwd.body : ctx.body === undefined ? null : JSON.stringify(ctx.body);
  if (fwd !== null) headers = { ...headers, ...fwd.headers, 'content-type': fwd.contentType };
  let data: Dispatcher.ResponseData | null = null;
  let lastCode = 'none';
  for (const target of upstream.order()) {
    try {
      data = await attempt(target, ctx, payload, headers, path, abort.signal);
      break;
    } catch (err) {
      if (abort.signal.aborted) return; // the client left; nothing to answer
      lastCode = errCode(err);
      hooks.upstreamFailed(ctx, UNREACHABLE.has(lastCode) ? 'unreachable' : TIMEOUTS.has(lastCode) ? 'timeout' : 'error', { code: lastCode, target: target.origin });
      if (!UNREACHABLE.has(lastCode) || lastCode === 'UND_ERR_CONNECT_TIMEOUT') break;
    }
  }
  if (data === null) return hooks.sendDenial(ctx, res, denialFor(lastCode));

  const status = data.statusCode;
  ctx.outcome.reached = true;
  ctx.outcome.status = status;
  if (status >= 500 || status === 401 || status === 403 || status === 407) {
    let length = 0;
    try { length = (await readAll(data.body)).length; } catch { /* the status says enough */ }
    releaseGpu(ctx);
    hooks.upstreamFailed(ctx, 'status', { status, bodyLength: length });
    return hooks.sendDenial(ctx, res, deny('MG_UPSTREAM_ERROR', `upstream status ${status}`));
  }
  const ct = data.headers['content-type'];
  if (typeof ct === 'string' && ct.startsWith('text/event-stream')) return relayStream(ctx, res, data, hooks);

  let body: Buffer;
  try {
    body = await readAll(data.body);
    releaseGpu(ctx);
  } catch (err) {
    if (abort.signal.aborted) return;
    const code = errCode(err);
    hooks.upstreamFailed(ctx, 'body', { code });
    return hooks.sendDenial(ctx, res, denialFor(code));
  }
  const json = typeof ct === 'string' && ct.startsWith('application/json');
  let parsed: unknown;
  if (status < 300 && json) {
    try {
      parsed = JSON.parse(body.toString('utf8'));
      ctx.outcome.usage = usageOf(parsed);
    } catch { /* not JSON after all: nothing to reconcile from (the output filter refuses it) */ }
  }
  if (ctx.output !== null) {
    const filtered = filterBody(ctx, res, ctx.output, body, json, hooks, parsed);
    if (filtered === null) return;
    body = filtered;
  }
  res.writeHead(status, { ...hooks.baseHeaders(ctx), ...clientHeaders(data.headers), 'content-length': String(body.length) });
  res.end(body);
}
