// Measured evaluation of the first-layer prompt-injection detector.
//
//   npm run build && node dist/bench/detection-eval.js [corporaDir] [--misses N] [--fps N]
//
// corporaDir defaults to test/fixtures/corpora and must contain
// injection/attacks.jsonl and benign/benign.jsonl (the layout of the shared
// corpora directory). Prints recall per attack kind, overall recall, the
// false-positive rate on all benign prompts and on the NotInject subset, a
// split by record parity (rules were tuned while looking at even-numbered
// records only; the odd half is a rough held-out check), the effect of the
// context checks (negated / defensive / quoted matches count less; compared
// with a detector that counts every match fully), and scan latency per 4 KB
// prompt with and without the context checks.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInjectionDetector, type InjectionDetector } from '../src/detectors/injection/index.js';

interface AttackRecord {
  text: string;
  source: string;
  kind: string;
}

interface BenignRecord {
  text: string;
  source: string;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function parseArgs(argv: string[]): { dir: string; misses: number; fps: number } {
  let dir = 'test/fixtures/corpora';
  let misses = 0;
  let fps = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--misses') misses = Number(argv[++i] ?? '20');
    else if (a === '--fps') fps = Number(argv[++i] ?? '20');
    else if (a !== undefined) dir = a;
  }
  return { dir: resolve(dir), misses, fps };
}

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

/** Build fixed 4096-character prompts by concatenating corpus texts. */
function make4kPrompts(texts: string[], count: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (out.length < count && texts.length > 0) {
    let s = '';
    while (s.length < 4096) {
      s += (texts[i % texts.length] ?? '') + '\n\n';
      i++;
    }
    out.push(s.slice(0, 4096));
  }
  return out;
}

function timeScans(detector: InjectionDetector, prompts: string[], runs: number): number[] {
  // Warm-up so the JIT and regex compiler settle before measuring.
  for (let i = 0; i < 200; i++) detector.scan(prompts[i % prompts.length] ?? '');
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const p = prompts[i % prompts.length] ?? '';
    const t0 = process.hrtime.bigint();
    detector.scan(p);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}

function main(): void {
  const { dir, misses, fps } = parseArgs(process.argv.slice(2));
  const attacks = readJsonl<AttackRecord>(join(dir, 'injection', 'attacks.jsonl'));
  const benign = readJsonl<BenignRecord>(join(dir, 'benign', 'benign.jsonl'));
  const detector = createInjectionDetector();
  const noContext = createInjectionDetector({ contextChecks: false });

  console.log(`corpora: ${dir}`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);

  // ---- recall -------------------------------------------------------------
  const byKind = new Map<string, { n: number; hit: number }>();
  const parity = [
    { n: 0, hit: 0 },
    { n: 0, hit: 0 },
  ];
  const missed: AttackRecord[] = [];
  let hits = 0;
  attacks.forEach((r, i) => {
    const d = detector.scan(r.text).detected;
    const k = byKind.get(r.kind) ?? { n: 0, hit: 0 };
    k.n++;
    if (d) k.hit++;
    byKind.set(r.kind, k);
    const p = parity[i % 2];
    if (p) {
      p.n++;
      if (d) p.hit++;
    }
    if (d) hits++;
    else missed.push(r);
  });
  console.log('Recall on attacks.jsonl');
  for (const [kind, k] of [...byKind.entries()].sort()) {
    console.log(`  ${kind.padEnd(22)} ${String(k.hit).padStart(4)}/${String(k.n).padEnd(4)} ${pct(k.hit, k.n)}`);
  }
  console.log(`  ${'overall'.padEnd(22)} ${String(hits).padStart(4)}/${String(attacks.length).padEnd(4)} ${pct(hits, attacks.length)}`);

  // ---- false positives ----------------------------------------------------
  const fpRecords: BenignRecord[] = [];
  let ni = 0;
  let niFp = 0;
  const bParity = [
    { n: 0, fp: 0 },
    { n: 0, fp: 0 },
  ];
  const bySource = new Map<string, { n: number; fp: number }>();
  benign.forEach((r, i) => {
    const d = detector.scan(r.text).detected;
    const src = r.source.split(':')[0] ?? r.source;
    const s = bySource.get(src) ?? { n: 0, fp: 0 };
    s.n++;
    if (d) s.fp++;
    bySource.set(src, s);
    const p = bParity[i % 2];
    if (p) {
      p.n++;
      if (d) p.fp++;
    }
    if (r.source.includes('PIGuard')) {
      ni++;
      if (d) niFp++;
    }
    if (d) fpRecords.push(r);
  });
  console.log('\nFalse positives on benign.jsonl');
  for (const [src, s] of [...bySource.entries()].sort()) {
    console.log(`  ${src.padEnd(40)} ${String(s.fp).padStart(4)}/${String(s.n).padEnd(5)} ${pct(s.fp, s.n)}`);
  }
  console.log(`  ${'NotInject subset (PIGuard)'.padEnd(40)} ${String(niFp).padStart(4)}/${String(ni).padEnd(5)} ${pct(niFp, ni)}`);
  console.log(`  ${'overall'.padEnd(40)} ${String(fpRecords.length).padStart(4)}/${String(benign.length).padEnd(5)} ${pct(fpRecords.length, benign.length)}`);

  console.log('\nSplit by record parity (tuning looked at even records)');
  const [pe, po] = parity;
  const [be, bo] = bParity;
  if (pe && po && be && bo) {
    console.log(`  even: recall ${pct(pe.hit, pe.n)}  FPR ${pct(be.fp, be.n)}`);
    console.log(`  odd:  recall ${pct(po.hit, po.n)}  FPR ${pct(bo.fp, bo.n)}`);
  }

  // ---- context checks -----------------------------------------------------
  // Same rules, every match counted fully: how many decisions and scores the
  // context checks change on the corpora.
  const effect = (texts: string[]): { lowered: number; flipped: number; flaggedWithout: number } => {
    let lowered = 0;
    let flipped = 0;
    let flaggedWithout = 0;
    for (const t of texts) {
      const a = detector.scan(t);
      const b = noContext.scan(t);
      if (a.score < b.score) lowered++;
      if (a.detected !== b.detected) flipped++;
      if (b.detected) flaggedWithout++;
    }
    return { lowered, flipped, flaggedWithout };
  };
  const ea = effect(attacks.map((r) => r.text));
  const eb = effect(benign.map((r) => r.text));
  console.log('\nContext checks (compared with counting every match fully)');
  console.log(`  attacks: without ${ea.flaggedWithout}/${attacks.length} (${pct(ea.flaggedWithout, attacks.length)}), score lowered for ${ea.lowered}, decision changed for ${ea.flipped}`);
  console.log(`  benign:  without ${eb.flaggedWithout}/${benign.length} (${pct(eb.flaggedWithout, benign.length)}), score lowered for ${eb.lowered}, decision changed for ${eb.flipped}`);

  // ---- latency ------------------------------------------------------------
  // Three sets of fixed 4096-character prompts built by concatenating corpus
  // texts: benign only, attacks only (long jailbreaks: many rule hits, the
  // slow case), and a mix. Each set is timed separately.
  const sets: [string, string[]][] = [
    ['benign', make4kPrompts(benign.map((r) => r.text), 100)],
    ['attack', make4kPrompts(attacks.map((r) => r.text), 100)],
    ['mixed', make4kPrompts([...benign.map((r) => r.text), ...attacks.map((r) => r.text)].filter((_, i) => i % 7 === 0), 100)],
  ];
  const runs = 3000;
  console.log(`\nScan time per 4 KB prompt (${runs} timed runs per set, 100 distinct prompts per set)`);
  for (const [name, prompts] of sets) {
    for (const [label, d] of [['', detector], [' (no context checks)', noContext]] as const) {
      const ms = timeScans(d, prompts, runs);
      const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
      console.log(
        `  ${(name + label).padEnd(26)} p50 ${quantile(ms, 0.5).toFixed(3)} ms   p99 ${quantile(ms, 0.99).toFixed(3)} ms   mean ${mean.toFixed(3)} ms   max ${quantile(ms, 1).toFixed(3)} ms`,
      );
    }
  }

  // ---- optional detail ----------------------------------------------------
  if (misses > 0) {
    console.log(`\nMissed attacks (first ${misses} of ${missed.length}):`);
    for (const r of missed.slice(0, misses)) {
      const res = detector.scan(r.text);
      console.log(`  [${r.kind}] score=${res.score} ${r.text.slice(0, 160).replace(/\s+/g, ' ')}`);
    }
  }
  if (fps > 0) {
    console.log(`\nFalse positives (first ${fps} of ${fpRecords.length}):`);
    for (const r of fpRecords.slice(0, fps)) {
      const res = detector.scan(r.text);
      const fam = res.findings.map((f) => f.family).join(',');
      console.log(`  score=${res.score} [${fam}] ${r.text.slice(0, 200).replace(/\s+/g, ' ')}`);
    }
  }
}

main();
