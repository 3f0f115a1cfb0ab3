/**
 * Respond phase — the slow-reader guard. What is buffered for one client is bounded: when the
 * response does not take a write whole (`res.write` returns false), the upstream body is paused
 * until the response drains, so at most the socket's buffers plus one upstream chunk wait for
 * the client. A client that then accepts no bytes for `server.timeouts.send` is disconnected:
 * its response socket is destroyed and the relay is told (it releases the GPU slot, aborts the
 * upstream request and leaves what was generated in the outcome, to be charged).
 *
 * "Accepts no bytes", not "did not drain": the watchdog is armed when a write is not fully
 * accepted and re-armed whenever the bytes still queued for the socket (`res.writableLength`,
 * which includes the socket's own queue) go down, so a slow but live reader is never cut. A
 * queued write is counted as accepted when the kernel has taken all of it, so progress is seen
 * in steps of one write (one upstream chunk, usually ≤ 64 KB). Node has no per-socket send
 * timeout that means this (socket.setTimeout also fires for a client that is merely idle), hence
 * this small watchdog; its clock is injectable for unit tests.
 */
import type { ServerResponse } from 'node:http';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';

/** How often progress is sampled, as a fraction of the timeout: a stall is cut after 1×–1.25× the timeout. */
const SAMPLES_PER_TIMEOUT = 4;

export class SendWatchdog {
  private timer: TimerHandle | null = null;
  /** The fewest bytes seen queued since the watch began; fewer means the client took some. */
  private lowest = 0;
  private since = 0;
  private readonly every: number;

  /**
   * @param pending bytes written and not yet taken by the kernel.
   * @param onStall called once when no byte moved for `timeoutMs`.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly pending: () => number,
    private readonly onStall: () => void,
    private readonly clock: Clock = realClock,
  ) {
    this.every = Math.max(1, Math.ceil(timeoutMs / SAMPLES_PER_TIMEOUT));
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  /** A write was not fully accepted: watch from now on (no-op while already watching). */
  arm(): void {
    if (this.timer !== null) return;
    this.lowest = this.pending();
    this.since = this.clock.now();
    this.timer = this.clock.setTimeout(() => this.check(), this.every);
  }

  /** Everything was accepted (drain, finish) or the response is over. */
  disarm(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private check(): void {
    this.timer = null;
    const now = this.clock.now();
    const p = this.pending();
    if (p === 0) return; // all taken; the next short write arms again
    if (p < this.lowest) {
      this.lowest = p;
      this.since = now;
    }
    const idle = now - this.since;
    if (idle >= this.timeoutMs) return this.onStall();
    this.timer = this.clock.setTimeout(() => this.check(), Math.min(this.every, this.timeoutMs - idle));
  }
}

/** What the sink pauses while the client is behind: the upstream body. */
export interface Pausable { pause(): unknown; resume(): unknown; }

/**
 * The response seen as a bounded sink: writes pause `source` when the client is behind and
 * resume it on drain; a client that accepts nothing for `timeoutMs` has its socket destroyed and
 * `onCut` is called (once). Also guards the tail: after end(), a client that stops reading what
 * is still queued is cut the same way.
 */
export class ClientSink {
  private readonly watchdog: SendWatchdog;
  private cut = false;
  private corked = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly source: Pausable,
    timeoutMs: number,
    private readonly onCut: () => void,
    clock?: Clock,
  ) {
    this.watchdog = new SendWatchdog(timeoutMs, () => res.writableLength, () => this.stall(), clock);
    const onDrain = (): void => {
      this.watchdog.disarm();
      if (!this.cut) source.resume();
    };
    res.on('drain', onDrain);
    const done = (): void => {
      this.watchdog.disarm();
      res.off('drain', onDrain);
    };
    res.once('finish', done);
    res.once('close', done);
  }

  /** True when the client was disconnected for not reading. */
  get wasCut(): boolean {
    return this.cut;
  }

  /**
   * Sends the status line and headers now (a streamed answer's client sees them before the first
   * event), in the same write as whatever follows in this turn of the event loop.
   */
  flushHeaders(): void {
    this.coalesce();
    this.res.flushHeaders();
  }

  /**
   * What is written in one turn of the event loop goes out in one system call: the socket is
   * corked at the first write of a turn and uncorked when the turn's I/O is done (setImmediate).
   * An answer whose events came in one read (most short streams, and the headers with the first
   * events of longer ones) then costs one write instead of three — headers, events, the last
   * chunk — and on loopback each write is a trip through the kernel's network stack. Nothing waits
   * past the current turn, so streaming latency does not change. res.end() flushes at once anyway.
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    setImmediate(() => {
      this.corked = false;
      this.res.uncork();
    });
  }

  write(chunk: string | Buffer): void {
    if (this.res.destroyed) return;
    this.coalesce();
    if (!this.res.write(chunk)) {
      this.source.pause();
      this.watchdog.arm();
    }
  }

  end(chunk?: string | Buffer): void {
    if (this.res.destroyed) return;
    if (chunk === undefined || chunk.length === 0) this.res.end();
    else this.res.end(chunk);
    if (!this.res.writableFinished && this.res.writableLength > 0) this.watchdog.arm();
  }

  private stall(): void {
    if (this.cut || this.res.destroyed) return;
    this.cut = true;
    this.res.destroy();
    this.onCut();
  }
}
