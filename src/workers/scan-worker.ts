/**
 * The tasks a scan-pool thread runs (src/workers/scan-pool.ts): the same injection scanner the
 * event loop runs inline (createInjectionScanner), so a verdict does not depend on where it was
 * computed, and the same token counter admission runs inline (tokenCounter), so a count — and so
 * a charge — does not either. Scanners are built once per (threshold, layers) and kept; the
 * default one is built when the thread starts, so the rules are compiled and the learned model is
 * loaded before the first request reaches the thread (the pool's warm-up). A tokenizer's tables
 * load on its first count in the thread (~100 ms, once per thread and encoding). A `kserve` task
 * is the whole check of a large KServe JSON body (checkKserveJson: the same guard, parse and
 * validator as inline); a re-serialised body in its answer is moved back, not copied.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ALL_LAYERS, type InjectionVerdict } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';
import { countTexts, tokenCounter, type Tokenizer } from '../limits/cost.js';
import { checkKserveJson, type KserveJsonTask, type KserveJsonVerdict } from '../protocols/kserve/json-check.js';
import { scannerFor } from './scanners.js';

export interface ScanTask {
  kind?: 'scan';
  texts: readonly string[];
  threshold: number | null;
  layers: readonly InjectionLayer[];
}

/** The sum of the texts' token counts (without message framing: the caller adds it). */
export interface CountTask {
  kind: 'count';
  texts: readonly string[];
  tokenizer: Tokenizer;
}

/** A KServe JSON body, parsed, guarded and validated (src/protocols/kserve/json-check.ts). */
export interface KserveTask extends KserveJsonTask {
  kind: 'kserve';
}

export type PoolTask = ScanTask | CountTask | KserveTask;
export type PoolResult = InjectionVerdict | number | KserveJsonVerdict;

/** The verdict, with its re-serialised body's memory transferred to the event loop's thread. */
function moved(v: KserveJsonVerdict): KserveJsonVerdict {
  if (v.json === null) return v;
  return move({ [transferableSymbol]: [v.json.buffer], [valueSymbol]: v }) as unknown as KserveJsonVerdict;
}

scannerFor(null, ALL_LAYERS);

export default function run(task: PoolTask): PoolResult {
  if (task.kind === 'count') return countTexts(task.texts, tokenCounter(task.tokenizer));
  if (task.kind === 'kserve') return moved(checkKserveJson(task));
  return scannerFor(task.threshold, task.layers)(task.texts);
}
