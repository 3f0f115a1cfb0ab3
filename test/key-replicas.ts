/**
 * N real gateway processes with the admin key API, sharing one Redis (the key-lifecycle tests and
 * bench/keys.ts): free ports, started and waited for through /readyz, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyHashLine } from '../src/cli/keys.js';
import { freePort } from './gateway-replicas.js';
import { bearer, chat, codeOf, post } from './helpers.js';

export const ADMIN_TOKEN = 'replica-admin-token-0123456789';

export interface KeyReplicas {
  urls: string[];
  adminUrls: string[];
  /** The config key (id cfg) every replica has. */
  configKey: string;
  close(): Promise<void>;
}

async function waitReady(adminUrl: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited during start: ${stderr()}`);
    try { if ((await fetch(`${adminUrl}/readyz`)).status === 200) return; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startKeyReplicas(redisUrl: string, simUrl: string, n = 3): Promise<KeyReplicas> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-key-replicas-'));
  const configKey = generateKey();
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  const adminUrls: string[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.once('exit', () => { clearTimeout(t); resolve(); });
      p.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const [port, adminPort] = [await freePort(), await freePort()];
      const file = join(dir, `gw${i}.yaml`);
      writeFileSync(file, `
server: { host: 127.0.0.1, port: ${port}, shutdown: { delay: 0s, timeout: 5s } }
admin: { host: 127.0.0.1, port: ${adminPort}, token: "${ADMIN_TOKEN}" }
store: { kind: redis, url: "${redisUrl}", timeout: 250ms }
auth: { keys: [ { id: cfg, hash: "${keyHashLine(configKey)}" } ] }
upstreams: { llm: { targets: ["${simUrl}"] } }
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm }
logging: { level: error }
`);
      let err = '';
      const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => { err = (err + d).slice(-4000); });
      procs.push(child);
      adminUrls[i] = `http://127.0.0.1:${adminPort}`;
      await waitReady(adminUrls[i] as string, child, () => err);
      urls[i] = `http://127.0.0.1:${port}`;
    }));
  } catch (err) {
    await close();
    throw err;
  }
  return { urls, adminUrls, configKey, close };
}

export async function adminCall(adminUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${adminUrl}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
}

/** The status and code one chat request with `key` gets from `url`. */
export async function tryKey(url: string, key: string, path = '/v1/chat/completions'): Promise<{ status: number; code: string | undefined }> {
  const body = path === '/v1/completions' ? { model: 'm', prompt: 'hi', max_tokens: 2 } : chat('hi', { max_tokens: 2 });
  const r = await post(url, path, body, bearer(key));
  return { status: r.status, code: codeOf(r) };
}
