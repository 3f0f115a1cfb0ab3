/**
 * Process helpers for the benchmark: spawn children in their own process groups (so a group
 * kill also ends nginx's worker), remember them all, stop them on exit/SIGINT, find free ports,
 * and wait until something answers.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench, the repository root, the CLI and the benchmarked path, shared by every benchmark. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(BENCH_DIR, '..', '..');
export const CLI_JS = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
export const CHAT_PATH = '/v1/chat/completions';

/** A numeric setting from the environment (non-negative, or positive with `positive`). */
export function envNum(name: string, dflt: number, positive = false): number {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) throw new Error(`${name} must be a ${positive ? 'positive' : 'non-negative'} number, got "${v}"`);
  return n;
}

/** The first of `candidates` that is an executable file, or null. */
export function firstExecutable(candidates: string[]): string | null {
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Everything the child wrote to stdout (when stdout is a pipe). */
  stdout: string;
  /** The last 8 KB of stderr (when stderr is a pipe). */
  stderr: string;
  /** Set once the child has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<void>;
}

const live = new Set<Proc>();

export interface SpawnOptions {
  /** stdout: 'pipe' (kept in `stdout`), 'ignore', or an open file descriptor. Default 'pipe'. */
  stdout?: 'pipe' | 'ignore' | number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnProc(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const stdio: StdioOptions = ['ignore', opts.stdout ?? 'pipe', 'pipe'];
  // detached: its own process group, so killGroup() reaches grandchildren (nginx workers).
  const child = spawn(cmd, args, { stdio, detached: true, env: opts.env ?? process.env, cwd: opts.cwd });
  let resolveExit: () => void = () => undefined;
  const p: Proc = { name, child, stdout: '', stderr: '', exit: null, exited: new Promise((r) => (resolveExit = r)) };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => (p.stdout += s));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (p.stderr = (p.stderr + s).slice(-8192)));
  child.on('error', (err) => {
    p.stderr += `\nspawn error: ${err.message}`;
    if (p.exit === null) p.exit = { code: null, signal: null };
    live.delete(p);
    resolveExit();
  });
  child.on('exit', (code, signal) => {
    p.exit = { code, signal };
    live.delete(p);
    resolveExit();
  });
  live.add(p);
  return p;
}

function killGroup(p: Proc, signal: NodeJS.Signals): void {
  const pid = p.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal); // the child's own group (it was spawned detached)
  } catch {
    try {
      p.child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM to the child's group, SIGKILL after `graceMs` if it is still there. */
export async function stopProc(p: Proc, graceMs = 3000): Promise<void> {
  if (p.exit !== null) return;
  killGroup(p, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
  await Promise.race([p.exited, timeout]);
  clearTimeout(timer);
  if (p.exit === null) {
    killGroup(p, 'SIGKILL');
    await p.exited;
  } else {
    // The leader is gone; make sure nothing of its group outlives it.
    killGroup(p, 'SIGKILL');
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => stopProc(p)));
}

/** On SIGINT/SIGTERM stop every child, then exit; on process exit, SIGKILL any leftovers. */
export function installCleanup(): void {
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${sig}, stopping children...\n`);
    stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const p of live) {
      // nginx's master shuts its workers down on SIGTERM; a group SIGKILL covers the rest.
      killGroup(p, 'SIGTERM');
      killGroup(p, 'SIGKILL');
    }
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Status of a plain GET (0 on a connection error). */
export function httpGetStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describeExit(p: Proc): string {
  const e = p.exit;
  const how = e === null ? 'running' : e.signal !== null ? `killed by ${e.signal}` : `exited with code ${String(e.code)}`;
  return `${p.name} ${how}${p.stderr.trim() === '' ? '' : `; stderr:\n${p.stderr.trim()}`}`;
}

/** Polls `check` until it returns true; fails early if `proc` exits, or after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, proc: Proc, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exit !== null) throw new Error(`${what}: ${describeExit(proc)}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms (${describeExit(proc)})`);
    await sleep(50);
  }
}

/** Waits for the first complete line of the child's stdout and parses it as JSON. */
export async function firstJsonLine(p: Proc, timeoutMs = 15_000): Promise<unknown> {
  let line: string | undefined;
  await waitUntil(`${p.name}: first line`, async () => {
    const nl = p.stdout.indexOf('\n');
    if (nl < 0) return false;
    line = p.stdout.slice(0, nl);
    return true;
  }, p, timeoutMs);
  return JSON.parse(line ?? 'null');
}

/** Runs a child to completion and returns its stdout; throws on a non-zero exit. */
export async function runToEnd(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Promise<string> {
  const p = spawnProc(name, cmd, args, opts);
  await p.exited;
  if (p.exit?.code !== 0) throw new Error(describeExit(p));
  return p.stdout;
}

let clkTck: number | null = null;

/** Clock ticks per second of /proc's CPU times. */
function ticksPerSecond(): number {
  if (clkTck === null) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number((out.stdout ?? '').trim());
    clkTck = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

export interface CpuMs {
  user: number;
  sys: number;
}

/**
 * CPU time (ms, all threads: libuv pool, GC helpers...) used so far by every live process of
 * `pgid`'s group, split into user and kernel time (Linux /proc; NaN elsewhere).
 */
export function groupCpuMs(pgid: number | undefined): CpuMs {
  if (pgid === undefined) return { user: NaN, sys: NaN };
  const tck = ticksPerSecond();
  let user = 0;
  let sys = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { user: NaN, sys: NaN };
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name "(...)": state ppid pgrp ... utime(14th) stime(15th).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    user += Number(f[11]);
    sys += Number(f[12]);
  }
  return { user: (user * 1000) / tck, sys: (sys * 1000) / tck };
}

/** Machine-wide CPU time (ms, all CPUs) spent in processes (user + system) and stolen by the hypervisor so far (/proc/stat). */
export function machineCpuMs(): { busy: number; steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const at = (i: number): number => f[i] ?? 0;
    // user nice system idle iowait irq softirq steal (guest time is already inside user). Interrupt
    // time is left out: loopback traffic's softirq work is charged to no process, so it could
    // not be told apart from someone else's.
    const busy = at(0) + at(1) + at(2);
    const tck = ticksPerSecond();
    return { busy: (busy * 1000) / tck, steal: (at(7) * 1000) / tck };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}
