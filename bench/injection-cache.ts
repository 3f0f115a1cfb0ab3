// What the injection policy's view cache (ScanCache, src/policies/injection.ts) saves on chat
// traffic, CPU time of this process per request, the cached and the uncached scanner
// alternating conversation by conversation so both share the machine's load.
//
// A chat client sends the system prompt and the whole conversation so far with every request.
// Each conversation here: a system prompt (benign corpus text cut to SYSTEM bytes), then turns of
// a user message (~400 B) and an assistant answer (~800 B), all different benign corpus texts;
// request i carries [system, u1, a1, …, ui]. Also: the same request sent again and again (what
// a fixed-body load generator such as the proxy benchmark's wrk does), and a request with no
// history. Every verdict of the cached scanner is checked against the uncached one.
//
//   npm run build && node dist/bench/injection-cache.js [conversations] [corporaDir]
//
// BENCH_BASELINE_DIST=<dist/ of another build> adds its (uncached) scanner as a first column.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deepStrictEqual } from 'node:assert';
import { loadavg } from 'node:os';
import { createInjectionScanner, createScanCache, type InjectionScanner } from '../src/policies/injection.js';

const conversations = Number(process.argv[2] ?? 12);
const dir = resolve(process.argv[3] ?? 'test/fixtures/corpora');
const TURNS = 10;
const texts = readFileSync(join(dir, 'benign/benign.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text);
let next = 0;
function cut(size: number): string {
  let s = '';
  while (s.length < size) s += `${texts[next++ % texts.length]}\n`;
  return s.slice(0, size);
}

const plain = createInjectionScanner(null);
const baselineDist = process.env.BENCH_BASELINE_DIST;
const before: InjectionScanner | null = baselineDist === undefined
  ? null
  : ((await import(pathToFileURL(join(resolve(baselineDist), 'src/policies/injection.js')).href)) as { createInjectionScanner: (t: null) => InjectionScanner }).createInjectionScanner(null);
const cache = createScanCache();
const cached = createInjectionScanner(null, undefined, { cache });
const cpu = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** CPU µs per request over `requests`, scanned by `scan` (verdicts checked against the uncached scanner). */
function run(scan: InjectionScanner, requests: readonly (readonly string[])[], check: boolean): number {
  const t0 = cpu();
  const verdicts = requests.map((r) => scan(r, 'key:bench'));
  const us = (cpu() - t0) / requests.length;
  if (check) requests.forEach((r, i) => deepStrictEqual(verdicts[i], plain(r)));
  return us;
}

console.log(`node ${process.versions.node}, ${process.platform}/${process.arch}, ${conversations} conversations of ${TURNS} turns per row, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`| requests |${before === null ? '' : ' baseline build: CPU µs per request |'} uncached: CPU µs per request | cached: CPU µs per request | saved${before === null ? '' : ' (against the baseline)'} |`);
console.log(`| --- |${before === null ? '' : ' ---: |'} ---: | ---: | ---: |`);
for (const system of [500, 2000, 8000]) {
  const convs: string[][][] = [];
  for (let c = 0; c < conversations; c++) {
    const sys = cut(system);
    const reqs: string[][] = [];
    const history: string[] = [sys];
    for (let t = 0; t < TURNS; t++) {
      history.push(cut(400));
      reqs.push([...history]);
      history.push(cut(800));
    }
    convs.push(reqs);
  }
  // Warm-up (both scanners compiled on every shape), verdicts checked once here.
  for (const reqs of convs.slice(0, 2)) {
    run(plain, reqs, false);
    cache.clear();
    run(cached, reqs, true);
  }
  const rows = { conv: [[], [], []], repeat: [[], [], []], first: [[], [], []] } as Record<string, [number[], number[], number[]]>;
  for (const reqs of convs) {
    // The cache emptied before each row: nothing carried over from another conversation.
    if (before !== null) rows.conv?.[2].push(run(before, reqs, false));
    rows.conv?.[0].push(run(plain, reqs, false));
    cache.clear();
    rows.conv?.[1].push(run(cached, reqs, true));
    const last = reqs[reqs.length - 1] as string[];
    const repeated = Array.from({ length: 10 }, () => last);
    if (before !== null) rows.repeat?.[2].push(run(before, repeated, false));
    rows.repeat?.[0].push(run(plain, repeated, false));
    cache.clear();
    rows.repeat?.[1].push(run(cached, repeated, false));
    const first = convs.map((c) => c[0] as string[]);
    if (before !== null) rows.first?.[2].push(run(before, first, false));
    rows.first?.[0].push(run(plain, first, false));
    cache.clear();
    rows.first?.[1].push(run(cached, first, false));
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  const label: Record<string, string> = {
    conv: `system prompt ${system} B, a ${TURNS}-turn conversation (every request of it)`,
    repeat: `system prompt ${system} B, the last request of a conversation sent 10 times`,
    first: `system prompt ${system} B and one user message, every request new`,
  };
  for (const [k, [u, c, b]] of Object.entries(rows)) {
    const mu = median(u);
    const mc = median(c);
    const ref = before === null ? mu : median(b);
    console.log(`| ${label[k]} |${before === null ? '' : ` ${ref.toFixed(0)} |`} ${mu.toFixed(0)} | ${mc.toFixed(0)} | ${((1 - mc / ref) * 100).toFixed(0)}% |`);
  }
}
console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
