/** Injection view scanners by layers, built once and kept: one per thread that scans. */
import { createViewScanner, type ViewScanner } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';

const scanners = new Map<string, ViewScanner>();

export function viewScannerFor(layers: readonly InjectionLayer[]): ViewScanner {
  const key = layers.join(',');
  let s = scanners.get(key);
  if (s === undefined) {
    s = createViewScanner(layers);
    scanners.set(key, s);
  }
  return s;
}
