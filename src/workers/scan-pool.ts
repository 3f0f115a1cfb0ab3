/**
 * Injection scans and token counts of large requests off the event loop, in a pool of worker
 * threads (piscina:
 * a maintained pool with a bounded queue, abort signals and thread priority; hand-written
 * worker management would redo all three).
 *
 * A request whose new texts (those its caller's scan and count caches do not know yet: not the
 * system prompt and earlier turns it sent before) hold more than `workers.offloadAbove`
 * characters is scanned in a thread, and those texts' tokens are counted there for cost
 * admission (countEach: BPE costs ~10 ms per 100 KB); smaller ones inline (posting a task costs
 * more than scanning a short prompt). Scans and
 * counts share the threads and the queue bound. At most
 * `threads` scans run at once and `queue` more wait; a scan beyond that is refused at once with
 * 503 MG_GATEWAY_BUSY (Retry-After: 1) rather than queued without bound. A client that leaves
 * takes its queued scan with it. Threads run at a lower CPU priority (nice +5, through piscina's
 * optional @napi-rs/nice), so under load the event loop — every other request — goes first.
 *
 * The threads start with the gateway (open(), not awaited: start-up does not wait for them) and
 * load the rules and the model as they boot; until every thread is up, and after close() at the
 * end of shutdown, scans run inline — same verdict, on the loop — so no request ever waits
 * ~0.5 s for a thread to boot.
 *
 * The same threads check KServe JSON inference bodies over `workers.offloadJsonAbove` bytes
 * (a `kserve` task: guard, parse and validate, src/protocols/kserve/json-check.ts): JSON.parse
 * of a 3 MB tensor takes hundreds of ms and cannot be sliced. The bytes' memory moves to the
 * thread and back (no copy) with a small verdict; the loop never parses the body and forwards
 * the client's bytes. Binary tensor requests over `workers.offloadTensorAbove` bytes go the same
 * way (a `kserve-binary` task): header, element checks and the forwarded body, all in the thread.
 */
import { Piscina } from 'piscina';
import { deny, DenialError } from '../errors.js';
import { CLIENT_GONE } from '../pipeline/policy.js';
import type { InjectionLayer } from '../config/types.js';
import type { AbortLike } from '../pipeline/context.js';
import { NO_EVENTS, type Emitter } from '../observability/events.js';
import type { SourceResult } from '../policies/injection.js';
import { tokenCounter, type Tokenizer } from '../limits/cost.js';
import { checkKserveBinary, checkKserveJson, type KserveBinaryVerdict, type KserveJsonSpec, type KserveJsonVerdict } from '../protocols/kserve/json-check.js';
import { sourceScannerFor } from './scanners.js';
import { DEFAULT_WORKERS } from './defaults.js';
import type { KserveBinaryResult, KserveResult, PoolResult, PoolTask } from './scan-worker.js';

/** What the injection policy needs: which new sources go to the pool, and the pool's scan. */
export interface ScanOffload {
  /** True when these texts are large enough to be scanned off the loop. */
  takes(texts: readonly string[]): boolean;
  /** Each source's results, one per view (as createSourceScanner(layers) scans it inline). */
  scanSources(sources: readonly string[], layers: readonly InjectionLayer[], signal: AbortLike): Promise<SourceResult[]>;
}

/** What cost admission needs: which new prompt texts are counted in the pool, and the pool's count. */
export interface CountOffload {
  /** True when these texts are large enough to be counted off the loop. */
  takes(texts: readonly string[]): boolean;
  /** Each text's token count with `tokenizer` (as tokenCounter(tokenizer) counts it inline). */
  countEach(texts: readonly string[], tokenizer: Tokenizer, signal: AbortLike): Promise<number[]>;
}

/** What a KServe route needs: which JSON bodies are checked off the loop, and the pool's check. */
export interface JsonOffload {
  /** True when a JSON body of this many bytes is parsed and validated off the loop. */
  takesJson(bytes: number): boolean;
  /**
   * The whole check of a KServe JSON body (checkKserveJson) in a thread. The memory of `raw` is
   * transferred to the thread, not copied, and comes back as `body` (the same bytes): from the
   * call on, `raw` may be empty (detached) — use `body`. If the task fails (a client that left
   * mid-check, a thread that died), the bytes are gone. A `raw` that shares its memory with other
   * data (a slice of a larger buffer) is copied instead and left as it is.
   */
  checkKserve(spec: KserveJsonSpec, model: string, raw: Buffer, signal: AbortLike): Promise<{ verdict: KserveJsonVerdict; body: Buffer }>;
  /** True when a binary tensor request of this many bytes is checked off the loop. */
  takesTensor(bytes: number): boolean;
  /** The whole check of a binary tensor request (checkKserveBinary) in a thread; `raw` as for checkKserve. */
  checkKserveBinary(spec: KserveJsonSpec, model: string, raw: Buffer, headerLength: number, signal: AbortLike): Promise<{ verdict: KserveBinaryVerdict; body: Buffer }>;
}

export interface ScanPoolOptions {
  threads: number;
  offloadAbove: number;
  /** Bytes of a JSON body above which it is parsed and validated in a thread (KServe routes); default DEFAULT_WORKERS.offloadJsonAbove. */
  offloadJsonAbove?: number;
  /** Bytes of a binary tensor request above which it is checked in a thread; default DEFAULT_WORKERS.offloadTensorAbove. */
  offloadTensorAbove?: number;
  queue: number;
  /** Where each task's outcome is reported (scan-pool.task); default nowhere. Pending scans: `size`. */
  events?: Emitter;
  /** The worker module (tests: one that can be held); default ./scan-worker.js. */
  filename?: string;
  /** Passed to the worker module (piscina's workerData). */
  workerData?: unknown;
}

/** Nice increment of the scan threads (CFS weight ≈ 1/3 of the event loop's). */
const NICE = 5;

export const GATEWAY_BUSY = deny('MG_GATEWAY_BUSY', 'scan pool queue full', { 'retry-after': '1' });

export class ScanPool implements ScanOffload, CountOffload, JsonOffload {
  /** The threads, once every one of them is up. */
  private pool: Piscina<PoolTask, PoolResult> | null = null;
  /** The threads while they boot. */
  private booting: Piscina<PoolTask, PoolResult> | null = null;
  private opening: Promise<void> | null = null;
  private closed = false;
  private pending = 0;

  constructor(private readonly opts: ScanPoolOptions) {}

  /** Threads on (threads > 0). */
  get enabled(): boolean {
    return this.opts.threads > 0;
  }

  /** Scans queued or running in the pool. */
  get size(): number {
    return this.pending;
  }

  /**
   * Starts the threads; each loads the scanner as it boots. Resolves once every thread has
   * answered a first (empty) task; only then does the pool take scans — until then they run
   * inline, so no request waits for a thread to boot.
   */
  open(): Promise<void> {
    if (!this.enabled || this.closed) return Promise.resolve();
    this.opening ??= this.boot();
    return this.opening;
  }

  /** Resolves once open() has finished (at once if it was never called). */
  whenOpen(): Promise<void> {
    return this.opening ?? Promise.resolve();
  }

  private async boot(): Promise<void> {
    const pool = new Piscina<PoolTask, PoolResult>({
      filename: this.opts.filename ?? new URL('./scan-worker.js', import.meta.url).href,
      minThreads: this.opts.threads,
      maxThreads: this.opts.threads,
      // The bound is ours (pending, in scan()); piscina's own is only a backstop.
      maxQueue: this.opts.queue + this.opts.threads,
      idleTimeout: Infinity,
      niceIncrement: NICE,
      workerData: this.opts.workerData,
    });
    this.booting = pool;
    try {
      await Promise.all(Array.from({ length: this.opts.threads }, () => pool.run({ sources: [], layers: [] })));
    } catch (err) {
      if (this.closed) return; // closed while booting: nothing failed
      await pool.close({ force: true }).catch(() => undefined);
      throw err;
    } finally {
      this.booting = null;
    }
    if (this.closed) await pool.close({ force: true });
    else this.pool = pool;
  }

  takes(texts: readonly string[]): boolean {
    if (this.pool === null) return false;
    let n = 0;
    for (const t of texts) {
      n += t.length;
      if (n > this.opts.offloadAbove) return true;
    }
    return false;
  }

  async scanSources(sources: readonly string[], layers: readonly InjectionLayer[], signal: AbortLike): Promise<SourceResult[]> {
    const pool = this.pool;
    if (pool === null) return sources.map(sourceScannerFor(layers));
    return this.run(pool, { sources, layers }, signal) as Promise<SourceResult[]>;
  }

  async countEach(texts: readonly string[], tokenizer: Tokenizer, signal: AbortLike): Promise<number[]> {
    const pool = this.pool;
    if (pool === null) {
      const counter = tokenCounter(tokenizer);
      return texts.map((t) => counter.count(t));
    }
    return this.run(pool, { kind: 'count', texts, tokenizer }, signal) as Promise<number[]>;
  }

  takesJson(bytes: number): boolean {
    return this.pool !== null && bytes > (this.opts.offloadJsonAbove ?? DEFAULT_WORKERS.offloadJsonAbove);
  }

  async checkKserve(spec: KserveJsonSpec, model: string, raw: Buffer, signal: AbortLike): Promise<{ verdict: KserveJsonVerdict; body: Buffer }> {
    const pool = this.pool;
    if (pool === null) return { verdict: checkKserveJson({ spec, model, bytes: raw }), body: raw };
    return this.moveRun<KserveResult>(pool, raw, signal, (bytes) => ({ kind: 'kserve', spec, model, bytes }));
  }

  takesTensor(bytes: number): boolean {
    return this.pool !== null && bytes > (this.opts.offloadTensorAbove ?? DEFAULT_WORKERS.offloadTensorAbove);
  }

  async checkKserveBinary(spec: KserveJsonSpec, model: string, raw: Buffer, headerLength: number, signal: AbortLike): Promise<{ verdict: KserveBinaryVerdict; body: Buffer }> {
    const pool = this.pool;
    if (pool === null) return { verdict: checkKserveBinary({ spec, model, bytes: raw, headerLength }), body: raw };
    return this.moveRun<KserveBinaryResult>(pool, raw, signal, (bytes) => ({ kind: 'kserve-binary', spec, model, bytes, headerLength }));
  }

  /** A task that takes a body's bytes to the thread and back (see checkKserve). */
  private async moveRun<R extends KserveResult | KserveBinaryResult>(pool: Piscina<PoolTask, PoolResult>, raw: Buffer, signal: AbortLike, task: (bytes: Uint8Array) => PoolTask): Promise<{ verdict: R['verdict']; body: Buffer }> {
    // A body read whole owns its memory (Buffer.concat): it moves to the thread and back, O(1) on
    // the loop whatever its size; a copy cost 14 ms per 3.2 MB under load (docs/benchmarks.md).
    const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const bytes = own ? raw : new Uint8Array(raw);
    const r = await this.run(pool, task(bytes), signal, [bytes.buffer as ArrayBuffer]) as R;
    return { verdict: r.verdict, body: own ? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) : raw };
  }

  /** One task in the pool, within the queue bound; its outcome reported as a scan-pool.task event. */
  private async run(pool: Piscina<PoolTask, PoolResult>, task: PoolTask, signal: AbortLike, transferList?: ArrayBuffer[]): Promise<PoolResult> {
    const events = this.opts.events ?? NO_EVENTS;
    const kind = task.kind ?? 'scan';
    if (this.pending >= this.opts.threads + this.opts.queue) {
      events.emit({ type: 'scan-pool.task', task: kind, outcome: 'busy' });
      throw new DenialError(GATEWAY_BUSY);
    }
    this.pending++;
    try {
      const v = await pool.run(task, transferList === undefined ? { signal } : { signal, transferList });
      events.emit({ type: 'scan-pool.task', task: kind, outcome: 'ok' });
      return v;
    } catch (err) {
      if (signal.aborted) {
        events.emit({ type: 'scan-pool.task', task: kind, outcome: 'aborted' });
        throw new DenialError(CLIENT_GONE);
      }
      events.emit({ type: 'scan-pool.task', task: kind, outcome: 'error' });
      throw err;
    } finally {
      this.pending--;
    }
  }

  /** Ends the threads; later scans run inline. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [this.pool, this.booting];
    this.pool = null;
    this.booting = null;
    await Promise.all(pools.map((p) => p?.close({ force: true })));
  }
}
