/**
 * Complexity guards that a busy machine cannot break. Wall-clock time grows with whatever else
 * runs on the CPU (`ms < 500` fails beside `stress-ng`); the CPU time this process spends does
 * not, because time spent descheduled is not counted. So guards against super-linear behaviour
 * (ReDoS, quadratic rescans) bound the CPU time of `work`, with a bound far above its normal cost
 * and far below the catastrophic one. A miss is measured once more before failing (a GC of
 * earlier garbage can land in one run).
 */
import assert from 'node:assert/strict';

/** CPU time (user + system, all threads of this process) spent in `fn`, in ms. */
export function cpuMs(fn: () => unknown): number {
  const start = process.cpuUsage();
  fn();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Asserts `work` takes less than `boundMs` of CPU time; returns what it took, for logging. */
export function assertCpuUnder(what: string, work: () => unknown, boundMs: number): number {
  const first = cpuMs(work);
  if (first < boundMs) return first;
  const second = cpuMs(work);
  assert.ok(second < boundMs, `${what}: ${first.toFixed(0)} then ${second.toFixed(0)} ms of CPU time, bound ${boundMs} ms`);
  return second;
}
