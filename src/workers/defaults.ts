/** Defaults of the `workers` section (docs/configuration.md#workers). */
import { availableParallelism } from 'node:os';

export const DEFAULT_WORKERS = Object.freeze({
  /** Characters of text in a request above which its injection scan runs in a worker thread. */
  offloadAbove: 4096,
  /**
   * Bytes of a KServe JSON inference body above which it is parsed and validated in a worker
   * thread. Tensor JSON is mostly numbers: guard + parse + validation took 0.6–1.1 ms p50 for
   * 47 KB and 9–11 ms for 186 KB on a loaded 2-core machine, so 64 KB stays under 2 ms inline at
   * p50, while a task costs a thread hop and a queue place (docs/configuration.md#workers).
   */
  offloadJsonAbove: 64 * 1024,
  /**
   * Bytes of a KServe binary tensor request above which it is checked in a worker thread. Its
   * values are checked by one typed loop, about 1 GB/s on a quiet core and 5× slower on a loaded
   * one (2.4 MB: 2.4 ms p50 quiet, 13 ms loaded), so 256 KB stays near 1 ms inline even loaded.
   */
  offloadTensorAbove: 256 * 1024,
  /** Scans that may wait for a free thread before MG_GATEWAY_BUSY. */
  queue: 64,
  /**
   * Wall time of the slice of one turn of the event loop in which requests whose bodies have
   * arrived are inspected and forwarded, ms; the rest wait for the next turn
   * (src/util/loop-slicer.ts). 0: no slicing.
   */
  loopSlice: 2,
});

/**
 * One core is the event loop's; the scan threads get the others, at most 2 (scans of large
 * prompts are rare and short; more threads only add memory). On a single core still 1: the
 * kernel time-slices the thread against the loop, so a 100 KB scan slows small requests a
 * little instead of stopping them for its whole length.
 */
export function defaultWorkerThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(2, cores - 1));
}
