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
import { deny, errorBody, type Denial } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import { clientHeaders } from './headers.js';
import { SseSplitter, type SseEvent } from '../protocols/sse.js';
import { chunkText, isUsageOnlyChunk, usageOf } from '../protocols/openai/usage.js';
import type { Target, UpstreamTargets } from './targets.js';

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

function sseError(requestId: string): string {
  return `data: ${errorBody('MG_UPSTREAM_ERROR', requestId)}\n\n`;
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

/**
 * Look at one complete SSE event on its way to the client: note usage and generated text, and
 * decide whether the client sees it (the usage-only chunk modelgate asked for itself is removed).
 */
function observeEvent(ctx: RequestContext, ev: SseEvent): boolean {
  if (ev.data === null || ev.data === '[DONE]' || ev.data.charCodeAt(0) !== 0x7b) return true;
  let v: unknown;
  try { v = JSON.parse(ev.data); } catch { return true; }
  const o = ctx.outcome;
  const u = usageOf(v);
  if (u !== null) o.usage = u;
  if (o.streamedText.length < MAX_STREAMED_TEXT) o.streamedText += chunkText(v);
  return !(o.stripUsageChunk && isUsageOnlyChunk(v));
}

function relayStream(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks): Promise<void> {
  res.writeHead(data.statusCode, { ...hooks.baseHeaders(ctx), ...clientHeaders(data.headers), 'cache-control': 'no-cache' });
  res.flushHeaders();
  const sse = new SseSplitter();
  return new Promise<void>((resolve) => {
    const body = data.body;
    const fail = (err: unknown): void => {
      if (!res.destroyed) {
        hooks.upstreamFailed(ctx, 'stream', { code: errCode(err) });
        res.end(sseError(ctx.id));
      }
      body.destroy();
      resolve();
    };
    body.on('data', (chunk: Buffer) => {
      let events: SseEvent[];
      try { events = sse.push(chunk); } catch (err) { return fail(err); }
      let out = '';
      for (const ev of events) if (observeEvent(ctx, ev)) out += ev.raw;
      if (out.length > 0 && !res.write(out)) body.pause();
    });
    res.on('drain', () => body.resume());
    body.on('end', () => { res.end(sse.rest()); resolve(); });
    body.on('error', fail);
  });
}

async function attempt(target: Target, ctx: RequestContext, payload: string | null, headers: Record<string, string>, path: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
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
  const payload = ctx.body === undefined ? null : JSON.stringify(ctx.body);
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
    hooks.upstreamFailed(ctx, 'status', { status, bodyLength: length });
    return hooks.sendDenial(ctx, res, deny('MG_UPSTREAM_ERROR', `upstream status ${status}`));
  }
  const ct = data.headers['content-type'];
  if (typeof ct === 'string' && ct.startsWith('text/event-stream')) return relayStream(ctx, res, data, hooks);

  let body: Buffer;
  try {
    body = await readAll(data.body);
  } catch (err) {
    if (abort.signal.aborted) return;
    const code = errCode(err);
    hooks.upstreamFailed(ctx, 'body', { code });
    return hooks.sendDenial(ctx, res, denialFor(code));
  }
  if (status < 300 && typeof ct === 'string' && ct.startsWith('application/json')) {
    try { ctx.outcome.usage = usageOf(JSON.parse(body.toString('utf8'))); } catch { /* not JSON after all: nothing to reconcile from */ }
  }
  res.writeHead(status, { ...hooks.baseHeaders(ctx), ...clientHeaders(data.headers), 'content-length': String(body.length) });
  res.end(body);
}
