// Does a change to the injection scanner change any verdict? The full scanner (every layer, the
// default threshold) of a previous build (a dist/ directory built from the old source) and of this
// build, side by side on every record of the corpora and every text of the blind sets: per file,
// how many each build flags, how many verdicts went each way (the first few texts of each are
// printed, except for blind sets never meant to be read: set5, set7 and set8 print counts only),
// how many scores moved, and the decoded views' characters (what the scanner reads on top of
// the text).
//
//   npm run build && node dist/bench/injection-verdicts.js <oldDistDir> [corporaDir]
//
// Exits 1 when any verdict differs.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nowDecode from '../src/detectors/injection/decode.js';
import * as nowPolicy from '../src/policies/injection.js';
import { BLIND_DIR } from './injection-blind.js';

const oldDist = process.argv[2];
if (oldDist === undefined) {
  console.error('usage: node dist/bench/injection-verdicts.js <oldDistDir> [corporaDir]');
  process.exit(2);
}
const corpora = resolve(process.argv[3] ?? '/work/shared/corpora');
const root = pathToFileURL(join(resolve(oldDist), 'src/')).href;
const oldPolicy = (await import(`${root}policies/injection.js`)) as typeof nowPolicy;
const oldDecode = (await import(`${root}detectors/injection/decode.js`)) as typeof nowDecode;
const scanOld = oldPolicy.createInjectionScanner(null);
const scanNow = nowPolicy.createInjectionScanner(null);

interface TextSet { name: string; attack: boolean; texts: string[]; quiet: boolean }
const sets: TextSet[] = [];
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text);
for (const [dir, attack] of [['injection', true], ['benign', false]] as const) {
  for (const f of readdirSync(join(corpora, dir)).filter((x) => x.endsWith('.jsonl')).sort()) {
    sets.push({ name: `${dir}/${f}`, attack, texts: lines(join(corpora, dir, f)), quiet: false });
  }
}
/** Blind sets scored and never read (test/fixtures/injection/blind/README.md). */
const NEVER_READ = new Set(['set5', 'set7', 'set8']);
for (const f of readdirSync(BLIND_DIR).filter((x) => x.endsWith('.json')).sort()) {
  const j = JSON.parse(readFileSync(join(BLIND_DIR, f), 'utf8')) as { attacks: { text: string }[]; benign: { text: string }[] };
  const name = f.replace(/\.json$/, '');
  sets.push({ name: `${name} attacks`, attack: true, texts: j.attacks.map((x) => x.text), quiet: NEVER_READ.has(name) });
  sets.push({ name: `${name} benign`, attack: false, texts: j.benign.map((x) => x.text), quiet: NEVER_READ.has(name) });
}

const viewChars = (views: readonly string[]): number => views.reduce((n, v) => n + v.length, 0);
let changed = 0;
console.log('| texts | n | flagged, old → new | lost | gained | scores moved | views\' characters, old → new |');
console.log('| --- | ---: | --- | ---: | ---: | ---: | --- |');
const shown: string[] = [];
for (const set of sets) {
  let [flaggedOld, flaggedNow, lost, gained, moved, charsOld, charsNow] = [0, 0, 0, 0, 0, 0, 0];
  for (const text of set.texts) {
    const a = scanOld([text]);
    const b = scanNow([text]);
    if (a.detected) flaggedOld++;
    if (b.detected) flaggedNow++;
    if (a.detected !== b.detected) {
      if (a.detected) lost++;
      else gained++;
      if (!set.quiet && shown.length < 20) shown.push(`${set.name}: ${a.detected ? 'no longer flagged' : 'now flagged'}: ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (!Object.is(a.score, b.score)) moved++;
    charsOld += viewChars(oldDecode.decodedViews(text));
    charsNow += viewChars(nowDecode.decodedViews(text));
  }
  changed += lost + gained;
  console.log(`| ${set.name} (${set.attack ? 'attacks' : 'benign'}) | ${set.texts.length} | ${flaggedOld} → ${flaggedNow} | ${lost} | ${gained} | ${moved} | ${charsOld} → ${charsNow} |`);
}
for (const s of shown) console.log(s);
console.log(changed === 0 ? 'no verdict changed' : `${changed} verdicts changed`);
process.exitCode = changed === 0 ? 0 : 1;
