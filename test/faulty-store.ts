/**
 * A store that wraps a real one and injects faults per API key: calls for a key can be held at a
 * gate (a slow store, released by the test), delayed by a number of event-loop turns, or made to
 * fail as an unreachable store does. Only the fault is simulated; every decision that goes
 * through is the wrapped store's own.
 */
import { StoreUnavailableError, type Store } from '../src/limits/stores/types.js';

export type Fault = 'none' | 'consume-fails' | 'acquire-fails' | 'slow';

/** Resolves after `turns` turns of the event loop (I/O included), without reading the clock. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FaultyStore implements Store {
  readonly kind = 'memory' as const;
  readonly inner: Store;
  /** Fault by key id (the `<id>` of `key:<id>:…`). */
  faults = new Map<string, Fault>();
  /** Turns of delay for 'slow' keys. */
  slowTurns = 3;
  /** When set, every consume waits for it (after calling `entered`). */
  gate: { entered: () => void; open: Promise<void> } | null = null;

  constructor(inner: Store) {
    this.inner = inner;
  }

  private faultOf(key: string): Fault {
    const id = key.split(':')[1] ?? '';
    return key.startsWith('key:') ? this.faults.get(id) ?? 'none' : 'none';
  }

  async consume(...args: Parameters<Store['consume']>): ReturnType<Store['consume']> {
    const key = args[0][0]?.key ?? args[1][0]?.key ?? '';
    const fault = this.faultOf(key);
    const gate = this.gate;
    if (gate !== null) {
      gate.entered();
      await gate.open;
    }
    if (fault === 'slow') await turns(this.slowTurns);
    if (fault === 'consume-fails') throw new StoreUnavailableError('injected: consume failed');
    return this.inner.consume(...args);
  }

  adjust(...args: Parameters<Store['adjust']>): ReturnType<Store['adjust']> {
    return this.inner.adjust(...args);
  }

  async acquire(...args: Parameters<Store['acquire']>): ReturnType<Store['acquire']> {
    const fault = this.faultOf(args[0]);
    if (fault === 'slow') await turns(this.slowTurns);
    if (fault === 'acquire-fails') throw new StoreUnavailableError('injected: acquire failed');
    return this.inner.acquire(...args);
  }

  release(...args: Parameters<Store['release']>): ReturnType<Store['release']> {
    return this.inner.release(...args);
  }

  refresh(...args: Parameters<Store['refresh']>): ReturnType<Store['refresh']> {
    return this.inner.refresh(...args);
  }

  budgetSpent(...args: Parameters<Store['budgetSpent']>): ReturnType<Store['budgetSpent']> {
    return this.inner.budgetSpent(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
