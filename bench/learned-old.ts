/**
 * The learned injection layer of an earlier commit, for side-by-side checks of this tree's
 * (scripts/learned-equivalence.ts, bench/learned-speed.ts): its features.ts and learned.ts are
 * read with `git show <ref>:…`, transpiled into a temporary directory outside the repository and
 * imported from there, so no old code is kept in the tree.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { Block } from '../src/detectors/injection/features.js';
import type { LearnedScorer } from '../src/detectors/injection/learned.js';

/** The last commit before issue 15's learned-layer cuts. */
export const BEFORE_LEARNED_CUTS = 'c568b46';

export interface OldLearnedLayer {
  normalizeForModel(text: string): string;
  FeatureBag: new () => { blocks(s: string): Block[]; sparse(blocks: readonly Block[]): { idx: Int32Array; val: Float32Array } };
  loadLearnedScorer(basePath: string): LearnedScorer;
  /** Removes the temporary directory. */
  dispose(): void;
}

export async function loadOldLearned(ref: string, repo = process.cwd()): Promise<OldLearnedLayer> {
  const dir = mkdtempSync(join(tmpdir(), 'learned-old-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  // The files at their paths in the repository, so their relative imports resolve; code-units.ts
  // (imported by features.ts since issue 15) only where the ref has it.
  const files = ['src/detectors/injection/features', 'src/detectors/injection/learned', 'src/util/code-units'];
  for (const name of files) {
    let src: string;
    try {
      src = execFileSync('git', ['show', `${ref}:${name}.ts`], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (err) {
      if (name === 'src/util/code-units') continue;
      throw err;
    }
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, `${name}.js`), js);
  }
  const features = (await import(pathToFileURL(join(dir, 'src/detectors/injection/features.js')).href)) as Pick<OldLearnedLayer, 'normalizeForModel' | 'FeatureBag'>;
  const learned = (await import(pathToFileURL(join(dir, 'src/detectors/injection/learned.js')).href)) as Pick<OldLearnedLayer, 'loadLearnedScorer'>;
  return {
    normalizeForModel: features.normalizeForModel,
    FeatureBag: features.FeatureBag,
    loadLearnedScorer: learned.loadLearnedScorer,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
