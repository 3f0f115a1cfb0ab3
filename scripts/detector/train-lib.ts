// Training and evaluation machinery for the learned prompt-injection layer:
// corpus loading, featurisation (src/detectors/injection/features.ts, the
// same code inference uses), and a deterministic logistic regression trained
// by SGD. Used by scripts/train-detector.ts (ships the weights) and
// bench/detection-loso.ts (measures generalisation). Never imported by src/.
//
// Determinism: records are read in file order; every random choice comes
// from a seeded mulberry32 generator; arithmetic is IEEE-754 double in a fixed
// order, so the same corpora, seed and Node major version give the same bytes.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureBag, normalizeForModel, windows, DIM } from '../../src/detectors/injection/features.js';
import { mulberry32 } from '../../src/util/prng.js';

export interface CorpusRecord {
  text: string;
  label: 0 | 1;
  /** Corpus file, e.g. "injection/indirect.jsonl". */
  file: string;
  source: string;
  kind: string;
  lang: string;
}

export const CORPUS_FILES = [
  'injection/attacks.jsonl',
  'injection/multilingual.jsonl',
  'injection/indirect.jsonl',
  'injection/persuasion.jsonl',
  'benign/benign.jsonl',
  'benign/multilingual.jsonl',
  'benign/documents.jsonl',
] as const;

/**
 * Records whose authors ask that they not be used for training
 * (self-instruct's user-oriented instructions): evaluation only.
 */
export const EVAL_ONLY_SOURCE = 'yizhongw/self-instruct:human_eval/user_oriented_instructions.jsonl';

export function loadCorpora(dir: string): { records: CorpusRecord[]; sha256: Record<string, string> } {
  const records: CorpusRecord[] = [];
  const sha256: Record<string, string> = {};
  for (const file of CORPUS_FILES) {
    const raw = readFileSync(join(dir, file));
    sha256[file] = createHash('sha256').update(raw).digest('hex');
    const label: 0 | 1 = file.startsWith('injection/') ? 1 : 0;
    for (const line of raw.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as { text: string; source: string; kind?: string; lang?: string };
      records.push({ text: r.text, label, file, source: r.source, kind: r.kind ?? (label ? 'attack' : 'prompt'), lang: r.lang ?? 'en' });
    }
  }
  return { records, sha256 };
}

/** The repositories a record comes from (two for composite records). */
export function repos(r: CorpusRecord): string[] {
  return r.source.split(' + ').map((s) => s.split(':')[0] ?? s);
}

/** A stable number in [0, 1) from a string (for splits that do not depend on order). */
export function unitHash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32;
}

export interface Sparse {
  idx: Int32Array;
  val: Float32Array;
}

/** Training windows per record: at most this many, evenly spread. */
export const MAX_TRAIN_WINDOWS = 3;

/** Feature vectors of a record's windows (the same windows inference scores). */
export function vectorize(text: string, bag: FeatureBag, maxWindows = MAX_TRAIN_WINDOWS): Sparse[] {
  const s = normalizeForModel(text);
  let wins = windows(bag.blocks(s));
  if (wins.length > maxWindows) {
    const all = wins;
    wins = [];
    for (let k = 0; k < maxWindows; k++) wins.push(all[Math.round((k * (all.length - 1)) / (maxWindows - 1))] as (typeof all)[number]);
  }
  return wins.map((win) => bag.sparse(win));
}

export interface TrainOptions {
  seed: number;
  epochs: number;
  lr: number;
  l2: number;
  /**
   * Per-source weighting: inside a class, a record of a source with n records
   * weighs n^-sourcePower (0 = every record the same). 0.5 keeps the big
   * sources (XSafety, presidio) from dominating what the model learns while
   * still counting them more than a 40-record source.
   */
  sourcePower: number;
}

export const DEFAULT_TRAIN: TrainOptions = { seed: 14, epochs: 8, lr: 0.5, l2: 1e-4, sourcePower: 0.5 };

/** Training options from `--l2=… --epochs=… --lr=… --source-power=… --seed=…` arguments (for experiments). */
export function trainOptionsFromArgs(argv: readonly string[], base: TrainOptions = DEFAULT_TRAIN): TrainOptions {
  const o = { ...base };
  for (const a of argv) {
    const m = /^--(l2|epochs|lr|source-power|seed)=(.+)$/.exec(a);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isFinite(v)) throw new Error(`bad value in ${a}`);
    if (m[1] === 'source-power') o.sourcePower = v;
    else o[m[1] as 'l2' | 'epochs' | 'lr' | 'seed'] = v;
  }
  return o;
}

/** The group a record is weighted by: its repositories (a composite record is its own group). */
export function sourceGroup(r: CorpusRecord): string {
  return repos(r).join(' + ');
}

export interface LinearModel {
  w: Float64Array;
  bias: number;
}

/**
 * Logistic regression by SGD over windows. Each record's windows share its
 * label; the two classes get equal total weight, and within a class every
 * record weighs the same however many windows it has.
 */
export function train(examples: { vecs: Sparse[]; label: 0 | 1; group?: string }[], opts: TrainOptions = DEFAULT_TRAIN): LinearModel {
  const w = new Float64Array(DIM);
  let bias = 0;
  const items: { v: Sparse; y: number; weight: number }[] = [];
  // Record weight before class balancing: n_group^-sourcePower.
  const groupSize = new Map<string, number>();
  for (const e of examples) groupSize.set(`${e.label}:${e.group ?? ''}`, (groupSize.get(`${e.label}:${e.group ?? ''}`) ?? 0) + 1);
  const raw = examples.map((e) => (groupSize.get(`${e.label}:${e.group ?? ''}`) ?? 1) ** -opts.sourcePower);
  let sumPos = 0;
  let sumNeg = 0;
  examples.forEach((e, k) => { if (e.label === 1) sumPos += raw[k] as number; else sumNeg += raw[k] as number; });
  if (sumPos === 0 || sumNeg === 0) throw new Error('training needs both classes');
  // Each class gets half of the total weight; the mean record weight is 1 (so lr keeps its meaning).
  examples.forEach((e, k) => {
    const classWeight = ((raw[k] as number) * examples.length) / (2 * (e.label === 1 ? sumPos : sumNeg));
    for (const v of e.vecs) items.push({ v, y: e.label, weight: classWeight / e.vecs.length });
  });
  const rand = mulberry32(opts.seed);
  const order = Array.from(items.keys());
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    const lr = opts.lr / (1 + epoch);
    for (const k of order) {
      const it = items[k];
      if (!it) continue;
      const { idx, val } = it.v;
      let z = bias;
      for (let q = 0; q < idx.length; q++) z += (w[idx[q] as number] as number) * (val[q] as number);
      const p = 1 / (1 + Math.exp(-z));
      const g = (p - it.y) * it.weight;
      for (let q = 0; q < idx.length; q++) {
        const b = idx[q] as number;
        const wb = w[b] as number;
        w[b] = wb - lr * (g * (val[q] as number) + opts.l2 * wb);
      }
      bias -= lr * g;
    }
  }
  return { w, bias };
}

/** Logit of a record: the maximum over its windows (as inference does). */
export function logitOf(m: { w: ArrayLike<number>; bias: number }, vecs: Sparse[]): number {
  let best = -Infinity;
  for (const { idx, val } of vecs) {
    let z = m.bias;
    for (let q = 0; q < idx.length; q++) z += (m.w[idx[q] as number] as number) * (val[q] as number);
    if (z > best) best = z;
  }
  return best;
}

/** The smallest threshold t with at most `fpr` of `benign` scores >= t. */
export function thresholdAtFpr(benign: number[], fpr: number): number {
  const sorted = [...benign].sort((a, b) => b - a);
  const allowed = Math.floor(fpr * sorted.length);
  // Scores strictly above sorted[allowed] are at most `allowed` values.
  const t = sorted[allowed];
  return t === undefined ? -Infinity : t + 1e-9;
}
