/**
 * What one request holds, and the one place that gives it back.
 *
 * Every resource a request takes — a cost reservation, a concurrency lease, a GPU slot — is
 * registered here the moment it is taken, and released exactly once: early by its owner when the
 * work it guards is over (the GPU slot when the model server has answered), or by `closeAll()` in
 * settle, which runs once per request after both the pipeline and the response have finished.
 * A resource taken after the request has closed (a store answer or a slot that arrives after the
 * client left) is released at once: nothing can outlive its request.
 *
 * cockatiel's bulkhead releases in a `finally`, undici's dispatcher calls exactly one of
 * onComplete/onError; a request has several resources taken at different phases, so it keeps
 * them in this small registry instead (no library models "a bag of idempotent releases").
 */
import { errorMessage, type Emitter } from '../observability/events.js';

export type ResourceKind = 'reservation' | 'lease' | 'gpu-slot';

/** Resources held right now, per kind, over all requests of one gateway (a gauge). */
export class ResourceStats {
  readonly held: Record<ResourceKind, number> = { reservation: 0, lease: 0, 'gpu-slot': 0 };
  /** Requests whose settle has not finished yet. */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  total(): number {
    return this.held.reservation + this.held.lease + this.held['gpu-slot'];
  }

  begin(): void { this.inFlight++; }

  end(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once no request is in flight (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

type Release = () => void | Promise<void>;

interface Held { kind: ResourceKind; release: Release; done: boolean; }

export class Resources {
  private readonly items: Held[] = [];
  private closed = false;
  private readonly stats: ResourceStats;
  private readonly events: Emitter | undefined;

  constructor(stats: ResourceStats, events?: Emitter) {
    this.stats = stats;
    this.events = events;
  }

  /** Whether closeAll() has started: anything taken now is given back at once. */
  get isClosed(): boolean { return this.closed; }

  /**
   * Register a resource just taken. Returns its early release (idempotent; it also counts as the
   * release closeAll() would have done). After closeAll() the resource is released at once.
   */
  take(kind: ResourceKind, release: Release): () => Promise<void> {
    const h: Held = { kind, release, done: false };
    this.stats.held[kind]++;
    const early = (): Promise<void> => this.run(h);
    if (this.closed) {
      void early();
      return early;
    }
    this.items.push(h);
    return early;
  }

  private async run(h: Held): Promise<void> {
    if (h.done) return;
    h.done = true;
    this.stats.held[h.kind]--;
    try {
      await h.release();
    } catch (err) {
      this.events?.emit({ type: 'resource.release-failed', kind: h.kind, error: errorMessage(err) });
    }
  }

  /**
   * Release everything still held, in reverse order of taking (the GPU slot before the lease
   * before the reservation), each exactly once. Later takes are released at once.
   */
  async closeAll(): Promise<void> {
    this.closed = true;
    for (let i = this.items.length - 1; i >= 0; i--) await this.run(this.items[i] as Held);
  }
}
