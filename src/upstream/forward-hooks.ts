/**
 * Forward and respond phases — what they need from the server around them (the public listener
 * fills these in): how to answer with a denial, the headers every response carries, the send
 * timeout, and the telemetry emitter their failures go to (src/observability/events.ts). The
 * functions below build those events from the request.
 */
import type { ServerResponse } from 'node:http';
import type { Denial } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import { errorMessage, requestRef, type Emitter, type EventOf } from '../observability/events.js';

export interface ForwardHooks {
  /** Write an error response (status, code) for a request whose response has not started. */
  sendDenial(ctx: RequestContext, res: ServerResponse, denial: Denial): void;
  /** Headers every response carries (request id, CORS, HSTS): a new object per call, which the caller may add to. */
  baseHeaders(ctx: RequestContext): Record<string, string>;
  /** `server.timeouts.send`: a client that accepts no bytes for this long is disconnected (default 30 s). */
  sendTimeoutMs?: number;
  /** upstream.failed, output.failed, client.cut. */
  events: Emitter;
}

/** The model server failed: `kind` is the metric's, `detail` codes, statuses and lengths for the log. */
export function upstreamFailed(hooks: ForwardHooks, ctx: RequestContext, kind: string, detail: EventOf<'upstream.failed'>['detail']): void {
  hooks.events.emit({ type: 'upstream.failed', ...requestRef(ctx), upstream: ctx.route.upstream, kind, detail });
}

/** The output filter threw; `failOpen` tells whether the response went on unfiltered. */
export function outputFailed(hooks: ForwardHooks, ctx: RequestContext, err: unknown, failOpen: boolean): void {
  hooks.events.emit({ type: 'output.failed', ...requestRef(ctx), failOpen, error: errorMessage(err) });
}

/** A client was disconnected for accepting no bytes for the send timeout. */
export function clientCut(hooks: ForwardHooks, ctx: RequestContext): void {
  hooks.events.emit({ type: 'client.cut', ...requestRef(ctx), reason: 'send-timeout' });
}
