// Cost of prompt-injection scanning, per request and per MB, CPU time of this process (so a
// busy machine inflates it less than wall time): the pattern layer alone (before issue 14),
// the learned layer alone, decoding alone (decode.ts: the views both layers scan besides the text),
// and the full scanner the gateway runs (both layers over the text and its decoded views).
// Prompts are benign corpus text cut to 600 B, 4 KB and 100 KB.
//
//   npm run build && node dist/bench/injection-speed.js [corporaDir]

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInjectionDetector } from '../src/detectors/injection/index.js';
import { sharedLearnedScorer } from '../src/detectors/injection/learned.js';
import { createInjectionScanner } from '../src/policies/injection.js';
import { decodedViews } from '../src/detectors/injection/decode.js';

const dir = resolve(process.argv[2] ?? 'test/fixtures/corpora');
const texts = readFileSync(join(dir, 'benign/benign.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text);
const pattern = createInjectionDetector();
const learned = sharedLearnedScorer();
const full = createInjectionScanner(null);
const runs: [string, (t: string) => unknown][] = [
  ['pattern layer alone', (t) => pattern.scan(t)],
  ['learned layer alone', (t) => learned.score(t)],
  ['decoding alone (the views both layers also scan)', (t) => decodedViews(t)],
  ['full scanner (both layers + decoding)', (t) => full([t])],
];

console.log(`node ${process.versions.node}, ${process.platform}/${process.arch}`);
console.log('| prompt | detector | CPU µs per request (mean) | wall µs p50 | wall µs p99 | MB/s (CPU) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const size of [600, 4096, 102400]) {
  const prompts: string[] = [];
  for (let n = 0, k = n * 7; n < 40; n++) {
    let s = '';
    while (s.length < size) s += `${texts[k++ % texts.length]}\n`;
    prompts.push(s.slice(0, size));
  }
  const reps = size > 10000 ? 2 : 25;
  for (const [name, fn] of runs) {
    // Warm-up: every prompt a few times, so the optimising compiler has seen them all (with five
    // prompts only, the CPU mean of the short prompts was mostly compilation and early GC).
    for (let w = 0; w < (size > 10000 ? 1 : 3); w++) for (const p of prompts) fn(p);
    const wall: number[] = [];
    const c0 = process.cpuUsage();
    for (let r = 0; r < reps; r++) {
      for (const p of prompts) {
        const t0 = process.hrtime.bigint();
        fn(p);
        wall.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    const c = process.cpuUsage(c0);
    const per = (c.user + c.system) / wall.length;
    wall.sort((a, b) => a - b);
    const q = (f: number): number => wall[Math.min(wall.length - 1, Math.floor(f * wall.length))] as number;
    console.log(`| ${size} B | ${name} | ${per.toFixed(0)} | ${q(0.5).toFixed(0)} | ${q(0.99).toFixed(0)} | ${(size / per).toFixed(1)} |`);
  }
}
