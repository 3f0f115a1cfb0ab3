// Generalisation of the learned injection layer, measured without ever testing
// on what it trained on.
//
//   npm run eval:loso [-- corporaDir]            (default /work/shared/corpora)
//
// 1. 5-fold cross-validation (folds by a hash of the text): every record gets
//    an out-of-fold score. Reported: recall at 1% and 2% FPR (thresholds from
//    the out-of-fold benign scores), recall per attack family and language,
//    NotInject's false-positive rate separately, and the same with the pattern
//    layer OR-ed in (pattern at its default threshold).
// 2. Leave one source out: for every repository R in the corpora, train on the
//    records that do not come from R (composite records count for both of
//    their repositories), calibrate 1%/2% FPR thresholds on a fixed 20% of
//    benign records (never trained on, none from R), and test on R: attack
//    recall and benign false-positive rate.
// 3. Leave one file out: the same for each attack file (a whole family:
//    multilingual, indirect, persuasion/encoded, classic jailbreaks).
// 4. Latency of the shipped model (models/), µs per request and MB/s.
// With --dump=FILE, every record's leave-one-source-out result goes to FILE as
// JSON lines (label, repositories, pattern score, held-out logit, the pooled 2% logit, the text)
// for analysing other ways of combining the layers offline.
// self-instruct's user-oriented set is never trained on (authors' request).

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInjectionDetector } from '../src/detectors/injection/index.js';
import { FeatureBag } from '../src/detectors/injection/features.js';
import { sharedLearnedScorer } from '../src/detectors/injection/learned.js';
import { EVAL_ONLY_SOURCE, loadCorpora, logitOf, repos, sourceGroup, thresholdAtFpr, train, trainOptionsFromArgs, unitHash, vectorize, type CorpusRecord, type Sparse, type TrainOptions } from '../scripts/detector/train-lib.js';

interface Item {
  r: CorpusRecord;
  trainVecs: Sparse[];
  evalVecs: Sparse[];
  hash: number;
  pattern: boolean;
  /** The pattern layer's score (its default threshold is 1). */
  patternScore: number;
  evalOnly: boolean;
}

let OPTS: TrainOptions;
const ex = (i: Item): { vecs: Sparse[]; label: 0 | 1; group: string } => ({ vecs: i.trainVecs, label: i.r.label, group: sourceGroup(i.r) });

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

function recallAt(items: Item[], logits: Map<Item, number>, t: number, withPattern = false): [number, number] {
  const hit = items.filter((i) => (logits.get(i) ?? -Infinity) >= t || (withPattern && i.pattern)).length;
  return [hit, items.length];
}

function crossValidation(items: Item[]): void {
  const K = 5;
  const oof = new Map<Item, number>();
  for (let k = 0; k < K; k++) {
    const inFold = (i: Item): boolean => Math.floor(i.hash * K) === k;
    const m = train(items.filter((i) => !inFold(i) && !i.evalOnly).map(ex), OPTS);
    for (const i of items) if (inFold(i)) oof.set(i, logitOf(m, i.evalVecs));
  }
  const benign = items.filter((i) => i.r.label === 0);
  const attacks = items.filter((i) => i.r.label === 1);
  const b = benign.map((i) => oof.get(i) as number);
  const t1 = thresholdAtFpr(b, 0.01);
  const t2 = thresholdAtFpr(b, 0.02);
  const patternFp = benign.filter((i) => i.pattern).length;
  console.log('\n## 5-fold cross-validation (out-of-fold scores)\n');
  console.log(`records: ${attacks.length} attacks, ${benign.length} benign`);
  console.log('\n| detector | FPR (all benign) | attack recall |');
  console.log('| --- | --- | --- |');
  const [p] = recallAt(attacks, new Map(), Infinity, true);
  console.log(`| pattern layer alone (default threshold) | ${pct(patternFp, benign.length)} | ${pct(p, attacks.length)} |`);
  for (const [name, t] of [['learned, 1% FPR', t1], ['learned, 2% FPR', t2]] as const) {
    const [h] = recallAt(attacks, oof, t);
    const [hc] = recallAt(attacks, oof, t, true);
    const fpl = benign.filter((i) => (oof.get(i) as number) >= t).length;
    const fpc = benign.filter((i) => (oof.get(i) as number) >= t || i.pattern).length;
    console.log(`| ${name} | ${pct(fpl, benign.length)} | ${pct(h, attacks.length)} |`);
    console.log(`| pattern OR ${name} | ${pct(fpc, benign.length)} | ${pct(hc, attacks.length)} |`);
  }
  console.log('\nPer family (learned at the 2%-FPR threshold; pattern alone; both):\n');
  console.log('| family | n | pattern | learned | pattern OR learned |');
  console.log('| --- | --- | --- | --- | --- |');
  const fam = new Map<string, Item[]>();
  const put = (k: string, i: Item): void => { const l = fam.get(k) ?? []; l.push(i); fam.set(k, l); };
  for (const i of attacks) {
    put(`${i.r.file} / ${i.r.kind}`, i);
    put(i.r.lang === 'en' ? 'English' : 'non-English', i);
    if (i.r.lang !== 'en') put(`lang ${i.r.lang}`, i);
  }
  for (const [k, l] of [...fam.entries()].sort()) {
    const [pp] = recallAt(l, new Map(), Infinity, true);
    const [h] = recallAt(l, oof, t2);
    const [hc] = recallAt(l, oof, t2, true);
    console.log(`| ${k} | ${l.length} | ${pct(pp, l.length)} | ${pct(h, l.length)} | ${pct(hc, l.length)} |`);
  }
  console.log('\nFalse positives by benign source (learned at 1% / 2% thresholds; pattern):\n');
  console.log('| benign source | n | learned @1% | learned @2% | pattern |');
  console.log('| --- | --- | --- | --- | --- |');
  const bySrc = new Map<string, Item[]>();
  for (const i of benign) { const k = i.r.source.includes('PIGuard') ? 'NotInject (PIGuard)' : `${i.r.file} ${repos(i.r)[0]}`; const l = bySrc.get(k) ?? []; l.push(i); bySrc.set(k, l); }
  for (const [k, l] of [...bySrc.entries()].sort()) {
    const f1 = l.filter((i) => (oof.get(i) as number) >= t1).length;
    const f2 = l.filter((i) => (oof.get(i) as number) >= t2).length;
    console.log(`| ${k} | ${l.length} | ${pct(f1, l.length)} | ${pct(f2, l.length)} | ${pct(l.filter((i) => i.pattern).length, l.length)} |`);
  }
}

/**
 * Leave groups out. Two operating points per model:
 *  A. thresholds at 1% / 2% FPR of a fixed 20% of benign records that are
 *     never trained on and not in the held-out group (in-distribution
 *     calibration, as before);
 *  B. (when `pooled`) one pair of thresholds for all models, at 1% / 2% of the
 *     pooled *held-out* benign scores: every benign record scored by the model
 *     that did not see its source. This is the operating point an unseen
 *     source meets, and the one the shipped model is calibrated to.
 */
function leaveOut(items: Item[], title: string, groups: [string, (i: Item) => boolean][], pooled = false): void {
  console.log(`\n## ${title}\n`);
  console.log('| held out | attacks | recall @1% FPR | recall @2% FPR | pattern OR learned @2% | benign | FPR @1% thr | FPR @2% thr |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const heldOut = new Map<Item, number[]>();
  const recallA: number[] = [];
  const fprA: number[] = [];
  for (const [name, out] of groups) {
    const cal = (i: Item): boolean => i.r.label === 0 && i.hash < 0.2;
    const m = train(items.filter((i) => !out(i) && !cal(i) && !i.evalOnly).map(ex), OPTS);
    const calScores = items.filter((i) => cal(i) && !out(i)).map((i) => logitOf(m, i.evalVecs));
    const t1 = thresholdAtFpr(calScores, 0.01);
    const t2 = thresholdAtFpr(calScores, 0.02);
    const test = items.filter(out);
    const logits = new Map(test.map((i) => [i, logitOf(m, i.evalVecs)] as const));
    for (const [i, z] of logits) { const l = heldOut.get(i) ?? []; l.push(z); heldOut.set(i, l); }
    const att = test.filter((i) => i.r.label === 1);
    const ben = test.filter((i) => i.r.label === 0);
    const cell = (l: Item[], t: number, withPattern = false): string => { const [h, n] = recallAt(l, logits, t, withPattern); return pct(h, n); };
    if (att.length > 0) { const [h, n] = recallAt(att, logits, t2, true); recallA.push(h / n); }
    if (ben.length > 0) { const [h, n] = recallAt(ben, logits, t2); fprA.push(h / n); }
    console.log(`| ${name} | ${att.length} | ${cell(att, t1)} | ${cell(att, t2)} | ${cell(att, t2, true)} | ${ben.length} | ${cell(ben, t1)} | ${cell(ben, t2)} |`);
  }
  const mean = (a: number[]): string => `${((100 * a.reduce((x, y) => x + y, 0)) / Math.max(1, a.length)).toFixed(1)}%`;
  console.log(`\nMean over groups (operating point A, 2%): recall (pattern OR learned) ${mean(recallA)} over ${recallA.length} attack groups; learned FPR ${mean(fprA)} over ${fprA.length} benign groups.`);
  if (!pooled) return;

  // B. pooled held-out operating point.
  const z = new Map([...heldOut].map(([i, l]) => [i, l.reduce((a, b) => a + b, 0) / l.length] as const));
  const benign = [...z.keys()].filter((i) => i.r.label === 0);
  const attacks = [...z.keys()].filter((i) => i.r.label === 1);
  const b = benign.map((i) => z.get(i) as number);
  const T1 = thresholdAtFpr(b, 0.01);
  const T2 = thresholdAtFpr(b, 0.02);
  const notInject = benign.filter((i) => i.r.source.includes('PIGuard'));
  console.log(`\n### ${title}: one operating point from the pooled held-out scores\n`);
  console.log(`Every record scored by the model trained without its source; thresholds at 1% / 2% of all ${benign.length} held-out benign scores (logits ${T1.toFixed(3)} / ${T2.toFixed(3)}).\n`);
  console.log('| operating point | FPR, all benign | FPR, NotInject | attack recall, learned | attack recall, pattern OR learned | FPR, pattern OR learned |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, t] of [['1% FPR', T1], ['2% FPR', T2]] as const) {
    const f = (l: Item[], withPattern = false): string => { const [h, n] = recallAt(l, z, t, withPattern); return pct(h, n); };
    console.log(`| ${name} | ${f(benign)} | ${f(notInject)} | ${f(attacks)} | ${f(attacks, true)} | ${f(benign, true)} |`);
  }
  console.log('\nPer source at the pooled thresholds (learned @1% / @2%; pattern OR learned @2%):\n');
  console.log('| source | attacks | recall @1% | recall @2% | pattern OR learned @2% | benign | FPR @1% | FPR @2% | pattern OR learned FPR @2% |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const rB: number[] = [];
  const fB: number[] = [];
  for (const [name, out] of groups) {
    const l = [...z.keys()].filter(out);
    const att = l.filter((i) => i.r.label === 1);
    const ben = l.filter((i) => i.r.label === 0);
    const c = (x: Item[], t: number, withPattern = false): string => { const [h, n] = recallAt(x, z, t, withPattern); return pct(h, n); };
    if (att.length > 0) { const [h, n] = recallAt(att, z, T2, true); rB.push(h / n); }
    if (ben.length > 0) { const [h, n] = recallAt(ben, z, T2, true); fB.push(h / n); }
    console.log(`| ${name} | ${att.length} | ${c(att, T1)} | ${c(att, T2)} | ${c(att, T2, true)} | ${ben.length} | ${c(ben, T1)} | ${c(ben, T2)} | ${c(ben, T2, true)} |`);
  }
  console.log(`\nMean over sources (pooled 2% point): recall (pattern OR learned) ${mean(rB)}; FPR (pattern OR learned) ${mean(fB)}.`);
  const dump = process.argv.find((a) => a.startsWith('--dump='))?.slice('--dump='.length);
  if (dump !== undefined) {
    writeFileSync(dump, [...z].map(([i, logit]) => JSON.stringify({ label: i.r.label, repos: repos(i.r), source: i.r.source, patternScore: i.patternScore, logit, t1: T1, t2: T2, text: i.r.text })).join('\n') + '\n');
    console.log(`\nPer-record results written to ${dump}.`);
  }
}

function latency(texts: string[]): void {
  const scorer = sharedLearnedScorer();
  const pattern = createInjectionDetector();
  console.log('\n## Latency (shipped model, one core, this process)\n');
  console.log('| prompt | learned µs p50 | learned µs p99 | pattern µs p50 | learned MB/s | CPU µs per request, both layers |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const size of [600, 4096, 102400]) {
    const prompts: string[] = [];
    let k = 0;
    for (let n = 0; n < 50; n++) {
      let s = '';
      while (s.length < size) s += `${texts[k++ % texts.length]}\n`;
      prompts.push(s.slice(0, size));
    }
    const reps = size > 10000 ? 3 : 40;
    const cpu0 = process.cpuUsage();
    const lt: number[] = [];
    const pt: number[] = [];
    for (let r = 0; r < reps; r++) {
      for (const p of prompts) {
        let t0 = process.hrtime.bigint();
        scorer.score(p);
        lt.push(Number(process.hrtime.bigint() - t0) / 1000);
        t0 = process.hrtime.bigint();
        pattern.scan(p);
        pt.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPer = (cpu.user + cpu.system) / (reps * prompts.length);
    lt.sort((a, b) => a - b);
    pt.sort((a, b) => a - b);
    const q = (a: number[], f: number): number => a[Math.min(a.length - 1, Math.floor(f * a.length))] as number;
    const mean = lt.reduce((a, b) => a + b, 0) / lt.length;
    console.log(`| ${size} B | ${q(lt, 0.5).toFixed(0)} | ${q(lt, 0.99).toFixed(0)} | ${q(pt, 0.5).toFixed(0)} | ${(size / mean).toFixed(1)} | ${cpuPer.toFixed(0)} |`);
  }
}

function main(): void {
  const dir = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '/work/shared/corpora');
  const { records } = loadCorpora(dir);
  OPTS = trainOptionsFromArgs(process.argv);
  console.log(`training options: ${JSON.stringify(OPTS)}`);
  const bag = new FeatureBag();
  const pattern = createInjectionDetector();
  const items: Item[] = records.map((r) => {
    const p = pattern.scan(r.text);
    return { r, trainVecs: vectorize(r.text, bag), evalVecs: vectorize(r.text, bag, 32), hash: unitHash(r.text), pattern: p.detected, patternScore: p.score, evalOnly: r.source === EVAL_ONLY_SOURCE };
  });
  const only = process.argv.includes('--latency-only');
  if (!only) {
    if (!process.argv.includes('--loso-only')) crossValidation(items);
    const allRepos = [...new Set(items.flatMap((i) => repos(i.r)))].sort();
    leaveOut(items, 'Leave one source (repository) out', allRepos.map((R) => [R, (i: Item) => repos(i.r).includes(R)]), true);
    const files = ['injection/attacks.jsonl', 'injection/multilingual.jsonl', 'injection/indirect.jsonl', 'injection/persuasion.jsonl'];
    if (!process.argv.includes('--loso-only')) leaveOut(items, 'Leave one attack file (family) out', files.map((f) => [f, (i: Item) => i.r.file === f]));
  }
  if (!process.argv.includes('--loso-only')) latency(items.filter((i) => i.r.label === 0).map((i) => i.r.text));
}

main();
