/**
 * Mutual-TLS identity and the per-route `auth` mode (request phase).
 *
 * A client certificate counts only when the TLS handshake verified it against
 * `server.tls.clientCA` (`socket.authorized`). It is then looked up in `auth.clients[]` by a URI
 * subject alternative name (a SPIFFE id), subject attributes, or its SHA-256 fingerprint; a match
 * becomes the request's identity `{ keyId: <client id>, tier }`, used by limits, logs and metrics
 * exactly like an API key's id.
 *
 * Route modes:
 *   key       an API key (api-key.ts), as before;
 *   mtls      a mapped client certificate: none (or one that did not verify) → 401
 *             MG_CLIENT_CERT_REQUIRED; verified but mapped to no client → 403 MG_CLIENT_CERT_UNKNOWN;
 *   any       a key when one is presented (a wrong key is refused), otherwise a mapped certificate;
 *   key+mtls  both: the certificate must be mapped, and the key names the identity (its tier
 *             applies); the certificate is checked first.
 */
import type { TLSSocket } from 'node:tls';
import { deny } from '../errors.js';
import type { ClientIdentityEntry, RouteAuthMode } from '../config/types.js';
import type { Policy, PolicyResult } from '../pipeline/policy.js';
import type { Identity, RequestContext } from '../pipeline/context.js';

/** What a verified peer certificate says, read once per connection. */
interface PeerFacts {
  uris: string[];
  subject: Record<string, string[]>;
  /** Lower-case hex, no colons. */
  sha256: string;
}

/** null: no certificate, or one the handshake did not verify. */
const facts = new WeakMap<TLSSocket, PeerFacts | null>();

/**
 * The URI entries of Node's `subjectaltname` string: `TYPE:value` entries joined by ", ", where a
 * value holding a separator or quote is written as a JSON string (Node ≥ 17.3.1 / 16.13.2).
 */
export function sanUris(altNames: string | undefined): string[] {
  const out: string[] = [];
  if (altNames === undefined) return out;
  let i = 0;
  while (i < altNames.length) {
    const colon = altNames.indexOf(':', i);
    if (colon === -1) break;
    const type = altNames.slice(i, colon);
    let value: string;
    let end: number;
    if (altNames[colon + 1] === '"') {
      // A JSON string: find its closing quote (skipping escaped characters).
      let j = colon + 2;
      while (j < altNames.length && altNames[j] !== '"') j += altNames[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(altNames.slice(colon + 1, j + 1)) as string;
      } catch {
        return out; // malformed: stop, never guess
      }
      end = j + 1;
    } else {
      const sep = altNames.indexOf(', ', colon + 1);
      end = sep === -1 ? altNames.length : sep;
      value = altNames.slice(colon + 1, end);
    }
    if (type === 'URI') out.push(value);
    i = end + 2; // skip ", "
  }
  return out;
}

function peerFacts(ctx: RequestContext): PeerFacts | null {
  const socket = ctx.raw.socket as TLSSocket;
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const cached = facts.get(socket);
  if (cached !== undefined) return cached;
  let out: PeerFacts | null = null;
  if (socket.authorized) {
    const cert = socket.getPeerCertificate(false);
    if (cert !== null && typeof cert.fingerprint256 === 'string') {
      const subject: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(cert.subject ?? {})) subject[k] = Array.isArray(v) ? v : [String(v)];
      out = { uris: sanUris(cert.subjectaltname), subject, sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase() };
    }
  }
  facts.set(socket, out);
  return out;
}

function matches(c: ClientIdentityEntry, f: PeerFacts): boolean {
  switch (c.match.kind) {
    case 'san': return f.uris.includes(c.match.uri);
    case 'fingerprint': return f.sha256 === c.match.sha256;
    case 'subject': return c.match.attrs.every(([k, v]) => f.subject[k]?.includes(v) === true);
  }
}

type CertResult = { identity: Identity } | { code: 'MG_CLIENT_CERT_REQUIRED' | 'MG_CLIENT_CERT_UNKNOWN' };

/** The client identity of this request's verified certificate, or why there is none. */
export function certIdentity(clients: readonly ClientIdentityEntry[]): (ctx: RequestContext) => CertResult {
  const byFingerprint = new Map<string, ClientIdentityEntry>();
  const others: ClientIdentityEntry[] = [];
  for (const c of clients) {
    if (c.match.kind === 'fingerprint') byFingerprint.set(c.match.sha256, c);
    else others.push(c);
  }
  return (ctx) => {
    const f = peerFacts(ctx);
    if (f === null) return { code: 'MG_CLIENT_CERT_REQUIRED' };
    const c = byFingerprint.get(f.sha256) ?? others.find((o) => matches(o, f));
    if (c === undefined) return { code: 'MG_CLIENT_CERT_UNKNOWN' };
    return { identity: { keyId: c.id, tier: c.tier } };
  };
}

/** Whether the request presents anything in one of the key headers. */
function presentsKey(ctx: RequestContext, headers: readonly string[]): boolean {
  for (const h of headers) if (ctx.headers[h] !== undefined) return true;
  return false;
}

/**
 * The request-phase authentication of a route: `keyPolicy` (api-key.ts) for `key`, otherwise a
 * policy combining it with the client certificate as described above.
 */
export function routeAuthPolicy(mode: RouteAuthMode, keyPolicy: Policy, clients: readonly ClientIdentityEntry[], keyHeaders: readonly string[]): Policy {
  if (mode === 'key') return keyPolicy;
  const cert = certIdentity(clients);
  const headers = keyHeaders.map((h) => h.toLowerCase());
  const certOnly = (ctx: RequestContext): PolicyResult => {
    const r = cert(ctx);
    if ('code' in r) return deny(r.code, r.code === 'MG_CLIENT_CERT_REQUIRED' ? 'no verified client certificate' : 'client certificate mapped to no client');
    ctx.identity = r.identity;
    return undefined;
  };
  let run: Policy['run'];
  switch (mode) {
    case 'mtls':
      run = function mtlsAuth(ctx) { return certOnly(ctx); };
      break;
    case 'any':
      run = function anyAuth(ctx) {
        if (presentsKey(ctx, headers)) return keyPolicy.run(ctx);
        const r = cert(ctx);
        if ('identity' in r) {
          ctx.identity = r.identity;
          return undefined;
        }
        // A verified certificate that maps to nobody says more than "no key".
        return r.code === 'MG_CLIENT_CERT_UNKNOWN' ? deny(r.code, 'client certificate mapped to no client') : keyPolicy.run(ctx);
      };
      break;
    case 'key+mtls':
      run = function keyAndMtlsAuth(ctx) {
        const denied = certOnly(ctx);
        if (denied !== undefined) return denied;
        ctx.identity = null; // the key names the identity
        return keyPolicy.run(ctx);
      };
      break;
  }
  return { name: `auth-${mode}`, phase: 'request', onError: 'fail-closed', ...(keyPolicy.timeoutMs === undefined ? {} : { timeoutMs: keyPolicy.timeoutMs }), run };
}
