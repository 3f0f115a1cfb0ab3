/**
 * `upstreams.*.breaker` and `upstreams.*.healthCheck`: defaults, resolution and the checks the
 * schema cannot express (each problem with its YAML path).
 *
 * The breaker is ON by default (a gateway in front of GPU servers should stop sending traffic to
 * one that fails), with Envoy-like thresholds. `maxEjectedPercent: 50` means an upstream with a
 * single target is never ejected by default (there is nowhere else to send its traffic); set it to
 * 100 to fail fast with 503 MG_UPSTREAM_UNAVAILABLE instead. Health checks are off unless
 * configured: the path depends on the model server.
 */
import type { RawUpstream } from './schema.js';
import type { BreakerConfig, HealthCheckConfig } from './types.js';
import { durationMs } from './units.js';

export const DEFAULT_BREAKER: Readonly<BreakerConfig> = Object.freeze({
  consecutive5xx: 5,
  consecutiveGatewayErrors: 3,
  successRate: null,
  openForMs: 30_000,
  maxOpenForMs: 300_000,
  maxEjectedPercent: 50,
});

export const DEFAULT_HEALTH_CHECK = Object.freeze({ intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 1, unhealthyThreshold: 2 });

interface Problem { path: string; message: string; }
type RawBreaker = NonNullable<RawUpstream['breaker']>;
type RawHealth = NonNullable<RawUpstream['healthCheck']>;
const ms = (d: RawBreaker['openFor'], dflt: number): number => (d === undefined ? dflt : durationMs(d));

export function resolveBreaker(raw: RawBreaker | undefined, path: string, problems: Problem[]): BreakerConfig | null {
  if (raw?.enabled === false) return null;
  const b = raw ?? {};
  const out: BreakerConfig = {
    consecutive5xx: b.consecutive5xx ?? DEFAULT_BREAKER.consecutive5xx,
    consecutiveGatewayErrors: b.consecutiveGatewayErrors ?? DEFAULT_BREAKER.consecutiveGatewayErrors,
    successRate: b.successRate === undefined ? null : {
      minimum: b.successRate.minimum,
      requestVolume: b.successRate.requestVolume,
      windowMs: durationMs(b.successRate.window),
    },
    openForMs: ms(b.openFor, DEFAULT_BREAKER.openForMs),
    maxOpenForMs: ms(b.maxOpenFor, Math.max(DEFAULT_BREAKER.maxOpenForMs, b.openFor === undefined ? 0 : durationMs(b.openFor))),
    maxEjectedPercent: b.maxEjectedPercent ?? DEFAULT_BREAKER.maxEjectedPercent,
  };
  if (out.openForMs <= 0) problems.push({ path: `${path}.openFor`, message: 'must be longer than 0' });
  if (out.maxOpenForMs < out.openForMs) problems.push({ path: `${path}.maxOpenFor`, message: 'must be at least openFor' });
  if (out.successRate !== null && out.successRate.windowMs <= 0) problems.push({ path: `${path}.successRate.window`, message: 'must be longer than 0' });
  return out;
}

export function resolveHealthCheck(raw: RawHealth | undefined, path: string, problems: Problem[]): HealthCheckConfig | null {
  if (raw === undefined) return null;
  const out: HealthCheckConfig = {
    path: raw.path,
    intervalMs: ms(raw.interval, DEFAULT_HEALTH_CHECK.intervalMs),
    timeoutMs: ms(raw.timeout, Math.min(DEFAULT_HEALTH_CHECK.timeoutMs, raw.interval === undefined ? Infinity : Math.floor(durationMs(raw.interval) / 2))),
    healthyThreshold: raw.healthyThreshold ?? DEFAULT_HEALTH_CHECK.healthyThreshold,
    unhealthyThreshold: raw.unhealthyThreshold ?? DEFAULT_HEALTH_CHECK.unhealthyThreshold,
  };
  if (out.intervalMs <= 0) problems.push({ path: `${path}.interval`, message: 'must be longer than 0' });
  if (out.timeoutMs <= 0) problems.push({ path: `${path}.timeout`, message: 'must be longer than 0' });
  else if (out.timeoutMs >= out.intervalMs) problems.push({ path: `${path}.timeout`, message: 'must be shorter than interval' });
  return out;
}
