/**
 * Forward phase: send the checked request to a target, failing over while that is safe, and
 * hand the answer to the respond phase by its kind.
 *
 * - The body sent is the re-serialised parsed JSON (or the exact rebuilt body of a non-JSON
 *   route): the model server parses exactly what modelgate validated (no parser differentials
 *   such as duplicate keys or lone escapes).
 * - The upstream request is aborted when the client's connection closes (`ctx.clientGone`) and at
 *   the shutdown deadline (`ctx.stop`): an answer not started yet is then 503 MG_SHUTTING_DOWN,
 *   a stream ends with a MG_SHUTTING_DOWN event (sse-relay.ts), a piped body is cut.
 * - Respond, by the answer's kind: non-2xx → upstream-error.ts (nothing of the upstream's body
 *   leaks); `text/event-stream` → sse-relay.ts; a JSON answer of an OpenAI route, or any answer
 *   on a route with output protection → body-relay.ts buffered (bounded by
 *   `upstreams.*.maxResponseBytes`); anything else → body-relay.ts piped.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { deny } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Protocol } from '../config/types.js';
import type { Target, UpstreamTargets } from './targets.js';
import { denialFor, errCode, errorResult, failureKind, mayTryNext, statusResult } from './failure.js';
import { upstreamFailed, type ForwardHooks } from './forward-hooks.js';
import { relayStream } from './sse-relay.js';
import { relayBuffered, relayPiped } from './body-relay.js';
import { respondUpstreamError } from './upstream-error.js';

export type { ForwardHooks } from './forward-hooks.js';

/** server.timeouts.send when the hooks name none. */
const DEFAULT_SEND_TIMEOUT_MS = 30_000;

/** Routes whose JSON answers carry generated text and usage: held whole (bounded) to read them. */
const OPENAI: ReadonlySet<Protocol> = new Set(['openai-chat', 'openai-completions', 'openai-embeddings']);

/**
 * The upstream request's abort signal in the EventEmitter shape undici's `signal` option also
 * accepts (`on`/`once`/`removeListener`, `aborted`, `reason`). A new AbortController per request,
 * and undici's two EventTarget listeners on its signal, showed in the hot-path profile
 * (docs/benchmarks.md); this is a plain object and a small array. Aborting gives the same reason
 * an AbortController would (an AbortError DOMException), made only when it happens.
 */
class UpstreamAbort {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  on(_event: 'abort', fn: () => void): this {
    this.listeners.push(fn);
    return this;
  }

  once(event: 'abort', fn: () => void): this {
    return this.on(event, fn);
  }

  removeListener(_event: 'abort', fn: () => void): this {
    const i = this.listeners.indexOf(fn);
    if (i >= 0) this.listeners.splice(i, 1);
    return this;
  }

  readonly abort = (): void => {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException('This operation was aborted', 'AbortError');
    const ls = this.listeners;
    this.listeners = [];
    for (const fn of ls) fn();
  };
}

/** A signal that fires when the client leaves or the shutdown deadline passes; detach() when done. */
function upstreamSignal(ctx: RequestContext): { signal: UpstreamAbort; detach(): void } {
  const signal = new UpstreamAbort();
  const abort = signal.abort;
  if (ctx.clientGone.aborted || ctx.stop.aborted) abort();
  ctx.clientGone.addEventListener('abort', abort, { once: true });
  ctx.stop.addEventListener('abort', abort, { once: true });
  return {
    signal,
    detach() {
      ctx.clientGone.removeEventListener('abort', abort);
      ctx.stop.removeEventListener('abort', abort);
    },
  };
}

function attempt(target: Target, ctx: RequestContext, payload: string | Buffer | null, headers: Record<string, string>, path: string, signal: UpstreamAbort): Promise<Dispatcher.ResponseData> {
  // undici's types name only its own EventEmitter/AbortSignal; at run time it takes any object with on/once/removeListener.
  return target.pool.request({ method: ctx.method as Dispatcher.HttpMethod, path, headers, body: payload, signal: signal as unknown as AbortSignal });
}

/**
 * The first target that answers (any status), trying the next only when the request never left:
 * a target refused the connection, or was skipped because it no longer takes traffic (ejected
 * while this request waited, or its half-open trial taken by another request). Every attempt's
 * outcome goes to the target's breaker. No target left to try at all: 503 MG_UPSTREAM_UNAVAILABLE
 * (the request never reached a model server, so settle refunds its reservation).
 */
async function send(ctx: RequestContext, res: ServerResponse, upstream: UpstreamTargets, path: string, headers: Record<string, string>, hooks: ForwardHooks, signal: UpstreamAbort): Promise<Dispatcher.ResponseData | null> {
  const fwd = ctx.forward;
  const payload = fwd !== null ? fwd.body : ctx.body === undefined ? null : JSON.stringify(ctx.body);
  if (fwd !== null) headers = { ...headers, ...fwd.headers, 'content-type': fwd.contentType };
  let lastCode: string | null = null;
  for (const target of upstream.order()) {
    const ticket = upstream.acquire(target);
    if (ticket === null) continue;
    try {
      const data = await attempt(target, ctx, payload, headers, path, signal);
      upstream.finish(ticket, statusResult(data.statusCode));
      return data;
    } catch (err) {
      if (ctx.clientGone.aborted || ctx.stop.aborted) upstream.finish(ticket, 'cancelled');
      if (ctx.clientGone.aborted) return null; // the client left; nothing to answer
      if (ctx.stop.aborted) {
        hooks.sendDenial(ctx, res, deny('MG_SHUTTING_DOWN', 'shutdown deadline'));
        return null;
      }
      lastCode = errCode(err);
      upstream.finish(ticket, errorResult(lastCode));
      upstreamFailed(hooks, ctx, failureKind(lastCode), { code: lastCode, target: target.origin });
      if (!mayTryNext(lastCode)) break;
    }
  }
  hooks.sendDenial(ctx, res, lastCode === null ? upstream.unavailable() : denialFor(lastCode));
  return null;
}

export async function forward(
  ctx: RequestContext,
  res: ServerResponse,
  upstream: UpstreamTargets,
  path: string,
  headers: Record<string, string>,
  hooks: ForwardHooks,
): Promise<void> {
  if (ctx.stop.aborted) return hooks.sendDenial(ctx, res, deny('MG_SHUTTING_DOWN', 'shutdown deadline'));
  const abort = upstreamSignal(ctx);
  try {
    const data = await send(ctx, res, upstream, path, headers, hooks, abort.signal);
    if (data === null) return;
    const status = data.statusCode;
    ctx.outcome.reached = true;
    ctx.outcome.status = status;
    if (status < 200 || status >= 300) return await respondUpstreamError(ctx, res, data, hooks);
    const sendTimeoutMs = hooks.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    const ct = data.headers['content-type'];
    const type = typeof ct === 'string' ? ct : '';
    if (type.startsWith('text/event-stream')) return await relayStream(ctx, res, data, hooks, sendTimeoutMs);
    if (ctx.output !== null || (OPENAI.has(ctx.route.protocol) && type.startsWith('application/json'))) {
      return await relayBuffered(ctx, res, data, hooks, upstream.config.maxResponseBytes, sendTimeoutMs);
    }
    return await relayPiped(ctx, res, data, hooks, sendTimeoutMs);
  } finally {
    abort.detach();
  }
}
