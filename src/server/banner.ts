/**
 * The start-up banner: one log line per listener with the address the socket is really bound to
 * (not a guess from the config) and the URL to reach it, one line per route with the protections
 * it runs, one for the store, and one warning per risky setting. Operators read this first; it
 * must never claim a protection the configuration does not give.
 */
import type { AddressInfo } from 'node:net';
import type { ModelgateConfig, RouteConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { isLoopbackHost as isLoopback } from '../util/loopback.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** `host:port` as bound, and a URL a local client can use (a wildcard becomes the loopback). */
export function listenerAddress(a: AddressInfo, scheme = 'http'): { bound: string; url: string } {
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const reach = WILDCARDS.has(a.address) ? (a.family === 'IPv6' ? '[::1]' : '127.0.0.1') : host;
  return { bound: `${host}:${a.port}`, url: `${scheme}://${reach}:${a.port}` };
}


/** What a route checks before and after the model server, in the order requests meet it. */
export function routeProtections(r: RouteConfig): string[] {
  const p = ['api-key', `body<=${r.limits.maxBodyBytes}B`];
  if (r.protocol === 'openai-chat' || r.protocol === 'openai-completions') {
    if (r.injection.action !== 'off') p.push(`injection:${r.injection.action}${r.injection.onError === 'fail-open' ? '(fail-open)' : ''}${r.injection.external == null ? '' : '+external'}`);
    p.push(`max_tokens<=${r.limits.maxTokens}`);
  }
  if (r.protocol === 'kserve-v2') p.push('tensor-validation');
  if (r.protocol === 'image-upload') p.push(`image<=${r.limits.maxBytes}B,${r.limits.maxPixels}px`);
  if (r.rateLimits.requests !== null || r.rateLimits.cost !== null) p.push('route-rate-limits');
  if (r.output !== null) {
    if (r.output.types.length > 0) p.push(`output:${r.output.action}(${r.output.types.join(',')})${r.output.onError === 'fail-open' ? '(fail-open)' : ''}`);
    if (r.output.canary !== null || r.output.fragments.length > 0) p.push('leak-detection');
  }
  return p;
}

/** Risky settings, each a sentence an operator can act on. */
export function riskyWarnings(config: ModelgateConfig, adminBound: string): string[] {
  const w: string[] = [];
  if (!isLoopback(config.admin.host)) {
    w.push(config.admin.token === null
      ? `the admin listener is on ${adminBound}, not the loopback, and no admin.token is set: /metrics is readable by anyone who reaches it (/admin/* is off without a token)`
      : `the admin listener is on ${adminBound}, not the loopback: keep its port away from clients (NetworkPolicy/firewall)`);
  } else if (WILDCARDS.has(config.server.host) || !isLoopback(config.server.host)) {
    w.push(`the admin listener is on the loopback (${adminBound}): /metrics, /healthz and /readyz are unreachable from outside this host or container; set admin.host: 0.0.0.0 (with a token and a NetworkPolicy) for probes and Prometheus`);
  }
  if (config.server.tls === null && config.server.trustedProxies.length === 0 && !isLoopback(config.server.host)) {
    w.push('no TLS and no trusted proxy: keys travel in clear text unless something in front terminates TLS (then list it in server.trustedProxies)');
  }
  if (config.store.onError === 'fail-open') w.push('store.onError is fail-open: while the store is unreachable, rate limits and budgets are not enforced');
  for (const r of config.routes) {
    if (r.injection.onError === 'fail-open' && r.injection.action !== 'off') w.push(`route ${r.path}: injection.onError is fail-open`);
    const ext = r.injection.action === 'off' ? null : r.injection.external ?? null;
    if (ext?.onError === 'fail-open') w.push(`route ${r.path}: injection.external.onError is fail-open: while the external detector is slow or down, only the local layers check prompts`);
    if (r.injection.debugHeader === true && r.injection.action !== 'off') w.push(`route ${r.path}: injection.debugHeader is on: every response shows its injection score (for testing only)`);
    if (r.output?.onError === 'fail-open') w.push(`route ${r.path}: output.onError is fail-open`);
  }
  return w;
}

export function logBanner(logger: Logger, config: ModelgateConfig, pub: AddressInfo, admin: AddressInfo, scheme = 'http'): void {
  const p = listenerAddress(pub, scheme);
  const a = listenerAddress(admin);
  logger.info({ listener: 'public', bound: p.bound, url: p.url }, `modelgate listening on ${p.bound} (${p.url})`);
  logger.info({ listener: 'admin', bound: a.bound, url: a.url, adminApi: config.admin.token !== null }, `admin listening on ${a.bound} (${a.url}/metrics, /healthz, /readyz${config.admin.token === null ? '' : ', /admin/*'})`);
  for (const r of config.routes) {
    logger.info({ route: r.path, protocol: r.protocol, upstream: r.upstream, protections: routeProtections(r) }, `route ${r.path}`);
  }
  logger.info({ store: config.store.kind, onError: config.store.onError }, `store: ${config.store.kind}${config.store.kind === 'redis' ? ` (onError ${config.store.onError})` : ' (this replica only)'}`);
  for (const warning of riskyWarnings(config, a.bound)) logger.warn({ risk: true }, warning);
}
