/**
 * The gateway's lifecycle state and its in-flight requests: what /readyz answers, what the public
 * listener does with a new request, and what a shutdown waits for.
 *
 *   starting ──start()──▶ ready ──SIGTERM──▶ draining ──delay──▶ closing ──▶ stopped
 *
 * - starting: /readyz 503 (the store is being waited for, the listeners are not bound yet).
 * - ready:    /readyz 200; requests are served normally.
 * - draining: /readyz 503 at once; new connections are still accepted (the load balancer has not
 *             deregistered this replica yet) and answered normally, but with `Connection: close`.
 * - closing:  the listener is closed; a request that still arrives on an open connection gets 503
 *             MG_SHUTTING_DOWN; in-flight requests and streams run on until the deadline.
 * - stopped:  everything is closed.
 *
 * In-flight counting: a request counts from its handler's start until its settle (access log,
 * reconciliation) is done, so "nothing in flight" means every log line has been written.
 */
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';

export type Phase = 'starting' | 'ready' | 'draining' | 'closing' | 'stopped';

/** One request's hold on the gateway: `responded` when its response is over, `settled` after settle. */
export interface Tracked {
  responded(): void;
  settled(): void;
}

export class Lifecycle {
  phase: Phase = 'starting';
  /** Aborts at the shutdown deadline (RequestContext.stop): in-flight work must end now. */
  readonly stopController = new AbortController();
  private inFlightCount = 0;
  private readonly perSocket = new WeakMap<Socket, number>();
  private idleWaiters: (() => void)[] = [];

  constructor() {
    // Every request in flight listens to the stop signal: no "possible leak" warning past 10.
    setMaxListeners(0, this.stopController.signal);
  }

  get stop(): AbortSignal {
    return this.stopController.signal;
  }

  /** /readyz: true only while serving normally. */
  isReady(): boolean {
    return this.phase === 'ready';
  }

  /** Responses carry `Connection: close` (SIGTERM was received). */
  draining(): boolean {
    return this.phase === 'draining' || this.phase === 'closing' || this.phase === 'stopped';
  }

  /** New requests are refused with 503 MG_SHUTTING_DOWN (the accept delay is over). */
  refusing(): boolean {
    return this.phase === 'closing' || this.phase === 'stopped';
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * A request starts on `socket`. Once the listener is closed, a connection whose last response is
   * over and that has no other request in progress is ended (after its pending bytes are flushed):
   * a stream that started before SIGTERM was sent without `Connection: close`, and its connection
   * would otherwise sit idle until the keep-alive timeout and hold the shutdown up.
   */
  begin(socket: Socket | null): Tracked {
    this.inFlightCount++;
    if (socket !== null) this.perSocket.set(socket, (this.perSocket.get(socket) ?? 0) + 1);
    let responded = false;
    let settled = false;
    return {
      responded: () => {
        if (responded) return;
        responded = true;
        if (socket === null) return;
        const left = (this.perSocket.get(socket) ?? 1) - 1;
        this.perSocket.set(socket, left);
        if (left === 0 && this.refusing() && !socket.destroyed) socket.end();
      },
      settled: () => {
        if (settled) return;
        settled = true;
        this.inFlightCount--;
        if (this.inFlightCount === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      },
    };
  }

  /** Resolves when no request is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
