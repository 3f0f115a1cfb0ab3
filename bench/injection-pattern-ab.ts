// The pattern layer (and the full scanner) of two builds, alternating in one
// process so both share the machine's load: a previous build (a dist/
// directory built from the old source) against this one. CPU time of this
// process per call (a busy machine inflates it less than wall time); per
// workload, the median over rounds of the mean CPU µs per call, and MB/s.
//
//   npm run build && node dist/bench/injection-pattern-ab.js <oldDistDir> [rounds] [corporaDir]
//
// Inputs: benign corpus records (benign/benign.jsonl) joined and cut to 4 KB
// and 100 KB; plain English prose (the xquad.en paragraphs of
// benign/documents.jsonl) cut to 4 KB and 100 KB; Russian, Chinese, Hindi and
// Arabic text (benign/multilingual.jsonl and the XQuAD paragraphs) at 4 KB and 100 KB.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import * as nowDetector from '../src/detectors/injection/index.js';
import * as nowPolicy from '../src/policies/injection.js';

const oldDist = process.argv[2];
if (oldDist === undefined) {
  console.error('usage: node dist/bench/injection-pattern-ab.js <oldDistDir> [rounds] [corporaDir]');
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 7);
const corpora = resolve(process.argv[4] ?? '/work/shared/corpora');
const root = pathToFileURL(join(resolve(oldDist), 'src/')).href;
const oldDetector = (await import(`${root}detectors/injection/index.js`)) as typeof nowDetector;
const oldPolicy = (await import(`${root}policies/injection.js`)) as typeof nowPolicy;

const records = (file: string): { text: string; source?: string }[] =>
  readFileSync(join(corpora, file), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { text: string; source?: string });
const benign = records('benign/benign.jsonl').map((r) => r.text);
const prose = records('benign/documents.jsonl').filter((r) => r.source?.includes('xquad.en') === true).map((r) => r.text);
/** Text written in the scripts of the non-Latin rules (UD PUD sentences and XQuAD paragraphs). */
const inLang = (lang: string): string[] =>
  [...records('benign/multilingual.jsonl'), ...records('benign/documents.jsonl')].filter((r) => (r as { lang?: string }).lang === lang || r.source?.includes(`xquad.${lang}`) === true).map((r) => r.text);
const scripts = ['ru', 'zh', 'hi', 'ar'].map((lang) => ({ lang, texts: inLang(lang) }));

function prompts(texts: readonly string[], size: number, count: number): string[] {
  const out: string[] = [];
  for (let n = 0, k = n; n < count; n++) {
    let s = '';
    while (s.length < size) s += `${texts[k++ % texts.length]}\n`;
    out.push(s.slice(0, size));
  }
  return out;
}

interface Workload {
  name: string;
  size: number;
  inputs: string[];
  reps: number;
  run: (build: 0 | 1) => (t: string) => unknown;
  /** Also record CPU time per call (for its p99; costs about 1 µs a call, so only for slow calls). */
  perCall?: boolean;
}
const builds = [
  { name: 'before', pattern: oldDetector.createInjectionDetector(), full: oldPolicy.createInjectionScanner(null) },
  { name: 'after', pattern: nowDetector.createInjectionDetector(), full: nowPolicy.createInjectionScanner(null) },
];
const pattern = (b: 0 | 1) => (t: string): unknown => builds[b]?.pattern.scan(t);
const full = (b: 0 | 1) => (t: string): unknown => builds[b]?.full([t]);
const workloads: Workload[] = [
  { name: 'pattern layer, benign corpus 4 KB', size: 4096, inputs: prompts(benign, 4096, 40), reps: 10, run: pattern },
  { name: 'pattern layer, plain prose 4 KB', size: 4096, inputs: prompts(prose, 4096, 40), reps: 10, run: pattern },
  { name: 'pattern layer, benign corpus 100 KB', size: 102400, inputs: prompts(benign, 102400, 4), reps: 3, run: pattern },
  { name: 'pattern layer, plain prose 100 KB', size: 102400, inputs: prompts(prose, 102400, 4), reps: 3, run: pattern },
  ...scripts.flatMap(({ lang, texts }) => [
    { name: `pattern layer, ${lang} 4 KB`, size: 4096, inputs: prompts(texts, 4096, 20), reps: 10, run: pattern },
    { name: `pattern layer, ${lang} 100 KB`, size: 102400, inputs: prompts(texts, 102400, 2), reps: 3, run: pattern },
  ]),
  { name: 'full scanner, benign corpus 4 KB', size: 4096, inputs: prompts(benign, 4096, 40), reps: 2, run: full, perCall: true },
];

console.log(`node ${process.versions.node}, ${process.platform}/${process.arch}, ${rounds} rounds, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const cpu: number[][][] = workloads.map(() => [[], []]);
const wall: number[][][] = workloads.map(() => [[], []]);
const callCpu: number[][][] = workloads.map(() => [[], []]);
for (const wl of workloads) for (const b of [0, 1] as const) for (const t of wl.inputs.slice(0, 4)) wl.run(b)(t); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [w, wl] of workloads.entries()) {
    const order: (0 | 1)[] = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const b of order) {
      const fn = wl.run(b);
      let calls = 0;
      const c0 = process.cpuUsage();
      for (let rep = 0; rep < wl.reps; rep++) {
        for (const t of wl.inputs) {
          const t0 = process.hrtime.bigint();
          const u0 = wl.perCall === true ? process.cpuUsage() : null;
          fn(t);
          if (u0 !== null) {
            const u = process.cpuUsage(u0);
            callCpu[w]?.[b]?.push(u.user + u.system);
          }
          wall[w]?.[b]?.push(Number(process.hrtime.bigint() - t0) / 1000);
          calls++;
        }
      }
      const c = process.cpuUsage(c0);
      cpu[w]?.[b]?.push((c.user + c.system) / calls);
    }
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const pct = (xs: number[], f: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * s.length))] as number;
};
console.log('| input | before: CPU µs · MB/s | after: CPU µs · MB/s | speed-up | before wall p50 / p99 µs | after wall p50 / p99 µs |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [w, wl] of workloads.entries()) {
  const [a, b] = [median(cpu[w]?.[0] ?? []), median(cpu[w]?.[1] ?? [])];
  const [wa, wb] = [wall[w]?.[0] ?? [], wall[w]?.[1] ?? []];
  console.log(`| ${wl.name} | ${a.toFixed(0)} · ${(wl.size / a).toFixed(1)} | ${b.toFixed(0)} · ${(wl.size / b).toFixed(1)} | ${(a / b).toFixed(2)}× | ${pct(wa, 0.5).toFixed(0)} / ${pct(wa, 0.99).toFixed(0)} | ${pct(wb, 0.5).toFixed(0)} / ${pct(wb, 0.99).toFixed(0)} |`);
}
for (const [w, wl] of workloads.entries()) {
  if (wl.perCall !== true) continue;
  const [a, b] = [callCpu[w]?.[0] ?? [], callCpu[w]?.[1] ?? []];
  const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  console.log(`${wl.name}, CPU µs per call over all rounds: before mean ${mean(a).toFixed(0)} p99 ${pct(a, 0.99).toFixed(0)}; after mean ${mean(b).toFixed(0)} p99 ${pct(b, 0.99).toFixed(0)}`);
}
console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
