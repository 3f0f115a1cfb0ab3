/**
 * Which headers cross the gateway. Toward the model server: everything the client sent except
 * hop-by-hop headers (RFC 9110 §7.6.1, plus any the Connection header names), credentials (the
 * configured key headers, Authorization, cookies), framing modelgate recomputes, and client
 * claims about addresses. Toward the client: an allowlist, so server banners and internal
 * headers of the model server never leak.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const ALWAYS_DROPPED = [
  'authorization', 'x-api-key', 'cookie', 'host', 'content-length', 'content-encoding', 'accept-encoding', 'expect',
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'x-request-id',
];

export function upstreamHeaderFilter(credentialHeaders: readonly string[]): (h: IncomingHttpHeaders, requestId: string) => Record<string, string> {
  const drop = new Set([...HOP_BY_HOP, ...ALWAYS_DROPPED, ...credentialHeaders.map((c) => c.toLowerCase())]);
  return function upstreamHeaders(h, requestId) {
    const connection = h.connection;
    const named = connection === undefined ? null : new Set(connection.toLowerCase().split(',').map((s) => s.trim()));
    const out: Record<string, string> = {};
    for (const name in h) {
      if (drop.has(name) || (named !== null && named.has(name))) continue;
      const v = h[name];
      if (v === undefined) continue;
      out[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    // modelgate reads the response (usage, redaction): ask for it uncompressed.
    out['accept-encoding'] = 'identity';
    out['x-request-id'] = requestId;
    return out;
  };
}

const RESPONSE_ALLOWED = ['content-type', 'cache-control', 'retry-after', 'content-language'];

export function clientHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RESPONSE_ALLOWED) {
    const v = upstream[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}
