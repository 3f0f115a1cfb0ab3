/**
 * The tasks a scan-pool thread runs (src/workers/scan-pool.ts): the same injection source scanner
 * the event loop runs inline (createSourceScanner: the decoded views of each source the policy
 * could not answer from its cache, and both layers over each view), so a verdict does not depend
 * on where it was computed, and the same
 * token counter admission runs inline (tokenCounter), so a count — and so a charge — does not
 * either. Scanners are built once per set of layers and kept; the
 * default one is built when the thread starts, so the rules are compiled and the learned model is
 * loaded before the first request reaches the thread (the pool's warm-up). A tokenizer's tables
 * load on its first count in the thread (~100 ms, once per thread and encoding). A `kserve` task
 * is the whole check of a large KServe JSON body (checkKserveJson: the same guard, parse and
 * validator as inline); the body's bytes (transferred here) go back with the verdict, moved like
 * a re-serialised body, never copied. A `kserve-binary` task is the same for a binary tensor
 * request (checkKserveBinary), whose forwarded body is built here too.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ALL_LAYERS, type SourceResult } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';
import { tokenCounter, type Tokenizer } from '../limits/cost.js';
import { checkKserveBinary, checkKserveJson, type KserveBinaryTask, type KserveBinaryVerdict, type KserveJsonTask, type KserveJsonVerdict } from '../protocols/kserve/json-check.js';
import { sourceScannerFor } from './scanners.js';

/** Each source decoded, and the injection layers over its views (the policy applies the threshold and combines). */
export interface ScanTask {
  kind?: 'scan';
  sources: readonly string[];
  layers: readonly InjectionLayer[];
}

/** Each text's token count (without message framing: the caller adds it). */
export interface CountTask {
  kind: 'count';
  texts: readonly string[];
  tokenizer: Tokenizer;
}

/** A KServe JSON body, parsed, guarded and validated (src/protocols/kserve/json-check.ts). */
export interface KserveTask extends KserveJsonTask {
  kind: 'kserve';
}

/** A KServe binary tensor request, checked whole (src/protocols/kserve/json-check.ts). */
export interface KserveBinaryPoolTask extends KserveBinaryTask {
  kind: 'kserve-binary';
}

/** A kserve task's answer: the verdict, and the body's bytes handed back. */
export interface KserveResult {
  verdict: KserveJsonVerdict;
  bytes: Uint8Array;
}

export interface KserveBinaryResult {
  verdict: KserveBinaryVerdict;
  bytes: Uint8Array;
}

export type PoolTask = ScanTask | CountTask | KserveTask | KserveBinaryPoolTask;
export type PoolResult = SourceResult[] | number[] | KserveResult | KserveBinaryResult;

/** The answer, with the memory of the bytes (and of a body built here) transferred back to the event loop's thread. */
function moved<R extends { bytes: Uint8Array }>(r: R, built: Uint8Array | null): R {
  const buffers = built === null ? [r.bytes.buffer] : [r.bytes.buffer, built.buffer];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: r }) as unknown as R;
}

sourceScannerFor(ALL_LAYERS);

export default function run(task: PoolTask): PoolResult {
  if (task.kind === 'count') {
    const counter = tokenCounter(task.tokenizer);
    return task.texts.map((t) => counter.count(t));
  }
  if (task.kind === 'kserve') {
    const verdict = checkKserveJson(task);
    return moved({ verdict, bytes: task.bytes }, verdict.json);
  }
  if (task.kind === 'kserve-binary') {
    const verdict = checkKserveBinary(task);
    return moved({ verdict, bytes: task.bytes }, verdict.forward);
  }
  const scan = sourceScannerFor(task.layers);
  return task.sources.map((src) => scan(src));
}
