/**
 * The real CLI as a child process (`node dist/src/cli/main.js start --config FILE`), with its
 * stdout read as a stream of JSON log lines: tests wait for lines (events), never for time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKey, keyHashLine } from '../../src/cli/keys.js';

const BIN = 'dist/src/cli/main.js';

export interface LogLine {
  msg: string;
  level: number;
  [k: string]: unknown;
}

export interface CliGateway {
  child: ChildProcessWithoutNullStreams;
  key: string;
  url: string;
  adminUrl: string;
  /** Every line read so far, in order. */
  lines: LogLine[];
  /** Resolves with the first line (already read or still to come) that matches. */
  waitLine(match: (l: LogLine) => boolean, what: string): Promise<LogLine>;
  /** Exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** Resolves when stdout has ended (every line the process wrote has been read). */
  outputEnded: Promise<void>;
  stderr(): string;
  /** The configuration file the process was started with. */
  file: string;
}

/** Starts the gateway with `yaml` (where KEY_HASH stands for the generated key's hash line), the
 * file named by `--config` (default), by MODELGATE_CONFIG or as the positional argument. */
export async function startCli(yaml: string, extraArgs: string[] = [], how: 'flag' | 'env' | 'positional' = 'flag'): Promise<CliGateway> {
  const key = generateKey();
  const dir = mkdtempSync(join(tmpdir(), 'mg-proc-'));
  const file = join(dir, 'modelgate.yaml');
  writeFileSync(file, yaml.replace('KEY_HASH', keyHashLine(key)));
  const args = how === 'flag' ? ['start', '--config', file] : how === 'positional' ? ['start', file] : ['start'];
  const env = how === 'env' ? { PATH: process.env.PATH, MODELGATE_CONFIG: file } : { PATH: process.env.PATH };
  const child = spawn(process.execPath, [BIN, ...args, ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += String(d); });
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let closed = false;
  const failClosed: (() => void)[] = [];
  let ended!: () => void;
  const outputEnded = new Promise<void>((r) => { ended = r; });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    for (const w of [...waiters]) {
      if (!w.match(line)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  }).on('close', () => {
    closed = true;
    for (const f of failClosed) f();
    ended();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const waitLine = (match: (l: LogLine) => boolean, what: string): Promise<LogLine> => new Promise((resolve, reject) => {
    const seen = lines.find(match);
    if (seen !== undefined) return resolve(seen);
    if (closed) return reject(new Error(`stdout closed before: ${what}\n${err}`));
    waiters.push({ match, resolve });
    failClosed.push(() => reject(new Error(`stdout closed before: ${what}\n${err}`)));
  });
  const up = await waitLine((l) => l.listener === 'public', 'the public listener banner line');
  const admin = await waitLine((l) => l.listener === 'admin', 'the admin listener banner line');
  return { child, key, url: up.url as string, adminUrl: admin.url as string, lines, waitLine, exited, outputEnded, stderr: () => err, file };
}

/** A minimal configuration: one chat route to `simUrl`, listeners on free ports. */
export function cliConfig(simUrl: string, extra: { server?: string; upstream?: string } = {}): string {
  return `
server: { host: 127.0.0.1, port: 0${extra.server === undefined ? '' : `, ${extra.server}`} }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info }
auth:
  keys:
    - { id: test-key, hash: "KEY_HASH" }
upstreams:
  llm:
    targets: ["${simUrl}"]
    timeout: 60s
${extra.upstream ?? ''}
routes:
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm }
`;
}

export const isAccessLog = (l: LogLine): boolean => l.msg === 'request';
