/**
 * Common HTTP clients sending a large body that the gateway refuses early (401 before the body,
 * 413 on the declared size): each run reports what the client read, or how it failed (a reset,
 * EPIPE, curl's exit 55/56, the SDK's APIConnectionError). Shared by
 * test/hostile/refusals-arrive.test.ts and bench/refusals.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import OpenAI from 'openai';

export interface RefusalTarget {
  /** Gateway base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** A chat-completions path. */
  path: string;
  /** The API key sent (a wrong one for the 401 case). */
  key: string;
  /** A file holding `bytes` bytes of body, for the external clients. */
  file: string;
  bytes: number;
}

/** What one request ended with: the status and error code read, or the failure. */
export interface Outcome { status: number; code: string | null; failure: string | null; }

const failed = (failure: string): Outcome => ({ status: 0, code: null, failure });

function codeIn(text: string): string | null {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

const bodies = new Map<number, Buffer>();
function bodyOf(bytes: number): Buffer {
  let b = bodies.get(bytes);
  if (b === undefined) {
    b = Buffer.alloc(bytes, 'a');
    bodies.set(bytes, b);
  }
  return b;
}

export async function viaFetch(t: RefusalTarget): Promise<Outcome> {
  try {
    const r = await fetch(t.url + t.path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` }, body: bodyOf(t.bytes) });
    return { status: r.status, code: codeIn(await r.text()), failure: null };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return failed(`${e.message}: ${e.cause?.code ?? e.cause?.message ?? ''}`);
  }
}

const sdkClients = new Map<string, OpenAI>();
export async function viaOpenAI(t: RefusalTarget): Promise<Outcome> {
  let client = sdkClients.get(t.url + t.key);
  if (client === undefined) {
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.key, maxRetries: 0, timeout: 60_000 });
    sdkClients.set(t.url + t.key, client);
  }
  try {
    await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'a'.repeat(t.bytes) }], max_tokens: 8 });
    return { status: 200, code: null, failure: null };
  } catch (err) {
    if (err instanceof OpenAI.APIError && err.status !== undefined) return { status: err.status, code: err.code ?? null, failure: null };
    return failed(`${(err as Error).constructor.name}: ${(err as Error).message}`);
  }
}

/** curl, with its default `Expect: 100-continue` for large bodies, or with it switched off. */
export function viaCurl(t: RefusalTarget, expectContinue: boolean): Promise<Outcome> {
  const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${t.key}`,
    '-H', expectContinue ? 'Expect: 100-continue' : 'Expect:', '--data-binary', `@${t.file}`, t.url + t.path];
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) return resolve(failed(`curl exit ${String(err.code)}: ${stderr.trim()}`));
      const nl = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(nl + 1)), code: codeIn(stdout.slice(0, nl)), failure: null });
    });
  });
}

export function hasCurl(): boolean {
  return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function hasPythonRequests(): boolean {
  return spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;
}

const PYTHON = `
import json, sys, requests
url, key, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = open(path, 'rb').read()
out = []
for _ in range(n):
    try:
        r = requests.post(url, data=data, headers={'content-type': 'application/json', 'authorization': 'Bearer ' + key}, timeout=60)
        try:
            code = (r.json().get('error') or {}).get('code')
        except ValueError:
            code = None
        out.append([r.status_code, code, None])
    except Exception as e:
        out.append([0, None, type(e).__name__ + ': ' + str(e)[:200]])
print(json.dumps(out))
`;

/** Python `requests`, `n` requests in one interpreter (one connection each). */
export function viaPythonRequests(t: RefusalTarget, n: number): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', PYTHON, t.url + t.path, t.key, t.file, String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`python3 failed: ${stderr}`));
      const rows = JSON.parse(stdout) as [number, string | null, string | null][];
      resolve(rows.map(([status, code, failure]) => ({ status, code, failure })));
    });
  });
}

/** Runs `one` n times in sequence. */
export async function repeat(n: number, one: () => Promise<Outcome>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < n; i++) out.push(await one());
  return out;
}

/** Outcomes that are not exactly the expected status and code, summarised for a message. */
export function misses(outcomes: Outcome[], status: number, code: string): string[] {
  return outcomes.filter((o) => o.status !== status || o.code !== code).map((o) => o.failure ?? `${o.status} ${o.code ?? '-'}`);
}
