/**
 * Forward and respond phases — what they need from the server around them (the public listener
 * fills these in): how to answer with a denial, the headers every response carries, where
 * failures are reported, and the send timeout.
 */
import type { ServerResponse } from 'node:http';
import type { Denial } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';

export interface ForwardHooks {
  /** Write an error response (status, code) for a request whose response has not started. */
  sendDenial(ctx: RequestContext, res: ServerResponse, denial: Denial): void;
  upstreamFailed(ctx: RequestContext, kind: string, detail: Record<string, unknown>): void;
  /** Headers every response carries (request id, CORS, HSTS). */
  baseHeaders(ctx: RequestContext): Record<string, string>;
  /** The output filter threw; `failOpen` tells whether the response went on unfiltered. */
  outputFailed(ctx: RequestContext, err: unknown, failOpen: boolean): void;
  /** `server.timeouts.send`: a client that accepts no bytes for this long is disconnected (default 30 s). */
  sendTimeoutMs?: number;
  /** A client was disconnected for accepting no bytes for the send timeout (for the log and metrics). */
  clientCut?(ctx: RequestContext, reason: 'send-timeout'): void;
}
