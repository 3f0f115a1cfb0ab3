/**
 * The public listener's TLS, assembled for the gateway: the https options from `server.tls`
 * (read and checked at creation), handshake-failure counting, and the hot reload once the
 * listener exists (tls-reload.ts).
 */
import type { Registry } from 'prom-client';
import type { ServerTlsConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/clock.js';
import { handshakeReason, tlsMetrics } from './tls-metrics.js';
import { TlsReloader, serverTlsOptions, servingSet, type ReloadTarget } from './tls-reload.js';
import type { WireDeps } from './wire.js';

export interface PublicTls {
  /** What the wire layer needs to build the https server. */
  readonly wire: NonNullable<WireDeps['tls']>;
  /** The hot reload, from start() on (tests wait for its `reloaded` / `failed` events). */
  reloader: TlsReloader | null;
  start(server: ReloadTarget): void;
  stop(): void;
}

export function publicTls(cfg: ServerTlsConfig, deps: { logger: Logger; registry: Registry; clock?: Clock; pollMs?: number }): PublicTls {
  const metrics = tlsMetrics(deps.registry);
  const initial = servingSet(cfg);
  const out: PublicTls = {
    wire: {
      options: serverTlsOptions(cfg, initial),
      handshakeFailed(err) {
        const reason = handshakeReason(err as { code?: string; message?: string });
        metrics.handshakeFailures.inc({ reason });
        deps.logger.debug({ reason, code: (err as { code?: string }).code }, 'tls handshake failed');
      },
    },
    reloader: null,
    start(server) {
      if (out.reloader !== null) return;
      out.reloader = new TlsReloader(cfg, server, initial, { logger: deps.logger, metrics, clock: deps.clock, pollMs: deps.pollMs });
      out.reloader.start();
    },
    stop() {
      out.reloader?.stop();
    },
  };
  return out;
}
