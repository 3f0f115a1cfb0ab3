/**
 * A small path router for the simulator's parameterised routes (`/v2/models/{model}/infer`...).
 * Patterns are compiled once, at construction, into literal / parameter segments grouped by
 * segment count; matching a request splits its path once and compares segments, no regex.
 *
 * Routes are tried in the order given: list literal routes (`/v2/models/stats`) before the
 * parameterised ones they overlap (`/v2/models/{model}`).
 */

type Segment = { literal: string; param?: undefined } | { param: string; literal?: undefined };

interface CompiledRoute<R> {
  method: string;
  route: R;
  segments: readonly Segment[];
}

export type PathMatch<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  /** The path exists, not with this method; `allow` lists the methods it takes. */
  | { kind: 'method'; allow: string[] };

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed %-escape: keep it raw
  }
}

export class PathRouter<R> {
  private readonly bySegments = new Map<number, Array<CompiledRoute<R>>>();

  /** `defs`: [method, pattern, route]; a pattern segment `{name}` captures one non-empty segment. */
  constructor(defs: ReadonlyArray<readonly [method: string, pattern: string, route: R]>) {
    for (const [method, pattern, route] of defs) {
      if (!pattern.startsWith('/')) throw new Error(`route pattern must start with '/': ${pattern}`);
      const segments: Segment[] = pattern
        .slice(1)
        .split('/')
        .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s }));
      const list = this.bySegments.get(segments.length) ?? [];
      list.push({ method, route, segments });
      this.bySegments.set(segments.length, list);
    }
  }

  /** Matches a path (no query string); null when no route has this path, whatever the method. */
  match(method: string, path: string): PathMatch<R> | null {
    if (!path.startsWith('/')) return null;
    const parts = path.slice(1).split('/');
    const candidates = this.bySegments.get(parts.length);
    if (candidates === undefined) return null;
    let allow: string[] | null = null;
    for (const c of candidates) {
      if (!segmentsMatch(c.segments, parts)) continue;
      if (c.method !== method) {
        allow ??= [];
        if (!allow.includes(c.method)) allow.push(c.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < c.segments.length; i++) {
        const name = c.segments[i]?.param;
        if (name !== undefined) params[name] = decode(parts[i] ?? '');
      }
      return { kind: 'found', route: c.route, params };
    }
    return allow === null ? null : { kind: 'method', allow };
  }
}

function segmentsMatch(segments: readonly Segment[], parts: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const part = parts[i];
    if (seg === undefined || part === undefined) return false;
    if (seg.literal !== undefined ? seg.literal !== part : part === '') return false;
  }
  return true;
}
