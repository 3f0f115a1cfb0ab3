/**
 * TLS cost on the public listener (numbers for docs/benchmarks.md), three gateways side by side
 * in one run, requests interleaved round robin so that machine load hits all three alike:
 *
 * - new connection: connect + handshake + one request (an authenticated completion against the
 *   simulator) + close, p50/p99 for plain HTTP, TLS, and mutual TLS (client certificate verified
 *   and mapped to a client on an `auth: mtls` route);
 * - keep-alive: the same request on one open connection, p50/p99 per variant.
 *
 *   node dist/bench/tls.js          (MG_BENCH_TLS_N=300 requests per variant and kind)
 */
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { cpus } from 'node:os';
import { loadConfigText } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { startSimulator } from '../src/simulator/index.js';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { CertDir, haveOpenssl } from '../test/certs.js';
import { envNum } from './procs.js';
import { percentile } from './pii-speed.js';

if (!haveOpenssl()) process.exit(0);
const N = envNum('MG_BENCH_TLS_N', 300, true);
const dir = new CertDir();
const ca = dir.ca('ca');
const server = dir.server('server', ca);
const client = dir.leaf('client', ca, { cn: 'bench', sans: ['URI:spiffe://bench/client'] });
const sim = await startSimulator({});
const key = generateKey();

async function gateway(tls: string, auth: string): Promise<Gateway> {
  const gw = createGateway(loadConfigText(`
server: { host: 127.0.0.1, port: 0${tls} }
admin: { host: 127.0.0.1, port: 0 }
auth:
  keys: [ { id: bench, hash: "${keyHashLine(key)}" } ]
${auth === 'mtls' ? '  clients: [ { id: bench-client, san: "spiffe://bench/client" } ]' : ''}
upstreams: { llm: { targets: ["${sim.url}"] } }
routes: [ { path: /v1/completions, protocol: openai-completions, upstream: llm, auth: ${auth} } ]
logging: { level: silent }
`), { logger: createLogger('silent'), defaultMetrics: false });
  await gw.start();
  return gw;
}

const tlsKeys = `, tls: { cert: ${server.certFile}, key: ${server.keyFile}`;
const variants = [
  { name: 'plain', gw: await gateway('', 'key'), tls: false, cert: false },
  { name: 'TLS', gw: await gateway(`${tlsKeys} }`, 'key'), tls: true, cert: false },
  { name: 'mTLS', gw: await gateway(`${tlsKeys}, clientCA: ${ca.certFile}, requireClientCert: true }`, 'mtls'), tls: true, cert: true },
];
const body = JSON.stringify({ model: 'sim-llm', prompt: 'hi', max_tokens: 1 });

function once(v: typeof variants[number], agent: HttpAgent | false): Promise<number> {
  const u = new URL(v.gw.url);
  const opts: RequestOptions & Record<string, unknown> = {
    host: u.hostname, port: u.port, path: '/v1/completions', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(v.cert ? {} : { authorization: `Bearer ${key}` }) },
    ...(v.tls ? { ca: ca.cert, servername: 'localhost' } : {}),
    ...(v.cert ? { cert: client.cert, key: client.key } : {}),
  };
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = (v.tls ? httpsRequest : httpRequest)(opts, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${v.name}: status ${res.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const stats = (xs: number[]): string => {
  xs.sort((a, b) => a - b);
  return `p50 ${percentile(xs, 0.5).toFixed(2)} ms, p99 ${percentile(xs, 0.99).toFixed(2)} ms`;
};

const fresh = variants.map(() => [] as number[]);
const kept = variants.map(() => [] as number[]);
const agents = variants.map((v) => v.tls
  ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ca.cert, ...(v.cert ? { cert: client.cert, key: client.key } : {}) })
  : new HttpAgent({ keepAlive: true, maxSockets: 1 }));
// Warm-up (JIT, the keep-alive connections), then measured rounds, interleaved.
for (let i = 0; i < 20; i++) for (const [j, v] of variants.entries()) { await once(v, false); await once(v, agents[j] as HttpAgent); }
for (let i = 0; i < N; i++) {
  for (const [j, v] of variants.entries()) {
    (fresh[j] as number[]).push(await once(v, false));
    (kept[j] as number[]).push(await once(v, agents[j] as HttpAgent));
  }
}
console.log(`TLS on the public listener — ${N} requests per variant and kind, interleaved; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`);
for (const [j, v] of variants.entries()) {
  console.log(`  ${v.name.padEnd(5)} new connection: ${stats(fresh[j] as number[])}   keep-alive: ${stats(kept[j] as number[])}`);
}
for (const a of agents) a.destroy();
for (const v of variants) await v.gw.close();
await sim.close();
dir.close();
