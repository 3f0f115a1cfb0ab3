/**
 * The accept phase on the wire: the public listener's http.Server (Fastify's `serverFactory`),
 * set up so that every response the gateway writes has its error shape, and so that refusals
 * arrive instead of resets.
 *
 * - `Expect: 100-continue` is not answered by Node: `100 Continue` is sent only when the body
 *   phase starts reading (continue.ts), i.e. after auth, routing and the declared-size check.
 *   Any other expectation: 417 MG_EXPECTATION_FAILED.
 * - Before routing: HTTP/1.1 without Host (Node's own bare 400 is switched off), more than
 *   `server.maxHeaders` headers (431), a request target over URI_MAX_BYTES (414), GET/HEAD with a
 *   body however framed (400). Node keeps at most maxHeaders + 1 header pairs, so a flood of
 *   headers can never push Content-Length out of sight unnoticed.
 * - Pipelining: a request is handed to Fastify only once the previous response on its connection
 *   has finished; if that response closed the connection, the request is dropped (never forwarded
 *   nor answered). A parser error while a response is pending is never written ahead of it: the
 *   pending response ends the connection instead.
 * - After a `Connection: close` response with unread request bytes: lingering close (linger.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { ModelgateConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { LINGER_DEFAULTS, lingerClose, lingerOnClose, stopParsing, type LingerBounds } from './linger.js';
import { rawRefusal, writeRefusal } from './wire-reply.js';
import { expectsContinue, forgetContinue } from './continue.js';

/** Longest request target (path + query) accepted: 8 KB, like nginx's large_client_header_buffers. */
export const URI_MAX_BYTES = 8 * 1024;

export interface WireDeps {
  server: ModelgateConfig['server'];
  logger: Logger;
  /** Every refusal written here (metrics, access log); `detail` is for the log only. */
  onRefused(code: ErrorCode, id: string, detail: Record<string, unknown>): void;
  linger?: LingerBounds;
  /** TLS on the listener (src/server/tls-reload.ts); absent: plain HTTP. */
  tls?: { options: TlsOptions; handshakeFailed(err: Error): void };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface PendingResponse extends ServerResponse { _last?: boolean; }
type HttpSocket = Socket & { _httpMessage?: PendingResponse | null; parser?: { incoming: IncomingMessage | null } | null };

/** Per connection: the last response handed out, and whether the connection is ending. */
interface ConnState { last: PendingResponse | null; closed: boolean; }
const connections = new WeakMap<Socket, ConnState>();
function stateOf(socket: Socket): ConnState {
  let st = connections.get(socket);
  if (st === undefined) {
    st = { last: null, closed: false };
    connections.set(socket, st);
  }
  return st;
}

/** Whether a GET/HEAD request announces a body, however framed. */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && Number(cl) !== 0;
}

/** The request-line and header checks that come before routing. */
function acceptCheck(req: IncomingMessage, maxHeaders: number): { code: ErrorCode; why: string } | null {
  if (req.rawHeaders.length / 2 > maxHeaders) return { code: 'MG_TOO_MANY_HEADERS', why: `more than ${maxHeaders} headers` };
  if (req.httpVersion === '1.1' && req.headers.host === undefined) return { code: 'MG_BAD_REQUEST', why: 'no Host header' };
  if (Buffer.byteLength(req.url ?? '') > URI_MAX_BYTES) return { code: 'MG_URI_TOO_LONG', why: 'request target too long' };
  if ((req.method === 'GET' || req.method === 'HEAD') && hasBody(req)) return { code: 'MG_BODY_NOT_ALLOWED', why: `${req.method} with a body` };
  return null;
}

export interface WireOptions {
  serverFactory: (handler: Handler) => Server;
  clientErrorHandler: (err: NodeJS.ErrnoException, socket: Duplex) => void;
  frameworkErrors: (err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void;
}

/** Fastify options for the public listener: its server, parser-error and framework-error handling. */
export function wireOptions(deps: WireDeps): WireOptions {
  const s = deps.server;
  const bounds = deps.linger ?? LINGER_DEFAULTS;
  const refuse = (req: IncomingMessage, res: ServerResponse, code: ErrorCode, why: string, extra: Record<string, string> = {}): void => {
    const id = randomUUID();
    deps.onRefused(code, id, { method: req.method, why });
    writeRefusal(req, res, code, id, s.hsts, extra);
  };

  function serverFactory(handler: Handler): Server {
    const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
      const bad = acceptCheck(req, s.maxHeaders);
      if (bad !== null) return refuse(req, res, bad.code, bad.why);
      handler(req, res);
    };
    // Requests are served one after the other per connection (HTTP/1.1 answers in order anyway):
    // the next one starts when the previous response has finished, and never after a close.
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const socket = req.socket;
      const st = stateOf(socket);
      const prev = st.last;
      st.last = res;
      const go = (): void => {
        if (st.closed || (prev !== null && (prev._last === true || !prev.writableFinished)) || socket.destroyed) {
          st.closed = true;
          forgetContinue(req);
          deps.logger.debug({ method: req.method }, 'pipelined request after a closing response dropped');
          stopParsing(socket, bounds);
          return;
        }
        dispatch(req, res);
      };
      if (prev === null || prev.writableFinished || prev.destroyed) go();
      else prev.once('close', go);
    };
    const httpOptions = {
      maxHeaderSize: s.maxHeaderBytes,
      headersTimeout: s.headersTimeoutMs,
      requestTimeout: 0,
      // Node checks header timeouts on an interval (30 s by default): check every second instead.
      connectionsCheckingInterval: 1000,
      // Answered here, in the error shape (Node's own answer is a bare 400).
      requireHostHeader: false,
    };
    const tls = deps.tls;
    const server: Server = tls === undefined ? createServer(httpOptions, onRequest) : createHttpsServer({ ...tls.options, ...httpOptions }, onRequest);
    server.keepAliveTimeout = s.idleTimeoutMs;
    server.maxHeadersCount = s.maxHeaders + 1;
    server.setTimeout(0);
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      expectsContinue(req, res);
      onRequest(req, res);
    });
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      refuse(req, res, 'MG_EXPECTATION_FAILED', `Expect: ${String(req.headers.expect).slice(0, 40)}`);
    });
    // CONNECT (a tunnel request: the gateway is no forward proxy) would otherwise be answered by
    // Node destroying the socket.
    server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      const id = randomUUID();
      deps.onRefused('MG_BAD_REQUEST', id, { method: req.method, why: 'CONNECT' });
      socket.end(rawRefusal('MG_BAD_REQUEST', id, s.hsts));
    });
    if (tls === undefined) server.on('connection', (socket: Socket) => lingerOnClose(socket, bounds));
    else {
      // HTTP runs on the TLS socket, not on the TCP one 'connection' hands out.
      server.on('secureConnection', (socket: Socket) => lingerOnClose(socket, bounds));
      // A failed handshake has no HTTP to answer with (Node would hand it to 'clientError', whose
      // handler writes an HTTP refusal): counted, logged at debug, the socket destroyed.
      server.removeAllListeners('tlsClientError');
      server.on('tlsClientError', (err: Error, socket: Duplex) => {
        tls.handshakeFailed(err);
        socket.destroy();
      });
    }
    return server;
  }

  /**
   * Node's parser refused the bytes (before or between requests). Answered in our shape when the
   * socket can take it and no earlier response is still pending; that one would otherwise be
   * preceded by our 400, so it is left to finish and to close the connection instead.
   */
  function clientErrorHandler(err: NodeJS.ErrnoException, duplex: Duplex): void {
    const socket = duplex as HttpSocket;
    const st = stateOf(socket);
    if (st.closed) return;
    st.closed = true;
    const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'MG_HEADERS_TOO_LARGE'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'MG_HEADERS_TIMEOUT' : 'MG_BAD_REQUEST';
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const pending = socket._httpMessage ?? null;
    if (pending !== null && !pending.writableFinished) {
      deps.logger.info({ parser: err.code }, 'malformed pipelined request; the pending response closes the connection');
      if (pending.headersSent) pending._last = true;
      else pending.shouldKeepAlive = false;
      // A body cut by a framing error: the body phase ends now (400 MG_BODY_INCOMPLETE).
      const incoming = socket.parser?.incoming ?? null;
      stopParsing(socket, bounds);
      if (incoming !== null && !incoming.complete) incoming.emit('aborted');
      return;
    }
    const id = randomUUID();
    deps.onRefused(code, id, { parser: err.code, why: 'malformed request' });
    socket.write(rawRefusal(code, id, s.hsts));
    lingerClose(socket, bounds);
  }

  /** Fastify's router refused the URL (bad percent-encoding, a parameter over maxParamLength). */
  function frameworkErrors(err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    const code: ErrorCode = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'MG_URI_TOO_LONG'
      : err.code === 'FST_ERR_BAD_URL' ? 'MG_BAD_REQUEST' : 'MG_INTERNAL';
    deps.onRefused(code, request.id, { method: request.method, why: err.code });
    writeRefusal(request.raw, reply.raw, code, request.id, s.hsts);
  }

  return { serverFactory, clientErrorHandler, frameworkErrors };
}
