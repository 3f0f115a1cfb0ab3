/**
 * Label children of a prom-client metric, cached by their label values: the per-request series
 * (requests, duration, rejections, tokens, cost) are moved through a child looked up in a Map
 * instead of a fresh label object hashed and validated against the metric's label names on each
 * call. prom-client's own `labels()` returns a new child per call, so the cache is ours.
 *
 * Bounded: label values are already bounded (configured routes, statuses, error codes, key ids
 * capped by key-series.ts), and the cache holds at most `max` children besides; when it is full
 * it is emptied and refilled (a child is only a handle, the values live in the metric), so the
 * exported series are the same whatever the cache holds.
 */

export class LabelChildren<C> {
  readonly #children = new Map<string, C>();
  readonly #make: (values: string[]) => C;
  readonly #max: number;

  /** `make`: the metric's child for these label values (in the metric's label-name order). */
  constructor(make: (values: string[]) => C, max = 4096) {
    this.#make = make;
    this.#max = max;
  }

  /** The child for these label values. */
  get(...values: string[]): C {
    // \u0000 cannot occur in a label value that came from configuration, the error table or a key id.
    const k = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let c = this.#children.get(k);
    if (c === undefined) {
      if (this.#children.size >= this.#max) this.#children.clear();
      c = this.#make(values);
      this.#children.set(k, c);
    }
    return c;
  }

  get size(): number {
    return this.#children.size;
  }
}
