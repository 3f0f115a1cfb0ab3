/**
 * Canary tokens: a random marker placed in each request's system prompt, and a watcher that
 * notices when the marker (or a configured literal fragment of the system prompt) comes back in
 * the model's output — whole, or split across any number of streamed chunks. Pure, no I/O.
 *
 * The watcher never releases text that could be the start of a needle: it holds back the longest
 * suffix of what it has seen that is a proper prefix of some needle. In ordinary text that suffix
 * is empty or a character or two, so streaming is not delayed; a needle split across events is
 * therefore never partly shown and always caught. Hand-written because it is a few lines of
 * exact string matching with this hold-back rule, which no matching library offers.
 */
import { randomFillSync } from 'node:crypto';

const MARKER_BYTES = 10;
/**
 * Random bytes are drawn from the CSPRNG 4 KB at a time and each byte is used once: one
 * randomFillSync call per ~400 markers instead of a randomBytes call (and Buffer) per request,
 * which showed in the hot-path profile (docs/benchmarks.md). Same entropy per marker.
 */
const pool = Buffer.alloc(4096);
let poolPos = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** A fresh marker: 'MGC-' + 20 random hex digits (80 bits), unguessable and unlikely in prose. */
export function newCanary(): string {
  if (poolPos + MARKER_BYTES > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  let hex = 'MGC-';
  for (let i = 0; i < MARKER_BYTES; i++) hex += HEX[pool[poolPos + i] as number] as string;
  pool.fill(0, poolPos, poolPos + MARKER_BYTES); // used once: nothing of a marker stays in memory
  poolPos += MARKER_BYTES;
  return hex;
}

/** The wording with its {canary} placeholder filled in. */
export function canaryText(wording: string, marker: string): string {
  return wording.split('{canary}').join(marker);
}

export type LeakKind = 'canary' | 'fragment' | 'system-prompt';

export class CanaryWatch {
  /** Raw text released so far, the last (longest needle - 1) characters of it. */
  private tail = '';
  private pending = '';
  private readonly keep: number;
  leak: LeakKind | null = null;

  /** needles[0] is the marker when `hasMarker`; the rest are fragments. */
  constructor(private readonly needles: readonly string[], private readonly hasMarker: boolean) {
    let longest = 0;
    for (const n of needles) longest = Math.max(longest, n.length);
    this.keep = Math.max(0, longest - 1);
  }

  /** Feed raw text; returns the raw text safe to release now, or null once a needle was seen. */
  push(chunk: string): string | null {
    if (this.leak !== null) return null;
    const text = this.pending + chunk;
    const window = this.tail + text;
    for (let i = 0; i < this.needles.length; i++) {
      if (window.includes(this.needles[i] as string)) {
        this.leak = this.hasMarker && i === 0 ? 'canary' : 'fragment';
        this.pending = '';
        return null;
      }
    }
    const hold = this.heldSuffix(window, text.length);
    const out = text.slice(0, text.length - hold);
    this.pending = text.slice(text.length - hold);
    const released = this.tail + out;
    this.tail = released.length > this.keep ? released.slice(released.length - this.keep) : released;
    return out;
  }

  /** End of text: whatever was held is not a needle (it would have been caught). */
  end(): string | null {
    if (this.leak !== null) return null;
    const out = this.pending;
    this.pending = '';
    return out;
  }

  /** Length of the longest suffix of `window` (at most `max`) that is a proper prefix of a needle. */
  private heldSuffix(window: string, max: number): number {
    let best = 0;
    for (const n of this.needles) {
      const first = n.charCodeAt(0);
      const lo = Math.max(window.length - Math.min(n.length - 1, max), 0);
      for (let p = lo; p < window.length - best; p++) {
        if (window.charCodeAt(p) !== first) continue;
        if (n.startsWith(window.slice(p))) {
          best = window.length - p;
          break;
        }
      }
    }
    return best;
  }
}
