/**
 * A scan-pool worker whose thread dies on a KServe check for the model "crash" (process.exit in a
 * worker thread ends that thread only); every other task behaves as in the held worker
 * (hold-worker.ts, same workerData).
 */
import held from './hold-worker.js';
import type { PoolResult, PoolTask } from '../../src/workers/scan-worker.js';

export default function crashing(task: PoolTask): PoolResult {
  if ((task.kind === 'kserve' || task.kind === 'kserve-binary') && task.model === 'crash') process.exit(1);
  return held(task);
}

export const CRASH_WORKER = new URL('./crash-worker.js', import.meta.url).href;
