/**
 * The public listener's TLS: its options, and their hot reload.
 *
 * Certificate, key and client CA are re-read when their files change, without a restart:
 *   - each file's directory is watched (a Kubernetes Secret volume swaps a `..data` symlink in
 *     that directory, which replaces every file at once; watching the file itself would keep
 *     watching the old, unlinked inode), and
 *   - a cheap poll every second (read the files, hash them) catches what watching misses
 *     (network filesystems, a path that is a symlink into another directory).
 * A changed set is checked as OpenSSL will use it (the key belongs to the certificate, a context
 * can be built) and then given to `server.setSecureContext()`: new handshakes use it, connections
 * and streams already open keep theirs and are never dropped. A set that cannot be used keeps the
 * old context, is logged once (per distinct content) and counted in
 * `modelgate_tls_reload_failures_total`.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { ServerTlsConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import { certificates, checkContext, checkPair, readPem } from '../util/pem.js';
import type { TlsMetrics } from './tls-metrics.js';

/** How often the files are polled besides watching. */
export const TLS_POLL_MS = 1000;
/** After a watch event, wait this long for a writer to finish writing the other files. */
const SETTLE_MS = 50;

/** The PEM material of one serving set, checked. */
export interface ServingSet {
  context: SecureContextOptions;
  /** Serving certificate's notAfter (ms); the soonest clientCA notAfter (ms), if any. */
  certNotAfterMs: number;
  caNotAfterMs: number | null;
  /** SHA-256 of the leaf, colon-separated upper-case hex (as Node's getPeerCertificate shows it). */
  fingerprint256: string;
  hash: string;
}

function digest(parts: (Buffer | null)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p === null ? '-' : `${p.length}:`).update(p ?? '');
  return h.digest('hex');
}

/** Read the current files and their hash (throws PemError when one cannot be read). */
function readFiles(cfg: ServerTlsConfig): { cert: Buffer; key: Buffer; ca: Buffer | null; hash: string } {
  const cert = readPem(cfg.certFile);
  const key = readPem(cfg.keyFile);
  const ca = cfg.clientCAFile === null ? null : readPem(cfg.clientCAFile);
  return { cert, key, ca, hash: digest([cert, key, ca]) };
}

/** The context options of the files' content, checked (throws PemError). */
export function servingSet(cfg: ServerTlsConfig, files = readFiles(cfg)): ServingSet {
  const { leaf, notAfterMs } = checkPair(files.cert, files.key);
  let caNotAfterMs: number | null = null;
  if (files.ca !== null) caNotAfterMs = Math.min(...certificates(files.ca, 'the clientCA file').map((c) => Date.parse(c.validTo)));
  const context: SecureContextOptions = {
    cert: files.cert,
    key: files.key,
    minVersion: cfg.minVersion,
    ...(files.ca === null ? {} : { ca: files.ca }),
    ...(cfg.ciphers === null ? {} : { ciphers: cfg.ciphers }),
  };
  checkContext(context);
  return { context, certNotAfterMs: notAfterMs, caNotAfterMs, fingerprint256: leaf.fingerprint256, hash: files.hash };
}

/** https.createServer options for the public listener. */
export function serverTlsOptions(cfg: ServerTlsConfig, set: ServingSet): TlsOptions {
  return {
    ...set.context,
    // TLS 1.0/1.1 never: minVersion is 1.2 or 1.3 (config load refuses less).
    honorCipherOrder: true,
    // With a client CA, a certificate is asked for and verified; requireClientCert refuses the
    // handshake without one, otherwise the route's `auth` decides (policies/client-cert.ts).
    requestCert: cfg.clientCAFile !== null,
    rejectUnauthorized: cfg.clientCAFile !== null && cfg.requireClientCert,
  };
}

export interface ReloadTarget { setSecureContext(options: SecureContextOptions): void; }

export interface TlsReloaderDeps {
  logger: Logger;
  metrics: TlsMetrics;
  clock?: Clock;
  pollMs?: number;
  /** Watch the directories (default true); tests of the poll alone turn it off. */
  watch?: boolean;
}

export type CheckResult = 'unchanged' | 'reloaded' | 'failed';

/**
 * Events: `reloaded` (ServingSet) after a new set is in use; `failed` (Error) when a changed set
 * was refused. Both only on a change of the files' content.
 */
export class TlsReloader extends EventEmitter {
  private applied: string;
  private refused: string | null = null;
  private readonly watchers: FSWatcher[] = [];
  private poll: TimerHandle | null = null;
  private settle: TimerHandle | null = null;
  private stopped = false;
  private readonly clock: Clock;

  constructor(
    private readonly cfg: ServerTlsConfig,
    private readonly target: ReloadTarget,
    initial: ServingSet,
    private readonly deps: TlsReloaderDeps,
  ) {
    super();
    this.clock = deps.clock ?? realClock;
    this.applied = initial.hash;
    this.expose(initial);
  }

  start(): void {
    if (this.deps.watch !== false) {
      const dirs = new Set([this.cfg.certFile, this.cfg.keyFile, this.cfg.clientCAFile].filter((f): f is string => f !== null).map((f) => dirname(f)));
      for (const dir of dirs) {
        try {
          const w = watch(dir, { persistent: false }, () => this.soon());
          w.on('error', () => w.close()); // the directory went away: the poll still runs
          this.watchers.push(w);
        } catch (err) {
          this.deps.logger.warn({ err: (err as Error).message }, 'tls: cannot watch a certificate directory; polling only');
        }
      }
    }
    this.schedulePoll();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.poll !== null) this.clock.clearTimeout(this.poll);
    if (this.settle !== null) this.clock.clearTimeout(this.settle);
    this.poll = null;
    this.settle = null;
  }

  /** Reads the files now; applies them when their content changed and they can be used. */
  check(): CheckResult {
    let files: ReturnType<typeof readFiles> | null = null;
    let set: ServingSet;
    try {
      files = readFiles(this.cfg);
      if (files.hash === this.applied || files.hash === this.refused) return 'unchanged';
      set = servingSet(this.cfg, files);
      this.target.setSecureContext(set.context);
    } catch (err) {
      const state = files?.hash ?? `unreadable:${(err as Error).message}`;
      if (state === this.refused) return 'unchanged';
      this.refused = state;
      this.deps.metrics.reloadFailures.inc();
      this.deps.logger.error({ err: (err as Error).message }, 'tls: the changed certificate files cannot be used; still serving the previous certificate');
      this.emit('failed', err);
      return 'failed';
    }
    this.applied = set.hash;
    this.refused = null;
    this.expose(set);
    this.deps.metrics.reloads.inc();
    this.deps.logger.info({ fingerprint256: set.fingerprint256, notAfter: new Date(set.certNotAfterMs).toISOString() }, 'tls: certificate reloaded');
    this.emit('reloaded', set);
    return 'reloaded';
  }

  private expose(set: ServingSet): void {
    this.deps.metrics.certExpiry.set({ cert: 'server' }, Math.floor(set.certNotAfterMs / 1000));
    if (set.caNotAfterMs !== null) this.deps.metrics.certExpiry.set({ cert: 'client-ca' }, Math.floor(set.caNotAfterMs / 1000));
  }

  private soon(): void {
    if (this.stopped || this.settle !== null) return;
    this.settle = this.clock.setTimeout(() => {
      this.settle = null;
      if (!this.stopped) this.check();
    }, SETTLE_MS);
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.poll = this.clock.setTimeout(() => {
      this.check();
      this.schedulePoll();
    }, this.deps.pollMs ?? TLS_POLL_MS);
  }
}
