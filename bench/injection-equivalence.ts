// Does a change to the pattern layer change any result? Loads a previous build
// of the detector (a dist/ directory built from the old source) and this build
// in one process and compares, text by text: the normalised text, and the
// score and findings with and without context checks, of every text and each
// of its decoded views (what the gateway scans), and the decoded views themselves. Texts: every record of every
// corpus under corporaDir and test/fixtures/corpora (*.jsonl "text", *.json
// "full_text"/"text"), every
// string literal of the tests, long texts made of attack records joined up to
// 4 KB and 32 KB (many matches: exercises the context-check budget), and
// deterministic synthetic texts mixing attack words with obfuscations (case,
// leetspeak, spaced letters, split hyphens, look-alikes, invisible characters).
//
//   npm run build && node dist/bench/injection-equivalence.js <oldDistDir> [corporaDir]
//
// Prints the counts and every difference (at most 20); exits 1 on any.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filesUnder, testStringLiterals } from './source-texts.js';
import { createInjectionDetector, normalizeForDetection } from '../src/detectors/injection/index.js';
import { decodedViews } from '../src/detectors/injection/decode.js';

interface DetectorModule {
  createInjectionDetector: typeof createInjectionDetector;
  normalizeForDetection: typeof normalizeForDetection;
}

const oldDist = process.argv[2];
if (oldDist === undefined) {
  console.error('usage: node dist/bench/injection-equivalence.js <oldDistDir> [corporaDir]');
  process.exit(2);
}
const corpora = resolve(process.argv[3] ?? '/work/shared/corpora');
const old = (await import(pathToFileURL(join(resolve(oldDist), 'src/detectors/injection/index.js')).href)) as DetectorModule;
const oldDecode = (await import(pathToFileURL(join(resolve(oldDist), 'src/detectors/injection/decode.js')).href)) as { decodedViews: typeof decodedViews };

// 1. Corpus records.
const corpusTexts: string[] = [];
const attackTexts: string[] = [];
for (const file of [...filesUnder(corpora), ...filesUnder(resolve('test/fixtures/corpora'))]) {
  const take = (rec: unknown): void => {
    if (rec === null || typeof rec !== 'object') return;
    const r = rec as Record<string, unknown>;
    for (const k of ['text', 'full_text']) {
      const v = r[k];
      if (typeof v === 'string') {
        corpusTexts.push(v);
        if (file.includes('/injection/')) attackTexts.push(v);
      }
    }
  };
  if (file.endsWith('.jsonl')) {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') take(JSON.parse(line));
  } else if (file.endsWith('.json')) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(data)) for (const rec of data) take(rec);
  }
}

// 2. String literals of the tests (the TypeScript parser unescapes them).
const testTexts = testStringLiterals(resolve('test'));

// 3. Long texts: attack records joined (dense matches; the context budget runs out).
const longTexts: string[] = [];
for (const size of [4096, 32768]) {
  for (let k = 0, n = 0; n < 60; n++) {
    let s = '';
    while (s.length < size) s += `${attackTexts[k++ % attackTexts.length]}\n`;
    longTexts.push(s.slice(0, size));
  }
}

// 4. Synthetic texts (deterministic PRNG): attack and corpus words with obfuscations.
let seed = 0x2545f491;
const rnd = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
const words = [...new Set(attackTexts.slice(0, 3000).flatMap((t) => t.split(/\s+/)))].filter((w) => w !== '');
const seps = [' ', ' ', ' ', '  ', '\n', '\t', ', ', '. ', '-', '_', '/', ' - ', ': ', '"', "'", '’', '\u00a0', '\u200b'];
const lookalikes: Readonly<Record<string, string>> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', i: 'і', x: 'х', y: 'у' };
function obfuscate(w: string): string {
  switch (rnd(12)) {
    case 0: return w.toUpperCase();
    case 1: return w.replace(/[aeiost]/g, (c) => ({ a: '4', e: '3', i: '1', o: '0', s: '5', t: '7' })[c] ?? c);
    case 2: return w.split('').join(pick([' ', '.', '-', '*']));
    case 3: return w.length > 3 ? `${w.slice(0, 1)}-${w.slice(1)}` : w;
    case 4: return w.replace(/[aeopcixy]/, (c) => lookalikes[c] ?? c);
    case 5: return w.split('').join('\u200b');
    case 6: return `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`;
    case 7: return w.normalize('NFD').replace(/[aeiou]/, (c) => `${c}\u0301`);
    default: return w;
  }
}
const syntheticTexts: string[] = [];
for (let n = 0; n < 6000; n++) {
  const len = 3 + rnd(n % 10 === 0 ? 400 : 40);
  let s = '';
  for (let k = 0; k < len; k++) s += obfuscate(pick(words)) + pick(seps);
  syntheticTexts.push(s);
}

const groups: [string, string[]][] = [
  ['corpus records', corpusTexts],
  ['test string literals', testTexts],
  ['joined attack texts (4 KB, 32 KB)', longTexts],
  ['synthetic obfuscated texts', syntheticTexts],
];

const detectors = [
  { name: 'context checks on', now: createInjectionDetector(), before: old.createInjectionDetector() },
  { name: 'context checks off', now: createInjectionDetector({ contextChecks: false }), before: old.createInjectionDetector({ contextChecks: false }) },
];

let texts = 0;
let scans = 0;
let differences = 0;
const report = (what: string, text: string, a: unknown, b: unknown): void => {
  differences++;
  if (differences <= 20) console.log(`DIFFERENCE (${what}) on ${JSON.stringify(text.slice(0, 160))}:\n  before ${JSON.stringify(a)}\n  after  ${JSON.stringify(b)}`);
};
for (const [name, list] of groups) {
  let groupDiffs = differences;
  for (const text of list) {
    texts++;
    const views = decodedViews(text);
    const viewsBefore = oldDecode.decodedViews(text);
    if (JSON.stringify(views) !== JSON.stringify(viewsBefore)) report('decoded views', text, viewsBefore, views);
    for (const v of [text, ...views]) {
      const na = old.normalizeForDetection(v);
      const nb = normalizeForDetection(v);
      if (na !== nb) report('normalised text', v, na, nb);
      for (const d of detectors) {
        scans++;
        const a = d.before.scan(v);
        const b = d.now.scan(v);
        if (a.score !== b.score || a.detected !== b.detected || JSON.stringify(a.findings) !== JSON.stringify(b.findings)) report(d.name, v, a, b);
      }
    }
  }
  groupDiffs = differences - groupDiffs;
  console.log(`${name}: ${list.length} texts, ${groupDiffs} differences`);
}
console.log(`total: ${texts} texts, their decoded views and ${scans} scans compared (each text and its decoded views, context checks on and off), ${differences} differences`);
process.exit(differences === 0 ? 0 : 1);
