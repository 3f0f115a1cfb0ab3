/**
 * `npm run bench:profile`: where modelgate's CPU goes under load.
 *
 * Starts the simulator and modelgate (the benchmark's configuration, bench/chat-config.ts: the
 * chat route with the whole policy set) under `node --cpu-prof`, drives it with `wrk` at 32
 * connections, stops it (the profile is written at exit), and prints the top self-time functions
 * and the self time per module (an npm package, a file of src/, or node's internals), plus the
 * CPU µs per request the process spent while profiled (the profiler itself adds some).
 *
 * Environment:
 *   PROFILE_SECONDS   seconds of load profiled (default 10), after PROFILE_WARMUP s of warm-up (default 5,
 *                     not counted: start-up, warm-up and shutdown are cut from the profile)
 *   PROFILE_STREAM    1 = the streamed request (default: the JSON one)
 *   PROFILE_TOP       rows of each table (default 25)
 *   PROFILE_FILE      analyse this existing .cpuprofile instead of running anything
 *   PROFILE_KEEP      1 = keep the temporary directory (and the .cpuprofile), its path printed
 *   BENCH_GATEWAY_LOG_LEVEL / BENCH_GATEWAY_INJECTION as for bench/run.ts
 *   BENCH_GATEWAY_CONFIG  minimal = the chat route with auth only (bench/run.ts's modelgate-min target)
 *   BENCH_VARY        1 = every request's user message carries a number of its own (new to the caches), as for bench/run.ts
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chatBody } from './chat-config.js';
import { startChatGateway } from './chat-gateway.js';
import { REPO_ROOT, envNum, groupCpuMs, installCleanup, stopAll, stopProc } from './procs.js';
import { findWrk, runWrk } from './wrk.js';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface SelfTime { name: string; module: string; ms: number }

/** The module a script URL belongs to: an npm package, a file of the repository, or node's internals. */
export function moduleOf(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? path);
  }
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('..') ? path : rel.replace(/^dist\//, '');
}

/**
 * Self time per function (ms), from the samples and their time deltas; with `window`, only the
 * samples taken in it (µs before the profile's end: start-up and shutdown left out).
 */
export function selfTimes(p: CpuProfile, window?: { fromEndUs: number; toEndUs: number }): { fns: SelfTime[]; totalMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const us = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let at = p.startTime;
  const from = window === undefined ? -Infinity : p.endTime - window.fromEndUs;
  const to = window === undefined ? Infinity : p.endTime - window.toEndUs;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    const d = Math.max(0, deltas[i] ?? 0);
    at += d;
    if (at < from || at > to) continue;
    us.set(id, (us.get(id) ?? 0) + d);
  }
  const agg = new Map<string, SelfTime>();
  let total = 0;
  for (const [id, t] of us) {
    const n = byId.get(id);
    if (n === undefined) continue;
    total += t;
    const cf = n.callFrame;
    const module = moduleOf(cf.url);
    const name = `${cf.functionName === '' ? '(anonymous)' : cf.functionName} ${module}:${cf.lineNumber + 1}`;
    const e = agg.get(name) ?? { name, module, ms: 0 };
    e.ms += t / 1000;
    agg.set(name, e);
  }
  return { fns: [...agg.values()].sort((a, b) => b.ms - a.ms), totalMs: total / 1000 };
}

export function report(p: CpuProfile, top: number, window?: { fromEndUs: number; toEndUs: number }): string {
  const { fns, totalMs } = selfTimes(p, window);
  const idle = fns.filter((f) => f.name.startsWith('(idle)') || f.name.startsWith('(program)') || f.name.startsWith('(garbage collector)'));
  const busy = totalMs - idle.filter((f) => f.name.startsWith('(idle)')).reduce((a, f) => a + f.ms, 0);
  const pct = (ms: number): string => `${((100 * ms) / busy).toFixed(1)}%`;
  const lines: string[] = [];
  lines.push(`Profiled ${(totalMs / 1000).toFixed(1)} s, of which busy (not idle) ${(busy / 1000).toFixed(1)} s; shares below are of the busy time.`, '');
  lines.push('| self time | share | function (module:line) |', '|---:|---:|---|');
  for (const f of fns.filter((x) => !x.name.startsWith('(idle)')).slice(0, top)) lines.push(`| ${f.ms.toFixed(0)} ms | ${pct(f.ms)} | ${f.name.replace(/\|/g, '\\|')} |`);
  lines.push('');
  const mods = new Map<string, number>();
  for (const f of fns) {
    if (f.name.startsWith('(idle)')) continue;
    const m = f.name.startsWith('(garbage collector)') ? '(garbage collector)' : f.name.startsWith('(program)') ? '(program)' : f.module;
    mods.set(m, (mods.get(m) ?? 0) + f.ms);
  }
  lines.push('| self time | share | module |', '|---:|---:|---|');
  for (const [m, ms] of [...mods].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${ms.toFixed(0)} ms | ${pct(ms)} | ${m} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const top = Math.round(envNum('PROFILE_TOP', 25, true));
  const file = process.env.PROFILE_FILE;
  if (file !== undefined && file !== '') {
    process.stdout.write(`${report(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
    return;
  }
  const wrk = findWrk();
  if (wrk === null) throw new Error('wrk is not installed (apt-get install wrk, or set BENCH_WRK): the profile needs it as the load generator');
  installCleanup();
  const seconds = envNum('PROFILE_SECONDS', 10, true);
  const stream = process.env.PROFILE_STREAM === '1';
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-profile-'));
  if (process.env.PROFILE_KEEP === '1') process.stderr.write(`keeping ${dir}\n`);
  else process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  const profDir = join(dir, 'prof');
  const { gw, url, headers } = await startChatGateway(dir, join(dir, 'modelgate.log'), ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  const vary = process.env.BENCH_VARY === '1' ? '@@MG_VARY@@' : undefined;
  const job = {
    url, connections: 32, seconds: 2, dir, name: 'profile', headers, body: chatBody(stream, vary), ...(vary === undefined ? {} : { vary }),
  };
  await runWrk(wrk, { ...job, seconds: envNum('PROFILE_WARMUP', 5, true) });
  const cpu0 = groupCpuMs(gw.child.pid);
  const t0 = performance.now();
  const r = await runWrk(wrk, { ...job, seconds });
  const t1 = performance.now();
  const cpu1 = groupCpuMs(gw.child.pid);
  await stopProc(gw, 15_000);
  const t2 = performance.now();
  // The measured load only: the profile ends at the process's exit (≈ t2).
  const window = { fromEndUs: (t2 - t0) * 1000, toEndUs: (t2 - t1) * 1000 };
  await stopAll();
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const prof = files[0];
  if (prof === undefined) throw new Error('modelgate wrote no .cpuprofile');
  const cpuUs = ((cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) * 1000) / r.requests;
  process.stdout.write(`# modelgate CPU profile — ${new Date().toISOString()}\n\n`);
  process.stdout.write(`- ${stream ? 'streamed (20 events)' : 'JSON'} chat request, wrk 32 connections, ${seconds} s: ${r.requests} responses (${r.non2xx} non-2xx, ${r.errors} errors), ` +
    `${cpuUs.toFixed(0)} µs CPU per request while profiled${vary === undefined ? ' (one body repeated)' : ' (every request new: BENCH_VARY)'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
  if (process.env.PROFILE_KEEP === '1') process.stdout.write(`- profile: ${join(profDir, prof)}\n`);
  process.stdout.write(`\n${report(JSON.parse(readFileSync(join(profDir, prof), 'utf8')) as CpuProfile, top, window)}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
