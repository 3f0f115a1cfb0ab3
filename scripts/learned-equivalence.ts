/**
 * Equivalence check for changes to the learned injection layer's code (features.ts, learned.ts)
 * that must not change any result: the scorer of an earlier commit and this tree's scorer score
 * the same texts, and every score must be the same float (Object.is), every normalised text the
 * same string, every training block (FeatureBag.blocks) the same buckets and counts, and every
 * training vector (FeatureBag.sparse of each window) the same buckets and float values.
 *
 *   npm run build && node dist/scripts/learned-equivalence.js [old-ref] [corporaDir]
 *
 * old-ref (default c568b46, the last commit before issue 15's learned-layer cuts): its
 * features.ts and learned.ts are transpiled into a temporary directory and imported from there
 * (bench/learned-old.ts); nothing old is kept in the tree.
 * Texts: every record of every .jsonl under the corpora (default /work/shared/corpora, else
 * test/fixtures/corpora), every string literal of the test files (test/**\/*.ts), and, to cross
 * the one-/two-/many-block paths at every length, each corpus text joined with the next one and
 * padded with whitespace. Exit code 1 when anything differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { filesUnder, testStringLiterals } from '../bench/source-texts.js';
import { BEFORE_LEARNED_CUTS, loadOldLearned } from '../bench/learned-old.js';
import { FeatureBag, normalizeForModel, windows, type Block } from '../src/detectors/injection/features.js';
import { defaultModelPath, loadLearnedScorer } from '../src/detectors/injection/learned.js';

const REPO = resolve(process.cwd());

function sameBlocks(a: Block[], b: Block[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] as Block;
    const y = b[k] as Block;
    if (x.idx.length !== y.idx.length || x.cnt.length !== y.cnt.length) return false;
    for (let i = 0; i < x.idx.length; i++) if (x.idx[i] !== y.idx[i] || x.cnt[i] !== y.cnt[i]) return false;
  }
  return true;
}

function sameSparse(a: { idx: Int32Array; val: Float32Array }[], b: { idx: Int32Array; val: Float32Array }[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] as { idx: Int32Array; val: Float32Array };
    const y = b[k] as { idx: Int32Array; val: Float32Array };
    if (x.idx.length !== y.idx.length) return false;
    for (let i = 0; i < x.idx.length; i++) if (x.idx[i] !== y.idx[i] || !Object.is(x.val[i], y.val[i])) return false;
  }
  return true;
}

async function main(): Promise<void> {
  const ref = process.argv[2] ?? BEFORE_LEARNED_CUTS;
  const corpora = resolve(process.argv[3] ?? (existsSync('/work/shared/corpora') ? '/work/shared/corpora' : 'test/fixtures/corpora'));
  const old = await loadOldLearned(ref, REPO);
  try {
    const corpus: string[] = [];
    for (const f of filesUnder(corpora, '.jsonl')) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const t = (JSON.parse(line) as { text?: unknown }).text;
        if (typeof t === 'string') corpus.push(t);
      }
    }
    const lits = testStringLiterals(join(REPO, 'test'));
    const derived: string[] = [];
    for (let k = 0; k < corpus.length; k++) {
      const t = corpus[k] as string;
      derived.push(`${t}\n\n${corpus[(k + 1) % corpus.length] as string}`, `  ${t.toUpperCase()}\t `, t.replace(/ /g, '  '));
    }
    const groups: [string, string[]][] = [['corpus records', corpus], ['test-file string literals', lits], ['derived (joined, padded, upper-cased)', derived]];

    const model = defaultModelPath();
    const before = old.loadLearnedScorer(model);
    const after = loadLearnedScorer(model);
    const oldBag = new old.FeatureBag();
    const newBag = new FeatureBag();
    let total = 0;
    let bad = 0;
    const byBlocks = new Map<number, number>();
    for (const [name, texts] of groups) {
      let scoreDiff = 0;
      let normDiff = 0;
      let blockDiff = 0;
      for (const t of texts) {
        const a = before.score(t);
        const b = after.score(t);
        if (!Object.is(a, b)) {
          scoreDiff++;
          if (scoreDiff <= 5) process.stdout.write(`  score differs (${a} vs ${b}): ${JSON.stringify(t.slice(0, 80))}\n`);
        }
        const na = old.normalizeForModel(t);
        const nb = normalizeForModel(t);
        if (na !== nb) normDiff++;
        const ob = oldBag.blocks(na);
        const nbk = newBag.blocks(na);
        if (!sameBlocks(ob, nbk) || !sameSparse(windows(ob).map((win) => oldBag.sparse(win)), windows(nbk).map((win) => newBag.sparse(win)))) blockDiff++;
        const blocks = Math.max(1, Math.ceil(na.length / 512));
        byBlocks.set(Math.min(blocks, 3), (byBlocks.get(Math.min(blocks, 3)) ?? 0) + 1);
      }
      total += texts.length;
      bad += scoreDiff + normDiff + blockDiff;
      process.stdout.write(`${name}: ${texts.length} texts, ${scoreDiff} different scores, ${normDiff} different normalisations, ${blockDiff} different training blocks or vectors\n`);
    }
    process.stdout.write(`texts by normalised length: ${byBlocks.get(1) ?? 0} of one block, ${byBlocks.get(2) ?? 0} of two, ${byBlocks.get(3) ?? 0} of three or more\n`);
    process.stdout.write(`old: ${ref}; ${total} texts in all, ${bad} differences (exact float comparison)\n`);
    if (bad > 0) process.exitCode = 1;
  } finally {
    old.dispose();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`learned-equivalence: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
