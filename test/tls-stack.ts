/**
 * A gateway with TLS on its public listener in front of a real simulator, from a YAML config the
 * test writes (server.tls, auth.clients, route auth), plus an HTTPS request helper that can
 * present a client certificate. Everything over real sockets on 127.0.0.1.
 */
import { Writable } from 'node:stream';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import type { RawResponse } from './helpers.js';

export interface TlsStack {
  gw: Gateway;
  sim: Simulator;
  key: string;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

/** `config(simUrl, keyHash)` returns the whole YAML. */
export async function startTlsStack(config: (simUrl: string, keyHash: string) => string, sim: SimulatorOptions = {}): Promise<TlsStack> {
  const s = await startSimulator(sim);
  const key = generateKey();
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  let gw: Gateway;
  try {
    gw = createGateway(loadConfigText(config(s.url, keyHashLine(key))), { logger: createLogger('info', sink), defaultMetrics: false });
    await gw.start();
  } catch (err) {
    await s.close();
    throw err;
  }
  return {
    gw, sim: s, key, url: gw.url, logs,
    async close() {
      await gw.close();
      await s.close();
    },
  };
}

export interface TlsClientOptions {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  headers?: Record<string, string>;
  method?: string;
}

/** One request on a fresh TLS connection (agent: false). */
export function httpsCall(url: string, path: string, body: unknown, opts: TlsClientOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest({
      host: u.hostname, port: u.port, path, method: opts.method ?? 'POST', agent: false,
      ca: opts.ca, ...(opts.cert === undefined ? {} : { cert: opts.cert, key: opts.key }),
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as IncomingHttpHeaders, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The lines of the captured log with this message, parsed. */
export function logLines(logs: readonly string[], msg: string): Record<string, unknown>[] {
  return logs.join('').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === msg);
}
