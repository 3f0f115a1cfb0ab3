/**
 * Forward phase — failure classification: what an upstream failure (a connection error, a
 * timeout, an aborted request) means for the client. Pure: no I/O.
 *
 * - unreachable (connection refused, no route, DNS): the request was never sent, so the next
 *   target may be tried; answered 502 MG_UPSTREAM_UNREACHABLE when none is left;
 * - timeouts (connect, headers, body): 504 MG_UPSTREAM_TIMEOUT;
 * - anything else: 502 MG_UPSTREAM_ERROR.
 */
import { deny, errorBody, type Denial, type ErrorCode } from '../errors.js';
import type { AttemptResult } from './outlier.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** The error's code (its own, or its cause's), else its name. Safe to log: no message, no body. */
export function errCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return (err as Error | null)?.name ?? 'Error';
}

/** The metrics/log kind of a failed attempt. */
export function failureKind(code: string): 'unreachable' | 'timeout' | 'error' {
  return UNREACHABLE.has(code) ? 'unreachable' : TIMEOUTS.has(code) ? 'timeout' : 'error';
}

/**
 * True when the next target may be tried: the request never left (unreachable), except after a
 * connect timeout, which already cost the client the whole connect budget.
 */
export function mayTryNext(code: string): boolean {
  return UNREACHABLE.has(code) && code !== 'UND_ERR_CONNECT_TIMEOUT';
}

/**
 * What an answer says about the target, for its breaker (outlier.ts): 502/503/504 are gateway
 * errors (as in Envoy), other 5xx server errors, anything below 500 a success — a 4xx is the
 * client's fault, not the target's.
 */
export function statusResult(status: number): AttemptResult {
  if (status === 502 || status === 503 || status === 504) return 'gateway-error';
  return status >= 500 ? 'server-error' : 'success';
}

/**
 * What a failed attempt says about the target: connect failures and timeouts are gateway errors;
 * anything else (a reset after the request was sent, a broken answer) a server error.
 */
export function errorResult(code: string): AttemptResult {
  return UNREACHABLE.has(code) || TIMEOUTS.has(code) ? 'gateway-error' : 'server-error';
}

export function denialFor(code: string): Denial {
  if (TIMEOUTS.has(code)) return deny('MG_UPSTREAM_TIMEOUT', code);
  if (UNREACHABLE.has(code)) return deny('MG_UPSTREAM_UNREACHABLE', code);
  if (code === 'MG_UPSTREAM_TOO_LARGE') return deny('MG_UPSTREAM_TOO_LARGE', code);
  return deny('MG_UPSTREAM_ERROR', code);
}

/** The last event of a stream that cannot go on: an OpenAI-shaped error as SSE data. */
export function sseError(requestId: string, code: ErrorCode = 'MG_UPSTREAM_ERROR'): string {
  return `data: ${errorBody(code, requestId)}\n\n`;
}

/** An upstream answer larger than what may be held (thrown by the bounded reader). */
export class TooLargeError extends Error {
  readonly code = 'MG_UPSTREAM_TOO_LARGE';
  constructor() {
    super('upstream response too large');
    this.name = 'TooLargeError';
  }
}
