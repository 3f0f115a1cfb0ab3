/**
 * TLS towards the model servers (`upstreams.*.tls`): undici connect options for the traffic pool
 * and the health-check client of every target. The files are read once, when the upstream's
 * pools are created (config load has already checked them).
 *
 * Verification is never turned off: `rejectUnauthorized` is always true and there is no key to
 * change it (an unknown key is a config error). A server whose certificate does not verify (an
 * unknown CA, a wrong name) fails the connection; forward.ts answers that 502 MG_UPSTREAM_ERROR
 * and does not try another target (failure.ts: a TLS error is not "unreachable"), and it is never
 * retried as plain HTTP.
 */
import type { ConnectionOptions } from 'node:tls';
import type { UpstreamTlsConfig } from '../config/types.js';
import { checkPair, readPem } from '../util/pem.js';

export interface UpstreamTlsOptions {
  /** undici `connect` options (spread into the Pool / Client `connect`). */
  connect: ConnectionOptions;
  /** notAfter of the client certificate (ms), when there is one. */
  certNotAfterMs: number | null;
}

export function upstreamTlsOptions(cfg: UpstreamTlsConfig | null): UpstreamTlsOptions {
  if (cfg === null) return { connect: {}, certNotAfterMs: null };
  const connect: ConnectionOptions = { rejectUnauthorized: true };
  if (cfg.caFile !== null) connect.ca = readPem(cfg.caFile);
  let certNotAfterMs: number | null = null;
  if (cfg.certFile !== null && cfg.keyFile !== null) {
    const cert = readPem(cfg.certFile);
    const key = readPem(cfg.keyFile);
    certNotAfterMs = checkPair(cert, key, 'upstream client certificate').notAfterMs;
    connect.cert = cert;
    connect.key = key;
  }
  if (cfg.serverName !== null) connect.servername = cfg.serverName;
  return { connect, certNotAfterMs };
}
