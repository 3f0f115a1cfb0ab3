/**
 * CPU of the learned injection layer (and of cost admission's token count), this tree against an
 * earlier commit, both in this one process, alternating round by round (issue 15):
 *
 *   npm run build && node dist/bench/learned-speed.js [old-ref] [corporaDir]
 *
 * Learned layer: benign corpus text cut to 600 B and 4 KB (as bench/injection-speed.ts), plus the
 * three texts the proxy benchmark's request makes the gateway score (system prompt, user text and
 * the two joined). The old scorer is the old-ref's features.ts/learned.ts (bench/learned-old.ts).
 * Token count: the benchmark request's two texts, counted by the tokenizer as before, and through
 * the per-key cache (TokenCountCache) as admission now does — a hit from the second request of a
 * key on, for the same text (a resent system prompt or earlier turn); a miss costs one SHA-256 more.
 * Prints CPU µs per call (process.cpuUsage), median and min of the rounds, and the load average.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BEFORE_LEARNED_CUTS, loadOldLearned } from './learned-old.js';
import { USER_TEXT } from './chat-config.js';
import { defaultModelPath, loadLearnedScorer } from '../src/detectors/injection/learned.js';
import { TokenCountCache, tokenCounter } from '../src/limits/cost.js';

const ROUNDS = 15;

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** CPU µs per call of `fn` over `texts`, `reps` times. */
function cpuPerCall(fn: (t: string) => unknown, texts: readonly string[], reps: number): number {
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) for (const t of texts) fn(t);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (reps * texts.length);
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)] as number).toFixed(2)} (min ${(s[0] as number).toFixed(2)})`;
}

async function main(): Promise<void> {
  const ref = process.argv[2] ?? BEFORE_LEARNED_CUTS;
  const dir = resolve(process.argv[3] ?? 'test/fixtures/corpora');
  const corpus = readFileSync(join(dir, 'benign/benign.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text);
  const old = await loadOldLearned(ref);
  const model = defaultModelPath();
  const scorers = { before: old.loadLearnedScorer(model), after: loadLearnedScorer(model) };
  const system = 'You are a helpful assistant.';
  const sets: [string, string[], number][] = [['bench request (3 texts: 28, 420, 449 chars)', [system, USER_TEXT, `${system}\n${USER_TEXT}`], 400]];
  for (const size of [600, 4096]) {
    const prompts: string[] = [];
    for (let n = 0, k = 0; n < 40; n++) {
      let s = '';
      while (s.length < size) s += `${corpus[k++ % corpus.length] as string}\n`;
      prompts.push(s.slice(0, size));
    }
    sets.push([`${size} B benign`, prompts, size > 1000 ? 10 : 40]);
  }
  process.stdout.write(`node ${process.versions.node}; old ${ref}; ${ROUNDS} rounds alternating; load average at start ${loadavg()}\n\n`);
  process.stdout.write('| learned layer, CPU µs per text | before: median (min) | after: median (min) | after / before |\n|---|---:|---:|---:|\n');
  for (const [name, texts, reps] of sets) {
    const res: Record<'before' | 'after', number[]> = { before: [], after: [] };
    for (const k of ['before', 'after'] as const) cpuPerCall((t) => scorers[k].score(t), texts, reps); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      for (const k of order) res[k].push(cpuPerCall((t) => scorers[k].score(t), texts, reps));
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    process.stdout.write(`| ${name} | ${stats(res.before)} | ${stats(res.after)} | ${(med(res.after) / med(res.before)).toFixed(2)} |\n`);
  }

  const counter = tokenCounter('o200k_base');
  const texts = [system, USER_TEXT];
  const count = {
    'tokenizer (before)': (): number => counter.count(texts[0] as string) + counter.count(texts[1] as string),
    'cache, hit (same key, same texts)': ((): (() => number) => {
      const cache = new TokenCountCache(counter);
      return () => cache.countTexts('bench', texts);
    })(),
    'cache, miss (a new text every time)': ((): (() => number) => {
      const cache = new TokenCountCache(counter);
      let n = 0;
      return () => cache.countTexts('bench', [system, `${USER_TEXT} ${n++}`]);
    })(),
  };
  process.stdout.write('\n| admission token count, bench request (2 texts) | CPU µs per request: median (min) |\n|---|---:|\n');
  const res = new Map<string, number[]>(Object.keys(count).map((k) => [k, []]));
  for (const fn of Object.values(count)) cpuPerCall(fn, [''], 200);
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(count)) res.get(k)?.push(cpuPerCall(fn, [''], 400));
  for (const [k, xs] of res) process.stdout.write(`| ${k} | ${stats(xs)} |\n`);
  process.stdout.write(`\nload average at end ${loadavg()}\n`);
  old.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`learned-speed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
