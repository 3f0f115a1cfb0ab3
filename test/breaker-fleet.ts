/**
 * Real components for the breaker and health-check tests and bench/breaker.ts: N bundled
 * simulators on fixed ports that can be killed and brought back on the same port, a gateway in
 * front of them (in this process, its logs captured), steady load from a real HTTP client, and
 * the gateway's target metrics.
 */
import { Writable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RecordedRequest, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { bearer, chat, codeOf, post } from './helpers.js';

export const CHAT = '/v1/chat/completions';

export interface Fleet {
  /** The live simulator of each target (the last one started for it). */
  sims: Simulator[];
  urls: string[];
  /** Requests target i received over all its lives that match `pred`. */
  received(i: number, pred?: (r: RecordedRequest) => boolean): number;
  kill(i: number): Promise<void>;
  /** A fresh simulator on target i's port (the same options). */
  revive(i: number): Promise<void>;
  close(): Promise<void>;
}

export const isChat = (r: RecordedRequest): boolean => r.method === 'POST' && r.path === CHAT;

export async function startFleet(n: number, opts: SimulatorOptions = {}): Promise<Fleet> {
  const sims: Simulator[] = [];
  for (let i = 0; i < n; i++) sims.push(await startSimulator(opts));
  const past: RecordedRequest[][] = sims.map(() => []);
  const dead = new Set<number>();
  const at = (i: number): Simulator => sims[i] as Simulator;
  return {
    sims,
    urls: sims.map((s) => s.url),
    received(i, pred = () => true) {
      const live = dead.has(i) ? [] : at(i).requests;
      return [...(past[i] ?? []), ...live].filter(pred).length;
    },
    async kill(i) {
      dead.add(i);
      past[i]?.push(...at(i).requests);
      await at(i).close();
    },
    async revive(i) {
      sims[i] = await startSimulator({ ...opts, port: at(i).port });
      dead.delete(i);
    },
    async close() {
      await Promise.all(sims.map((s, i) => (dead.has(i) ? undefined : s.close())));
    },
  };
}

export interface BreakerGateway {
  gw: Gateway;
  url: string;
  key: string;
  /** Keys of `extraKeys`, by id. */
  keys: Record<string, string>;
  logs: string[];
  close(): Promise<void>;
}

export interface BreakerGatewayOptions {
  /** YAML lines under upstreams.llm (indented 4), e.g. breaker and healthCheck. */
  upstream: string;
  /** Top-level YAML (tiers…). */
  extra?: string;
  /** Tier of the main key. */
  tier?: string;
  extraKeys?: Record<string, string | null>;
  logLevel?: string;
}

export async function startBreakerGateway(urls: string[], o: BreakerGatewayOptions): Promise<BreakerGateway> {
  const key = generateKey();
  const keys: Record<string, string> = {};
  let keyLines = `    - { id: main, hash: "${keyHashLine(key)}"${o.tier === undefined ? '' : `, tier: ${o.tier}`} }\n`;
  for (const [id, tier] of Object.entries(o.extraKeys ?? {})) {
    keys[id] = generateKey();
    keyLines += `    - { id: ${id}, hash: "${keyHashLine(keys[id] as string)}"${tier === null ? '' : `, tier: ${tier}`} }\n`;
  }
  const logs: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } });
  const gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth:
  keys:
${keyLines}upstreams:
  llm:
    targets: [${urls.map((u) => `"${u}"`).join(', ')}]
    timeout: 10s
${o.upstream}
routes:
  - { path: ${CHAT}, protocol: openai-chat, upstream: llm }
${o.extra ?? ''}
`), { logger: createLogger(o.logLevel ?? 'info', sink), defaultMetrics: false });
  await gw.start();
  return { gw, url: gw.url, key, keys, logs, close: () => gw.close() };
}

/** modelgate_upstream_target_up of one target (undefined: no series). */
export async function targetUp(gw: Gateway, origin: string): Promise<number | undefined> {
  return (await gw.metrics.targetUp.get()).values.find((v) => v.labels.target === origin)?.value;
}

/** modelgate_upstream_ejections_total of one target (all reasons, or one). */
export async function ejections(gw: Gateway, origin: string, reason?: string): Promise<number> {
  return (await gw.metrics.ejections.get()).values
    .filter((v) => v.labels.target === origin && (reason === undefined || v.labels.reason === reason))
    .reduce((n, v) => n + v.value, 0);
}

/** Log lines (parsed) whose message is `msg`. */
export function logLines(logs: readonly string[], msg: string): Record<string, unknown>[] {
  return logs.filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface LoadResult { status: number; code: string | undefined; retryAfter: string | undefined; at: number; ms: number; }

/** Steady load: `concurrency` clients, each sending the next chat request when its last is answered. */
export class SteadyLoad {
  readonly results: LoadResult[] = [];
  private stopped = false;
  private readonly workers: Promise<void>[];

  constructor(url: string, key: string, concurrency: number) {
    this.workers = Array.from({ length: concurrency }, async () => {
      while (!this.stopped) {
        const t0 = performance.now();
        try {
          const r = await post(url, CHAT, chat('hello'), bearer(key));
          this.results.push({ status: r.status, code: codeOf(r), retryAfter: r.headers['retry-after'] as string | undefined, at: t0, ms: performance.now() - t0 });
        } catch {
          this.results.push({ status: 0, code: 'client-error', retryAfter: undefined, at: t0, ms: performance.now() - t0 });
        }
      }
    });
  }

  failures(from = 0): LoadResult[] { return this.results.slice(from).filter((r) => r.status !== 200); }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }
}

/**
 * A model server the test controls exactly: POST answers wait while `hold` is on and answer
 * `status` (200 with an OpenAI chat body, or an error); every request is counted by method+path.
 */
export interface ControlledUpstream {
  url: string;
  server: Server;
  status: number;
  hold: boolean;
  counts: Map<string, number>;
  /** POSTs that have arrived and wait for `release()`. */
  waiting: number;
  release(): void;
  close(): Promise<void>;
}

export async function startControlledUpstream(): Promise<ControlledUpstream> {
  let waiters: (() => void)[] = [];
  const up: ControlledUpstream = {
    url: '', server: createServer(), status: 200, hold: false, counts: new Map(), waiting: 0,
    release() {
      const w = waiters;
      waiters = [];
      up.waiting = 0;
      for (const f of w) f();
    },
    close: () => new Promise<void>((r) => { up.server.closeAllConnections(); up.server.close(() => r()); }),
  };
  up.server.on('request', (req, res) => {
    const key = `${req.method ?? ''} ${req.url ?? ''}`;
    up.counts.set(key, (up.counts.get(key) ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      const answer = (): void => {
        if (req.method !== 'POST' || up.status === 200) {
          const out = JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
          return void res.end(out);
        }
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"failing"}}');
      };
      if (req.method === 'POST' && up.hold) {
        up.waiting++;
        waiters.push(answer);
      } else answer();
    });
  });
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(up.server.address() as AddressInfo).port}`;
  return up;
}
