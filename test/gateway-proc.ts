/**
 * A gateway in its own process, so a test can measure the gateway's memory without its own
 * (clients, simulators) counting. Run by `startGatewayProcess(yaml)`; the child starts the
 * gateway from the YAML, reports its URL, and answers memory questions over IPC:
 *
 *   { q: 'rss' }   → { rss }        after a full GC (resident set, bytes)
 *   { q: 'peak' }  → { peak }       highest RSS sampled every 5 ms since the last 'peak'
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigText } from '../src/config/load.js';
import { createGateway } from '../src/server/gateway.js';
import { createLogger } from '../src/observability/logger.js';

/** A one-key, one-upstream (`llm`) configuration with a chat route and `moreRoutes` (YAML list items). */
export function gatewayYaml(keyHash: string, target: string, moreRoutes = ''): string {
  return `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
auth: { keys: [ { id: k, hash: "${keyHash}" } ] }
upstreams:
  llm: { targets: ["${target}"], timeout: 60s }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
${moreRoutes}`;
}

interface Reply { url?: string; rss?: number; peak?: number; error?: string }

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  rss(): Promise<number>;
  /** Peak RSS since the previous call (or start). */
  peak(): Promise<number>;
  close(): Promise<void>;
}

export async function startGatewayProcess(yaml: string): Promise<GatewayProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['child'], { execArgv: ['--expose-gc'], env: { ...process.env, MG_TEST_YAML: yaml }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ask = (q: string): Promise<Reply> => new Promise((resolve, reject) => {
    const exited = (code: number | null): void => reject(new Error(`gateway process exited (${code})`));
    child.once('exit', exited);
    child.once('message', (m) => {
      child.off('exit', exited);
      resolve(m as Reply);
    });
    if (q !== '') child.send({ q });
  });
  const first = await ask('');
  if (first.url === undefined) throw new Error(`gateway process failed: ${first.error}`);
  return {
    url: first.url,
    child,
    rss: async () => (await ask('rss')).rss as number,
    peak: async () => (await ask('peak')).peak as number,
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function runChild(): Promise<void> {
  const send = (m: Reply): void => { process.send?.(m); };
  try {
    const gw = createGateway(loadConfigText(process.env.MG_TEST_YAML ?? ''), { logger: createLogger('error'), defaultMetrics: false });
    await gw.start();
    let peak = process.memoryUsage().rss;
    setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5).unref();
    process.on('message', (m: { q: string }) => {
      if (m.q === 'rss') {
        globalThis.gc?.();
        send({ rss: process.memoryUsage().rss });
      } else if (m.q === 'peak') {
        const p = Math.max(peak, process.memoryUsage().rss);
        peak = process.memoryUsage().rss;
        send({ peak: p });
      }
    });
    process.once('SIGTERM', () => { void gw.close().then(() => process.exit(0)); });
    send({ url: gw.url });
  } catch (err) {
    send({ error: (err as Error).message });
    process.exit(1);
  }
}

if (process.argv[2] === 'child') void runChild();
