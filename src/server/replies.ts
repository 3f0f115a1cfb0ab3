/**
 * The answers the gateway writes itself: a request's denial (on the raw response, any phase),
 * the headers every answer carries, and the router-level refusals (404, 405, CORS, framework
 * errors) on a Fastify reply. Every one is in the OpenAI error shape with `x-request-id`, carries
 * `Connection: close` when the body was not read (or the gateway is draining), and HSTS when on.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ERRORS, errorBody, type Denial, type ErrorCode } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Emitter } from '../observability/events.js';
import { closeIfUnread } from './wire-reply.js';

const HSTS = 'max-age=31536000; includeSubDomains';

export interface ReplyDeps {
  hsts: boolean;
  /** request.refused (metrics; the log line for wire-level refusals). */
  events: Emitter;
  /** True once SIGTERM was received: every answer carries Connection: close. */
  draining?: () => boolean;
}

export interface Replies {
  /** Headers every response to this request carries (request id, CORS, HSTS, close while draining). */
  baseHeaders(ctx: RequestContext): Record<string, string>;
  /** Answer a request with its denial (nothing when the client has gone; cut when headers are out). */
  sendDenial(ctx: RequestContext, res: ServerResponse, denial: Denial): void;
  /** A refusal by the router (no request context): counted under `label`. */
  replyError(reply: FastifyReply, code: ErrorCode, label: string, extra?: Record<string, string>): FastifyReply;
  /** A refusal written at the wire level (src/server/wire.ts): counted and logged. */
  countRefusal(code: ErrorCode, label: string, id: string, detail: Record<string, unknown>): void;
}

export function replies(deps: ReplyDeps): Replies {
  const { events } = deps;
  const closing = (): boolean => deps.draining?.() === true;

  const baseHeaders = (ctx: RequestContext): Record<string, string> => {
    const h: Record<string, string> = { 'x-request-id': ctx.id, ...ctx.responseHeaders };
    if (deps.hsts) h['strict-transport-security'] = HSTS;
    if (closing()) h.connection = 'close';
    return h;
  };

  return {
    baseHeaders,
    sendDenial(ctx, res, denial) {
      if (res.destroyed) { // the client has gone: nobody reads it, settle logs it
        ctx.denial = denial;
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      ctx.denial = denial;
      const body = errorBody(denial.code, ctx.id);
      const headers: Record<string, string> = {
        ...baseHeaders(ctx),
        ...denial.headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      };
      // A request whose body was not read to the end cannot share its connection with the next one.
      if (!ctx.raw.complete) headers.connection = 'close';
      res.writeHead(ERRORS[denial.code].status, headers);
      res.end(body);
    },
    replyError(reply, code, label, extra = {}) {
      events.emit({ type: 'request.refused', reqId: reply.request.id, route: label, code, status: ERRORS[code].status, detail: undefined });
      const headers: Record<string, string> = { 'x-request-id': reply.request.id, 'content-type': 'application/json; charset=utf-8', ...extra, ...closeIfUnread(reply.request.raw) };
      if (closing()) headers.connection = 'close';
      if (deps.hsts) headers['strict-transport-security'] = HSTS;
      return reply.code(ERRORS[code].status).headers(headers).send(errorBody(code, reply.request.id));
    },
    countRefusal(code, label, id, detail) {
      events.emit({ type: 'request.refused', reqId: id, route: label, code, status: ERRORS[code].status, detail });
    },
  };
}
