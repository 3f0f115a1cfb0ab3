/**
 * The open-source Portkey AI gateway (npm `@portkey-ai/gateway`) as a second peer in the
 * benchmark: installed by the benchmark with `npm install --prefix` into a cache folder outside
 * the project's dependencies (BENCH_PORTKEY_DIR, default ~/.cache/modelgate-bench/portkey),
 * started headless on a free port, and configured per request (headers) to proxy the same
 * simulator as provider "openai" with a custom host, with no guardrails, cache or retries.
 *
 * When it cannot be installed or does not start, `startPortkey` returns a reason and the
 * benchmark prints it as a notice and leaves the column out.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort, runToEnd, spawnProc, waitUntil, httpGetStatus, type Proc } from './procs.js';

export const PORTKEY_PACKAGE = '@portkey-ai/gateway';

export function portkeyDir(): string {
  const env = process.env.BENCH_PORTKEY_DIR;
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'modelgate-bench', 'portkey');
}

function entry(dir: string): string {
  return join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
}

/** Installs the package into the cache folder unless it is there already. Returns a reason on failure. */
export async function ensurePortkey(dir = portkeyDir()): Promise<{ entry: string; version: string } | { error: string }> {
  if (!existsSync(entry(dir))) {
    mkdirSync(dir, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    try {
      await runToEnd('npm install portkey', npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', PORTKEY_PACKAGE]);
    } catch (err) {
      return { error: `npm install ${PORTKEY_PACKAGE} failed: ${(err instanceof Error ? err.message : String(err)).split('\n').slice(-3).join(' ')}` };
    }
    if (!existsSync(entry(dir))) return { error: `${PORTKEY_PACKAGE} installed without build/start-server.js` };
  }
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(join(dir, 'node_modules', '@portkey-ai', 'gateway', 'package.json'), 'utf8')) as { version?: string }).version ?? version;
  } catch {
    /* version stays unknown */
  }
  return { entry: entry(dir), version };
}

/** Headers that make Portkey proxy a request to `simUrl` (OpenAI-compatible) unchanged. */
export function portkeyHeaders(simUrl: string): Record<string, string> {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${simUrl}/v1` };
}

/** Starts the gateway (headless, production mode: no UI, no request log page). */
export async function startPortkey(): Promise<{ proc: Proc; origin: string; version: string } | { error: string }> {
  const inst = await ensurePortkey();
  if ('error' in inst) return inst;
  const port = await freePort();
  const proc = spawnProc('portkey', process.execPath, [inst.entry, `--port=${port}`, '--headless'], {
    stdout: 'ignore',
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port) },
  });
  try {
    await waitUntil('portkey /', async () => (await httpGetStatus(`http://127.0.0.1:${port}/`)) === 200, proc, 30_000);
  } catch (err) {
    return { error: `Portkey did not start: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { proc, origin: `http://127.0.0.1:${port}`, version: inst.version };
}
