// Second, learned prompt-injection layer: a logistic regression over hashed
// character and word n-grams (features.ts), trained by
// scripts/train-detector.ts from the shared corpora. Its weights
// (models/injection-linear.bin, float32, plus .json metadata) are read once
// at start-up; a missing, truncated or mismatched file is an error then, not a
// silent pass later.
//
// A text is normalised once, cut into 512-character blocks and scored in
// windows of two adjacent blocks; its score is the highest window's probability,
// so an instruction hidden in a long document is not diluted by the
// document. Cost is linear in the text length (about 6 hashed features per
// character, each hashed once); see docs/benchmarks.md.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIM, FEATURE_VERSION, FeatureBag, normalizeForModel } from './features.js';

export interface LearnedModelMeta {
  name: string;
  featureVersion: number;
  dim: number;
  bias: number;
  weightsSha256: string;
  corpora: Record<string, string>;
  calibration: { fpr: number; heldOutBenign: number; logit: number };
}

export interface LearnedScorer {
  /** Probability-like score in [0, 1]; 0.5 is the shipped model's calibrated point: 2% FPR on benign sources held out from training. */
  score(text: string): number;
  readonly meta: LearnedModelMeta;
}

/** Where the committed weights live: <repo>/models, from src/ or dist/src/. */
export function defaultModelPath(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes('/dist/src/') ? '../../../../models/injection-linear' : '../../../models/injection-linear';
  return fileURLToPath(new URL(up, import.meta.url));
}

export function loadLearnedScorer(basePath: string = defaultModelPath()): LearnedScorer {
  const meta = JSON.parse(readFileSync(`${basePath}.json`, 'utf8')) as LearnedModelMeta;
  if (meta.featureVersion !== FEATURE_VERSION || meta.dim !== DIM) {
    throw new Error(`injection model ${basePath}: feature version ${meta.featureVersion}/dim ${meta.dim}, code expects ${FEATURE_VERSION}/${DIM}; retrain with npm run train:detector`);
  }
  const bin = readFileSync(`${basePath}.bin`);
  if (bin.length !== DIM * 4) throw new Error(`injection model ${basePath}.bin: ${bin.length} bytes, expected ${DIM * 4}`);
  const sha = createHash('sha256').update(bin).digest('hex');
  if (sha !== meta.weightsSha256) throw new Error(`injection model ${basePath}.bin: sha256 does not match its metadata`);
  const w = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) w[i] = bin.readFloatLE(i * 4);
  if (!Number.isFinite(meta.bias)) throw new Error(`injection model ${basePath}.json: bias is not a number`);
  const bag = new FeatureBag();
  return {
    meta,
    score(text: string): number {
      const s = normalizeForModel(text);
      if (s.length === 0) return 0;
      // The highest window's logit: bias + the highest dot product (adding the bias is monotonic
      // in floating point too, so this is exactly the highest of bias + dot over the windows).
      return 1 / (1 + Math.exp(-(meta.bias + bag.maxDot(s, w))));
    },
  };
}

let shared: LearnedScorer | null = null;
/** The committed model, loaded on first use and shared (it is read-only). */
export function sharedLearnedScorer(): LearnedScorer {
  shared ??= loadLearnedScorer();
  return shared;
}
