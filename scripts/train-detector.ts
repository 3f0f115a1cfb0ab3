// Trains the learned prompt-injection layer and writes models/injection-linear.{bin,json}.
//
//   npm run train:detector [-- corporaDir]      (default /work/shared/corpora)
//
// Data: the seven corpus files named in scripts/detector/train-lib.ts, from
// the shared corpora only (their sha256 values go into the model metadata),
// minus self-instruct's user-oriented set, which its authors reserve for
// evaluation. Steps:
//   1. calibrate by leaving one source out: for every repository that has
//      benign records, train without any record of it and score its benign
//      records. The pooled held-out benign scores say where an unseen kind of
//      benign text lands; the logit at CALIBRATION_FPR of them is the
//      operating point (training scores, or a random split of the same
//      sources, put it far too low: see docs/detection.md);
//   2. train the shipped model on all records with the same seed;
//   3. shift its bias by that logit, so that a score of 0.5 (the default
//      `injection.threshold`) is the calibrated point.
// Training: SGD with the options in DEFAULT_TRAIN (records weighted by
// n_source^-0.5 inside each class, classes balanced, L2, fixed seed).
// Weights are stored as little-endian float32, DIM of them. Same corpora, same
// seed and Node 20 → the same bytes (sha256 printed and stored).

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DIM, FEATURE_VERSION, FeatureBag, CHAR_MIN, CHAR_MAX, BLOCK } from '../src/detectors/injection/features.js';
import { DEFAULT_TRAIN, EVAL_ONLY_SOURCE, loadCorpora, logitOf, repos, sourceGroup, thresholdAtFpr, train, vectorize } from './detector/train-lib.js';

/** Share of held-out benign records (other sources' models) at or above the default threshold. */
const CALIBRATION_FPR = 0.02;

function main(): void {
  const dir = resolve(process.argv[2] ?? '/work/shared/corpora');
  const { records, sha256 } = loadCorpora(dir);
  const usable = records.filter((r) => r.source !== EVAL_ONLY_SOURCE);
  const bag = new FeatureBag();
  const t0 = Date.now();
  const examples = usable.map((r) => ({ vecs: vectorize(r.text, bag), label: r.label, group: sourceGroup(r), repos: repos(r) }));
  console.log(`featurised ${examples.length} records in ${Date.now() - t0} ms`);

  const benignRepos = [...new Set(examples.filter((e) => e.label === 0).flatMap((e) => e.repos))].sort();
  const heldOut = new Map<(typeof examples)[number], number[]>();
  for (const R of benignRepos) {
    const m = train(examples.filter((e) => !e.repos.includes(R)), DEFAULT_TRAIN);
    for (const e of examples) {
      if (e.label !== 0 || !e.repos.includes(R)) continue;
      const l = heldOut.get(e) ?? [];
      l.push(logitOf(m, e.vecs));
      heldOut.set(e, l);
    }
  }
  const calBenign = [...heldOut.values()].map((l) => l.reduce((a, b) => a + b, 0) / l.length);
  const zStar = thresholdAtFpr(calBenign, CALIBRATION_FPR);
  console.log(`calibration: ${calBenign.length} benign records held out by source (${benignRepos.length} models), logit at ${CALIBRATION_FPR * 100}% FPR = ${zStar.toFixed(4)} (${Date.now() - t0} ms)`);

  const model = train(examples, DEFAULT_TRAIN);
  const weights = Float32Array.from(model.w);
  const bin = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
  const binSha = createHash('sha256').update(bin).digest('hex');
  const meta = {
    name: 'injection-linear',
    featureVersion: FEATURE_VERSION,
    dim: DIM,
    features: { charNgrams: [CHAR_MIN, CHAR_MAX], wordNgrams: [1, 2], block: BLOCK, window: '2 adjacent blocks' },
    bias: Math.fround(model.bias - zStar),
    train: { ...DEFAULT_TRAIN, records: examples.length, positives: examples.filter((e) => e.label === 1).length, excluded: [EVAL_ONLY_SOURCE] },
    calibration: { fpr: CALIBRATION_FPR, method: 'leave one source out', models: benignRepos.length, heldOutBenign: calBenign.length, logit: zStar },
    corpora: sha256,
    weightsSha256: binSha,
    node: process.versions.node.split('.')[0],
  };
  writeFileSync('models/injection-linear.bin', bin);
  writeFileSync('models/injection-linear.json', `${JSON.stringify(meta, null, 2)}\n`);
  console.log(`wrote models/injection-linear.bin (${bin.length} bytes, sha256 ${binSha}) in ${Date.now() - t0} ms`);
}

main();
