/**
 * Error replies the gateway writes itself at the wire level (accept phase): on a ServerResponse
 * before any route runs, or as raw bytes on a socket whose parser failed. Always the OpenAI error
 * shape, a stable code and `x-request-id`; `Connection: close` whenever request bytes are unread.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { ERRORS, errorBody, type ErrorCode } from '../errors.js';

export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

/** Headers every wire-level refusal carries. */
export function refusalHeaders(id: string, body: string, hsts: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'x-request-id': id,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (hsts) h['strict-transport-security'] = HSTS_VALUE;
  return h;
}

/**
 * `Connection: close` for a refusal of a request whose body has not been read to its end: the
 * connection cannot carry another request, and the lingering close (linger.ts) drains the rest.
 */
export function closeIfUnread(req: IncomingMessage): Record<string, string> {
  return req.complete ? {} : { connection: 'close' };
}

/** A refusal on the response object of a request no route has handled. */
export function writeRefusal(req: IncomingMessage, res: ServerResponse, code: ErrorCode, id: string, hsts: boolean, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, id);
  res.writeHead(ERRORS[code].status, { ...refusalHeaders(id, body, hsts), ...extra, ...closeIfUnread(req) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The same as raw bytes, for a socket whose HTTP parser failed (no response object exists). */
export function rawRefusal(code: ErrorCode, id: string, hsts: boolean): string {
  const body = errorBody(code, id);
  const status = ERRORS[code].status;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\n`;
  for (const [k, v] of Object.entries(refusalHeaders(id, body, hsts))) head += `${k}: ${v}\r\n`;
  return `${head}\r\n${body}`;
}
