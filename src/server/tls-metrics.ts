/**
 * TLS metrics, registered in the gateway's own registry (observability/metrics.ts) by the TLS
 * code that owns them, so that a gateway without TLS exports none of them.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface TlsMetrics {
  /** notAfter of a certificate in use, in seconds since the epoch, by `cert` (server, client-ca, upstream:<name>). */
  certExpiry: Gauge<'cert'>;
  reloads: Counter;
  reloadFailures: Counter;
  handshakeFailures: Counter<'reason'>;
}

const made = new WeakMap<Registry, TlsMetrics>();

/** The TLS metrics of a registry, created on first use. */
export function tlsMetrics(registry: Registry): TlsMetrics {
  const have = made.get(registry);
  if (have !== undefined) return have;
  const registers = [registry];
  const m: TlsMetrics = {
    certExpiry: new Gauge({ name: 'modelgate_tls_cert_expiry_timestamp_seconds', help: 'notAfter of a certificate in use (server: the serving certificate; client-ca: the soonest CA of server.tls.clientCA; upstream:<name>: the client certificate towards a model server), Unix seconds', labelNames: ['cert'], registers }),
    reloads: new Counter({ name: 'modelgate_tls_reloads_total', help: 'Serving certificate, key or client CA changes applied without a restart', registers }),
    reloadFailures: new Counter({ name: 'modelgate_tls_reload_failures_total', help: 'Changed certificate files that could not be used (the previous certificate stays in use)', registers }),
    handshakeFailures: new Counter({ name: 'modelgate_tls_handshake_failures_total', help: 'TLS handshakes refused on the public listener, by reason (protocol-version, client-certificate, other)', labelNames: ['reason'], registers }),
  };
  made.set(registry, m);
  return m;
}

/** A bounded label for a failed handshake's error. */
export function handshakeReason(err: { code?: string; message?: string }): 'protocol-version' | 'client-certificate' | 'other' {
  const text = `${err.code ?? ''} ${err.message ?? ''}`.toLowerCase();
  if (/protocol|version/.test(text)) return 'protocol-version';
  if (/certificate|peer_did_not_return|cert_/.test(text)) return 'client-certificate';
  return 'other';
}
