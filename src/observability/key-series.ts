/**
 * Bounded per-key label values for the metrics that carry `key` (cost units, tokens).
 *
 * A key id is a label value only for the first `max` distinct ids admitted: the configured keys
 * first (the gateway admits them at start-up, in configuration order), then key-store keys and
 * mTLS identities as they are first seen. Every id beyond the cap is counted under OTHER_KEY, so
 * the series count of a per-key metric stays ≤ (max + 1) × (its other label combinations), however
 * many keys present themselves. Ids come only from authenticated identities — never from what a
 * client sent — and an id is a name, never the key itself.
 */

/** The label value of keys beyond the cap. Key ids start with a letter or digit, so it cannot collide. */
export const OTHER_KEY = '(other)';

/** Default of `metrics.maxKeySeries`. */
export const DEFAULT_MAX_KEY_SERIES = 1000;

export class KeySeries {
  readonly #max: number;
  readonly #own = new Set<string>();

  constructor(max: number = DEFAULT_MAX_KEY_SERIES) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`maxKeySeries must be a non-negative integer, got ${max}`);
    this.#max = max;
  }

  /** The label value for this key id: the id itself while it has (or can still get) its own series, else OTHER_KEY. */
  label(keyId: string): string {
    if (this.#own.has(keyId)) return keyId;
    if (this.#own.size >= this.#max) return OTHER_KEY;
    this.#own.add(keyId);
    return keyId;
  }

  /** Key ids that have their own series. */
  get size(): number {
    return this.#own.size;
  }
}
