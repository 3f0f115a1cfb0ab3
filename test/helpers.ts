/**
 * Test helpers: a real simulator and a real gateway on free ports, a captured log, and small
 * HTTP helpers. Everything talks over real sockets on 127.0.0.1.
 */
import { Writable } from 'node:stream';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';

export interface Stack {
  gw: Gateway;
  sim: Simulator;
  key: string;
  /** Keys of `extraKeys`, by id. */
  keys: Record<string, string>;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** YAML for `routes:` (indented list), replacing the default chat/completions/embeddings routes. */
  routes?: string;
  /** Extra keys of the server mapping, as inline YAML (e.g. "hsts: true"). */
  server?: string;
  /** Extra keys of the admin mapping, as inline YAML (e.g. "token: xyz"). */
  admin?: string;
  /** Extra top-level YAML appended. */
  extra?: string;
  /** upstreams.llm.timeout (default 5s). */
  timeout?: string;
  /** Extra YAML under upstreams.llm. */
  upstream?: string;
  sim?: SimulatorOptions;
  logLevel?: string;
  /** Tier of the main key (id test-key). */
  tier?: string;
  /** More keys: id → tier (or null). */
  extraKeys?: Record<string, string | null>;
  /** Top-level YAML blocks for tiers:, perIp:, store: … */
  limits?: string;
  /** Node's process metrics on /metrics too (default false). */
  defaultMetrics?: boolean;
  /** YAML appended under `auth:` (keyStore, …). */
  auth?: string;
  /** More createGateway options (a clock, a ban store, key sync clock, …). */
  gateway?: Omit<GatewayOptions, 'logger'>;
  /** YAML of each extra key's scope, by id (e.g. "routes: [/v1/completions]"). */
  keyScopes?: Record<string, string>;
}

export const DEFAULT_ROUTES = `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 100kb, maxMessages: 50, maxMessageChars: 10000, maxTotalChars: 30000, maxTokens: 4096 }
    injection: { action: block }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm }
  - { path: /v1/embeddings, protocol: openai-embeddings, upstream: llm }
`;

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator(opts.sim ?? {});
  const key = generateKey();
  const keys: Record<string, string> = {};
  let keyLines = `    - { id: test-key, hash: "${keyHashLine(key)}"${opts.tier === undefined ? '' : `, tier: ${opts.tier}`} }\n`;
  for (const [id, tier] of Object.entries(opts.extraKeys ?? {})) {
    keys[id] = generateKey();
    const scope = opts.keyScopes?.[id];
    keyLines += `    - { id: ${id}, hash: "${keyHashLine(keys[id] as string)}"${tier === null ? '' : `, tier: ${tier}`}${scope === undefined ? '' : `, ${scope}`} }\n`;
  }
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const yaml = `
server: { host: 127.0.0.1, port: 0${opts.server === undefined ? '' : `, ${opts.server}`} }
admin: { host: 127.0.0.1, port: 0${opts.admin === undefined ? '' : `, ${opts.admin}`} }
auth:
${opts.auth ?? ''}
  keys:
${keyLines}upstreams:
  llm:
    targets: ["${sim.url}"]
    timeout: ${opts.timeout ?? '5s'}
${opts.upstream ?? ''}
routes:${opts.routes ?? DEFAULT_ROUTES}
${opts.extra ?? ''}
${opts.limits ?? ''}
`;
  let gw: Gateway;
  try {
    gw = createGateway(loadConfigText(yaml), { defaultMetrics: opts.defaultMetrics ?? false, ...opts.gateway, logger: createLogger(opts.logLevel ?? 'info', sink) });
    await gw.start();
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    gw, sim, key, keys, url: gw.url, logs,
    async close() {
      await gw.close();
      await sim.close();
    },
  };
}

export interface RawResponse { status: number; headers: IncomingHttpHeaders; body: string; json: unknown; }

function toRaw(status: number, headers: IncomingHttpHeaders, body: string): RawResponse {
  let json: unknown = undefined;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  return { status, headers, body, json };
}

/** A request with node:http, so tests control framing (chunked bodies, odd headers). */
export function rawRequest(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string | number | string[]>; body?: Buffer | string | (Buffer | string)[] },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(toRaw(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = opts.body;
    if (Array.isArray(body)) for (const part of body) req.write(part);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A JSON POST with fetch. */
export async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const h: IncomingHttpHeaders = {};
  res.headers.forEach((v, k) => { h[k] = v; });
  return toRaw(res.status, h, text);
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export function chat(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'sim-llm', messages: [{ role: 'user', content }], max_tokens: 8, ...extra };
}

/** The error code of an OpenAI-shaped error body. */
export function codeOf(r: RawResponse): string | undefined {
  return (r.json as { error?: { code?: string } } | undefined)?.error?.code;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
