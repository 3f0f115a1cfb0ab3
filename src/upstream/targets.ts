/**
 * Upstream targets: one undici Pool per target with keep-alive, round-robin between targets.
 * A target that refuses the connection is skipped for that request (the request was never sent,
 * so trying the next one is safe); health tracking with ejection arrives with the breaker.
 */
import { Pool } from 'undici';
import type { UpstreamConfig } from '../config/types.js';

export interface Target { url: URL; origin: string; pool: Pool; }

export class UpstreamTargets {
  readonly config: UpstreamConfig;
  readonly targets: Target[];
  private next = 0;

  constructor(config: UpstreamConfig) {
    this.config = config;
    this.targets = config.targets.map((url) => ({
      url,
      origin: url.origin,
      pool: new Pool(url.origin, {
        connections: config.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: config.connectTimeoutMs },
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      }),
    }));
  }

  /** The targets in the order this request should try them. */
  order(): Target[] {
    const n = this.targets.length;
    if (n === 1) return this.targets;
    const start = this.next;
    this.next = (this.next + 1) % n;
    const out: Target[] = [];
    for (let i = 0; i < n; i++) out.push(this.targets[(start + i) % n] as Target);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.pool.close().catch(() => undefined)));
  }
}
