/**
 * Which headers cross the gateway, both ways, by allow-list.
 *
 * Toward the model server: only content-type, accept, user-agent, the W3C trace context
 * (traceparent, tracestate) and what the route lists in `forwardHeaders`. Never, even when a
 * route lists them: hop-by-hop headers (RFC 9110 §7.6.1), credentials (the configured key
 * headers, Authorization, cookies), framing modelgate recomputes, method/URL overrides
 * (X-HTTP-Method-Override, X-Original-URL, X-Rewrite-URL, …) and identity or address claims
 * (X-Forwarded-*, Forwarded, X-Real-IP, X-Forwarded-User, X-Remote-User, …). The gateway sets
 * X-Forwarded-For (the client address as it determined it), X-Forwarded-Proto, x-request-id and
 * `accept-encoding: identity` itself.
 *
 * Toward the client: an allow-list too, so server banners and internal headers never leak.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RouteConfig } from '../config/types.js';

/** Always forwarded when the client sent them. */
const BASE_ALLOWED = ['content-type', 'accept', 'user-agent', 'traceparent', 'tracestate'];

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const FRAMING_AND_CREDENTIALS = ['authorization', 'x-api-key', 'cookie', 'host', 'content-length', 'content-encoding', 'accept-encoding', 'expect', 'x-request-id'];
const OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url', 'x-original-method', 'x-override-url'];
const IDENTITY = [
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server',
  'x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-forwarded-preferred-username', 'x-forwarded-access-token',
  'x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'x-remote-user', 'x-remote-addr',
  'remote-user', 'x-user', 'x-user-id', 'x-auth-user', 'x-authenticated-user', 'x-auth-request-user', 'x-auth-request-email',
];

/** What a route's `forwardHeaders` can never add. */
export function neverForwarded(credentialHeaders: readonly string[]): Set<string> {
  return new Set([...HOP_BY_HOP, ...FRAMING_AND_CREDENTIALS, ...OVERRIDES, ...IDENTITY, ...credentialHeaders.map((c) => c.toLowerCase())]);
}

/** What the filter needs from the request context. */
export interface ForwardSource {
  id: string;
  ip: string;
  headers: IncomingHttpHeaders;
  route: Pick<RouteConfig, 'forwardHeaders'>;
  raw: IncomingMessage;
}

export function upstreamHeaderFilter(credentialHeaders: readonly string[]): (ctx: ForwardSource) => Record<string, string> {
  const never = neverForwarded(credentialHeaders);
  const allowedFor = new WeakMap<readonly string[], string[]>();
  const allowList = (extra: readonly string[]): string[] => {
    let list = allowedFor.get(extra);
    if (list === undefined) {
      list = [...new Set([...BASE_ALLOWED, ...extra.map((h) => h.toLowerCase())])].filter((h) => !never.has(h));
      allowedFor.set(extra, list);
    }
    return list;
  };
  return function upstreamHeaders(ctx) {
    const h = ctx.headers;
    // Headers the client's Connection header names are hop-by-hop too (RFC 9110 §7.6.1).
    const named = h.connection === undefined ? null : new Set(h.connection.toLowerCase().split(',').map((s) => s.trim()));
    const out: Record<string, string> = {};
    for (const name of allowList(ctx.route.forwardHeaders)) {
      const v = h[name];
      if (v === undefined || (named !== null && named.has(name))) continue;
      out[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    // The client's address as the gateway determined it (X-Forwarded-For honoured only from
    // server.trustedProxies): one entry, never the client-supplied chain.
    out['x-forwarded-for'] = ctx.ip;
    out['x-forwarded-proto'] = (ctx.raw.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
    // modelgate reads the response (usage, redaction): ask for it uncompressed.
    out['accept-encoding'] = 'identity';
    out['x-request-id'] = ctx.id;
    return out;
  };
}

const RESPONSE_ALLOWED = ['content-type', 'cache-control', 'retry-after', 'content-language'];

/**
 * The upstream response headers a client may see, added to `out` (the gateway's own headers for
 * this response, fresh per response: assigning into it costs no second object and spread, and a
 * name already there keeps its place and takes the upstream's value, as a spread after it would).
 */
export function clientHeaders(upstream: Record<string, string | string[] | undefined>, out: Record<string, string> = {}): Record<string, string> {
  for (const name of RESPONSE_ALLOWED) {
    const v = upstream[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}
