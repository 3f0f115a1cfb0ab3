/**
 * nginx as the seeds guard an LLM server, WITH their request-count limit in force (bench/run.ts
 * sets it so high that it never throttles; the attack benchmark needs the real thing): the same
 * config as bench/nginx.ts with `limit_req` at a real rate and burst (nodelay), keyed either by
 * client address (the seeds' config) or by the Authorization header (a per-key variant).
 * Refusals are nginx's default 503.
 */
import { startNginx } from './nginx.js';
import type { Proc } from './procs.js';

export interface AttackNginxOptions {
  dir: string;
  port: number;
  /** host:port of the simulator. */
  upstream: string;
  apiKeys: string[];
  /** `ip`: limit_req per $binary_remote_addr (the seeds); `key`: per $http_authorization. */
  limitBy: 'ip' | 'key';
  rate: number;
  burst: number;
}

export function startAttackNginx(bin: string, o: AttackNginxOptions): Proc {
  return startNginx(bin, {
    dir: o.dir, port: o.port, upstream: o.upstream, apiKeys: o.apiKeys, accessLog: false,
    limit: { by: o.limitBy, rate: o.rate, burst: o.burst }, name: `nginx (${o.limitBy})`,
  }).proc;
}
