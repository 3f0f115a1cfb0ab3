/** Injection scanners by (threshold, layers), built once and kept: one per thread that scans. */
import { createInjectionScanner, type InjectionVerdict } from '../policies/injection.js';
import type { InjectionLayer } from '../config/types.js';

export type Scanner = (texts: readonly string[]) => InjectionVerdict;
const scanners = new Map<string, Scanner>();

export function scannerFor(threshold: number | null, layers: readonly InjectionLayer[]): Scanner {
  const key = `${threshold ?? ''}|${layers.join(',')}`;
  let s = scanners.get(key);
  if (s === undefined) {
    s = createInjectionScanner(threshold, layers);
    scanners.set(key, s);
  }
  return s;
}
