/** Injection source scanners by layers, built once and kept: one per thread that scans. */
import { createSourceScanner, type SourceScanner } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';

const scanners = new Map<string, SourceScanner>();

export function sourceScannerFor(layers: readonly InjectionLayer[]): SourceScanner {
  const key = layers.join(',');
  let s = scanners.get(key);
  if (s === undefined) {
    s = createSourceScanner(layers);
    scanners.set(key, s);
  }
  return s;
}
