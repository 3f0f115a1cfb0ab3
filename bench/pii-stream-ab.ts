// The streaming PII redactor (PiiRedactStream, every type) of two builds, alternating in one
// process so both share the machine's load: a previous build (a dist/ directory built from the
// old source) against this one. Each 4 KB window of the benign corpus (bench/pii-speed.ts) is
// encoded with o200k_base and pushed one token per event, as a model server streams it; clean
// windows, and the same windows with PII every ~400 characters. Per workload: the median over
// rounds of the CPU µs per event of this process, and a check that both builds redact every
// window to the same text.
//
//   npm run build && node dist/bench/pii-stream-ab.js <oldDistDir> [rounds]

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { decode, encode } from 'gpt-tokenizer';
import * as nowPii from '../src/detectors/pii/index.js';
import { cleanWindows, withPii } from './pii-speed.js';

const oldDist = process.argv[2];
if (oldDist === undefined) {
  console.error('usage: node dist/bench/pii-stream-ab.js <oldDistDir> [rounds]');
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 7);
const oldPii = (await import(pathToFileURL(join(resolve(oldDist), 'src/detectors/pii/index.js')).href)) as typeof nowPii;

const builds = [
  { name: 'old', pii: oldPii, scanner: oldPii.createPiiScanner({ types: oldPii.PII_TYPES }) },
  { name: 'this', pii: nowPii, scanner: nowPii.createPiiScanner({ types: nowPii.PII_TYPES }) },
] as const;
const clean = cleanWindows(builds[1].scanner);
const workloads = [
  { name: 'clean 4 KB windows', texts: clean },
  { name: 'windows with PII every ~400 chars', texts: clean.map((w, k) => withPii(w, k)) },
].map((w) => ({ ...w, events: w.texts.map((t) => encode(t).map((tok) => decode([tok]))) }));

function redactAll(b: (typeof builds)[number], streams: readonly string[][]): string[] {
  const out: string[] = [];
  for (const events of streams) {
    const s = new b.pii.PiiRedactStream(b.scanner);
    let text = '';
    for (const e of events) text += s.push(e);
    out.push(text + s.end());
  }
  return out;
}

console.log(`node ${process.versions.node}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${rounds} rounds`);
console.log('| workload | events | old µs/event | this µs/event | speed-up |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const w of workloads) {
  const want = redactAll(builds[0], w.events);
  const got = redactAll(builds[1], w.events);
  const differ = want.filter((t, k) => t !== got[k]).length;
  if (differ > 0) throw new Error(`${w.name}: ${differ} windows redacted differently by the two builds`);
  const n = w.events.reduce((a, e) => a + e.length, 0);
  const per: number[][] = [[], []];
  for (let r = 0; r < rounds + 1; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      redactAll(builds[k] as (typeof builds)[number], w.events);
      const c = process.cpuUsage(c0);
      if (r > 0) (per[k] as number[]).push((c.user + c.system) / n); // round 0 warms up
    }
  }
  const med = (a: number[]): number => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  const [o, t] = [med(per[0] as number[]), med(per[1] as number[])];
  console.log(`| ${w.name} | ${n} | ${o.toFixed(2)} | ${t.toFixed(2)} | ${(o / t).toFixed(2)}× |`);
}
