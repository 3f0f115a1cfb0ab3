/**
 * The simulator and one modelgate process with the benchmark configuration (chat-config.ts),
 * started for the single-gateway benchmarks (bench/profile.ts, bench/soak.ts).
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { chatConfigYaml, minimalConfigYaml } from './chat-config.js';
import { BENCH_DIR, CHAT_PATH, CLI_JS, firstJsonLine, freePort, httpGetStatus, spawnProc, waitUntil, type Proc } from './procs.js';

export interface ChatGateway {
  gw: Proc;
  /** The chat URL and the headers of an authenticated JSON request. */
  url: string;
  headers: Record<string, string>;
}

/** `nodeArgs` go before the CLI (e.g. --cpu-prof); the access log goes to `logFile`. */
export async function startChatGateway(dir: string, logFile: string, nodeArgs: string[] = []): Promise<ChatGateway> {
  const sim = spawnProc('simulator', process.execPath, [join(BENCH_DIR, 'sim-proc.js')]);
  const simInfo = (await firstJsonLine(sim)) as { url: string };
  const key = generateKey();
  const port = await freePort();
  const adminPort = await freePort();
  const yaml = join(dir, 'modelgate.yaml');
  const opts = {
    port, adminPort, hash: keyHashLine(key), sim: simInfo.url,
    logLevel: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info', injection: process.env.BENCH_GATEWAY_INJECTION ?? 'block',
  };
  // BENCH_GATEWAY_CONFIG=minimal: the chat route with auth only (the bench's modelgate-min target).
  writeFileSync(yaml, process.env.BENCH_GATEWAY_CONFIG === 'minimal' ? minimalConfigYaml(opts) : chatConfigYaml(opts));
  const fd = openSync(logFile, 'w');
  const gw = spawnProc('modelgate', process.execPath, [...nodeArgs, CLI_JS, 'start', '--config', yaml], { stdout: fd });
  closeSync(fd);
  await waitUntil('modelgate /readyz', async () => (await httpGetStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200, gw);
  return { gw, url: `http://127.0.0.1:${port}${CHAT_PATH}`, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
}
