// Recall and false-positive rate of the prompt-injection scanner on the blind
// sets in test/fixtures/injection/blind (see its README for how each was used).
//
//   npm run eval:blind [-- <oldDistDir>]
//
// The full scanner (every layer on by default, default threshold) and the
// pattern layer alone, per set and per family; with an old dist/ directory the
// same for that build, side by side.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nowDetector from '../src/detectors/injection/index.js';
import * as nowPolicy from '../src/policies/injection.js';

interface Item { text: string; family: string; lang?: string }
interface BlindSet { name: string; attacks: Item[]; benign: Item[] }

export const BLIND_DIR = resolve('test/fixtures/injection/blind');

export function loadBlindSets(dir = BLIND_DIR): BlindSet[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { attacks: Item[]; benign: Item[] };
    return { name: f.replace(/\.json$/, ''), attacks: j.attacks, benign: j.benign };
  });
}

type Scan = (text: string) => boolean;
interface Build { name: string; full: Scan; pattern: Scan }

function build(name: string, detector: typeof nowDetector, policy: typeof nowPolicy): Build {
  const full = policy.createInjectionScanner(null);
  const pattern = detector.createInjectionDetector();
  return { name, full: (t) => full([t]).detected, pattern: (t) => pattern.scan(t).detected };
}

const pct = (n: number, d: number): string => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)}%`);

async function main(): Promise<void> {
  const builds: Build[] = [build('now', nowDetector, nowPolicy)];
  const oldDist = process.argv[2];
  if (oldDist !== undefined) {
    const root = pathToFileURL(join(resolve(oldDist), 'src/')).href;
    const d = (await import(`${root}detectors/injection/index.js`)) as typeof nowDetector;
    const p = (await import(`${root}policies/injection.js`)) as typeof nowPolicy;
    builds.unshift(build('old', d, p));
  }
  const sets = loadBlindSets();
  console.log('| set | build | attacks | recall, full scanner | recall, pattern layer | benign | FPR, full scanner | FPR, pattern layer |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const pooled = new Map<string, number[]>();
  for (const s of sets) {
    for (const b of builds) {
      const rf = s.attacks.filter((i) => b.full(i.text)).length;
      const rp = s.attacks.filter((i) => b.pattern(i.text)).length;
      const ff = s.benign.filter((i) => b.full(i.text)).length;
      const fp = s.benign.filter((i) => b.pattern(i.text)).length;
      const acc = pooled.get(b.name) ?? [0, 0, 0, 0, 0, 0];
      [rf, rp, s.attacks.length, ff, fp, s.benign.length].forEach((v, k) => { acc[k] = (acc[k] ?? 0) + v; });
      pooled.set(b.name, acc);
      console.log(`| ${s.name} | ${b.name} | ${s.attacks.length} | ${pct(rf, s.attacks.length)} | ${pct(rp, s.attacks.length)} | ${s.benign.length} | ${pct(ff, s.benign.length)} | ${pct(fp, s.benign.length)} |`);
    }
  }
  for (const [name, a] of pooled) {
    const [rf = 0, rp = 0, na = 0, ff = 0, fp = 0, nb = 0] = a;
    console.log(`| all | ${name} | ${na} | ${pct(rf, na)} | ${pct(rp, na)} | ${nb} | ${pct(ff, nb)} | ${pct(fp, nb)} |`);
  }
  console.log('\nPer family (full scanner, this build):\n');
  console.log('| set | family | n | hits | rate |');
  console.log('| --- | --- | --- | --- | --- |');
  const now = builds[builds.length - 1] as Build;
  for (const s of sets) {
    for (const [label, items] of [['attack', s.attacks], ['benign', s.benign]] as const) {
      const fam = new Map<string, [number, number]>();
      for (const i of items) { const e = fam.get(i.family) ?? [0, 0]; e[0]++; if (now.full(i.text)) e[1]++; fam.set(i.family, e); }
      for (const [f, [n, h]] of fam) console.log(`| ${s.name} | ${label}: ${f} | ${n} | ${h} | ${pct(h, n)} |`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
