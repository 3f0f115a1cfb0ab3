/**
 * The task a scan-pool thread runs (src/workers/scan-pool.ts): the same injection scanner the
 * event loop runs inline (createInjectionScanner), so a verdict does not depend on where it was
 * computed. Scanners are built once per (threshold, layers) and kept; the default one is built
 * when the thread starts, so the rules are compiled and the learned model is loaded before the
 * first request reaches the thread (the pool's warm-up).
 */
import { ALL_LAYERS, type InjectionVerdict } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';
import { scannerFor } from './scanners.js';

export interface ScanTask {
  texts: readonly string[];
  threshold: number | null;
  layers: readonly InjectionLayer[];
}

scannerFor(null, ALL_LAYERS);

export default function scan(task: ScanTask): InjectionVerdict {
  return scannerFor(task.threshold, task.layers)(task.texts);
}
