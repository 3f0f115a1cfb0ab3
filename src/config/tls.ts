/**
 * The TLS keys of the configuration, resolved and checked: `server.tls`, `auth.clients[]`, route
 * `auth` and `upstreams.*.tls`. Certificate and key files are read and checked here (a pair that
 * does not match, a CA file without a certificate, TLS 1.0/1.1 are configuration problems with
 * their path); only the paths are kept — the PEM material is read again where it is used
 * (src/server/tls-reload.ts, src/upstream/tls.ts), so no private key lives in the config object.
 */
import type { ConfigProblem } from './load.js';
import type { RawConfig, RawRoute, RawUpstream } from './schema.js';
import type { ApiKeyEntry, ClientIdentityEntry, RouteAuthMode, ServerTlsConfig, UpstreamTlsConfig } from './types.js';
import { PemError, certificates, checkContext, checkPair, readPem } from '../util/pem.js';

type Problems = ConfigProblem[];

/** Reads a PEM file, reporting a problem at `path` when it cannot be read. */
function read(file: string, path: string, problems: Problems): Buffer | null {
  try {
    return readPem(file);
  } catch (err) {
    problems.push({ path, message: (err as Error).message });
    return null;
  }
}

function pemCheck(fn: () => void, path: string, problems: Problems): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof PemError)) throw err;
    problems.push({ path, message: err.message });
  }
}

export function resolveServerTls(raw: RawConfig, problems: Problems): ServerTlsConfig | null {
  const t = raw.server?.tls;
  if (t === undefined) return null;
  const p = 'server.tls';
  const version = t.minVersion ?? 'TLSv1.2';
  if (version !== 'TLSv1.2' && version !== 'TLSv1.3') {
    problems.push({ path: `${p}.minVersion`, message: `${version} is refused (obsolete and insecure); use TLSv1.2 or TLSv1.3` });
  }
  if (t.requireClientCert === true && t.clientCA === undefined) problems.push({ path: `${p}.requireClientCert`, message: 'needs clientCA (the CA client certificates must chain to)' });
  const cert = read(t.cert, `${p}.cert`, problems);
  const key = read(t.key, `${p}.key`, problems);
  const ca = t.clientCA === undefined ? null : read(t.clientCA, `${p}.clientCA`, problems);
  if (cert !== null && key !== null) pemCheck(() => checkPair(cert, key, 'server.tls.cert certificate'), `${p}.key`, problems);
  if (ca !== null) pemCheck(() => certificates(ca, 'the clientCA file'), `${p}.clientCA`, problems);
  const minVersion = version === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2';
  if (t.ciphers !== undefined) pemCheck(() => checkContext({ ciphers: t.ciphers, minVersion }), `${p}.ciphers`, problems);
  return {
    certFile: t.cert,
    keyFile: t.key,
    clientCAFile: t.clientCA ?? null,
    minVersion,
    ciphers: t.ciphers ?? null,
    requireClientCert: t.requireClientCert ?? false,
  };
}

/** `CN=runner, O=acme` → [['CN', 'runner'], ['O', 'acme']] (the schema has checked the form). */
function subjectAttrs(s: string): [string, string][] {
  return s.split(',').map((part) => {
    const i = part.indexOf('=');
    return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
  });
}

export function resolveClients(raw: RawConfig, keys: readonly ApiKeyEntry[], tiers: ReadonlyMap<string, unknown>, tls: ServerTlsConfig | null, problems: Problems): ClientIdentityEntry[] {
  const list = raw.auth.clients ?? [];
  if (list.length > 0 && tls?.clientCAFile == null) problems.push({ path: 'auth.clients', message: 'client certificates need server.tls.clientCA' });
  const ids = new Set(keys.map((k) => k.id));
  const out: ClientIdentityEntry[] = [];
  list.forEach((c, i) => {
    const path = `auth.clients[${i}]`;
    if (ids.has(c.id)) problems.push({ path: `${path}.id`, message: `duplicate id "${c.id}" (key and client ids share one namespace: limits, logs and metrics use them)` });
    ids.add(c.id);
    const given = [c.san, c.subject, c.fingerprint].filter((v) => v !== undefined).length;
    if (given !== 1) {
      problems.push({ path, message: 'exactly one of san, subject, fingerprint is required' });
      return;
    }
    let match: ClientIdentityEntry['match'];
    if (c.san !== undefined) match = { kind: 'san', uri: c.san };
    else if (c.subject !== undefined) match = { kind: 'subject', attrs: subjectAttrs(c.subject) };
    else match = { kind: 'fingerprint', sha256: (c.fingerprint as string).slice('sha256:'.length).replace(/:/g, '').toLowerCase() };
    if (match.kind === 'fingerprint' && !/^[0-9a-f]{64}$/.test(match.sha256)) {
      problems.push({ path: `${path}.fingerprint`, message: 'sha256: followed by 64 hex digits' });
    }
    if (c.tier !== undefined && !tiers.has(c.tier)) problems.push({ path: `${path}.tier`, message: `no tier named "${c.tier}" under tiers` });
    out.push({ id: c.id, tier: c.tier ?? null, match });
  });
  return out;
}

/** A route's `auth` mode; any mode but `key` needs client certificates to be verified. */
export function routeAuth(r: RawRoute, tls: ServerTlsConfig | null, path: string, problems: Problems): RouteAuthMode {
  const mode = (r.auth ?? 'key') as RouteAuthMode;
  if (mode !== 'key' && tls?.clientCAFile == null) problems.push({ path, message: `auth: ${mode} needs server.tls.clientCA` });
  return mode;
}

export function resolveUpstreamTls(u: RawUpstream, targets: readonly URL[], path: string, problems: Problems): UpstreamTlsConfig | null {
  const t = u.tls;
  if (t === undefined) return null;
  targets.forEach((url, i) => {
    if (url.protocol !== 'https:') problems.push({ path: `${path.replace(/\.tls$/, '')}.targets[${i}]`, message: 'with tls set, targets are https:// (never a silent plain connection)' });
  });
  if ((t.cert === undefined) !== (t.key === undefined)) problems.push({ path, message: 'cert and key go together (mutual TLS)' });
  const ca = t.ca === undefined ? null : read(t.ca, `${path}.ca`, problems);
  if (ca !== null) pemCheck(() => certificates(ca, 'the ca file'), `${path}.ca`, problems);
  if (t.cert !== undefined && t.key !== undefined) {
    const cert = read(t.cert, `${path}.cert`, problems);
    const key = read(t.key, `${path}.key`, problems);
    if (cert !== null && key !== null) pemCheck(() => checkPair(cert, key, 'client certificate'), `${path}.key`, problems);
  }
  return { caFile: t.ca ?? null, certFile: t.cert ?? null, keyFile: t.key ?? null, serverName: t.serverName ?? null };
}
