/**
 * A scan-pool worker a test can hold: a task (scan, token count or KServe body check, JSON or binary) of a non-empty request counts itself in slot 1 of
 * the shared Int32Array (piscina's workerData), then blocks until slot 0 is set to 1, then runs
 * like the real worker. The pool's warm-up task (no sources) is never held.
 */
import { workerData } from 'piscina';
import run, { type PoolResult, type PoolTask } from '../../src/workers/scan-worker.js';

const state = new Int32Array(workerData as SharedArrayBuffer);

export default function held(task: PoolTask): PoolResult {
  if (task.kind === 'kserve' || task.kind === 'kserve-binary' || (task.kind === 'count' ? task.texts : task.sources).length > 0) {
    Atomics.add(state, 1, 1);
    Atomics.wait(state, 0, 0);
  }
  return run(task);
}

/** The test side: how many held scans started, and letting them all go. */
export class Hold {
  readonly buffer = new SharedArrayBuffer(8);
  private readonly s = new Int32Array(this.buffer);
  static readonly filename = new URL('./hold-worker.js', import.meta.url).href;
  get started(): number {
    return Atomics.load(this.s, 1);
  }
  release(): void {
    Atomics.store(this.s, 0, 1);
    Atomics.notify(this.s, 0);
  }
}
