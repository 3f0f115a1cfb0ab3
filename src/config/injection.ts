/**
 * `routes[].injection.external` and `injection.debugHeader`: the external detector hook (a
 * Lakera-Guard-compatible service or a generic JSON webhook, src/policies/external-detector.ts).
 * Schema, defaults, resolution and the checks the schema cannot express, each problem with its
 * YAML path. Header values are interpolated from ${ENV} like every string of the configuration
 * (src/config/interpolate.ts), before this file sees them.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Duration as DurationSchema } from './schema.js';
import { durationMs } from './units.js';

const strict = { additionalProperties: false } as const;

export type ExternalFormat = 'lakera-v2' | 'generic';

export interface ExternalDetectorConfig {
  url: URL;
  format: ExternalFormat;
  timeoutMs: number;
  /** What a slow, down or nonsensical service means for the request. */
  onError: 'fail-closed' | 'fail-open';
  /** Sent with every call (an API key, typically). Never shown by /admin/config. */
  headers: Record<string, string>;
  /** How long a verdict is reused for the same messages; 0: no cache. */
  cacheTtlMs: number;
  /** Most verdicts kept. */
  cacheSize: number;
}

export const EXTERNAL_DEFAULTS = Object.freeze({ format: 'lakera-v2' as ExternalFormat, timeoutMs: 500, cacheTtlMs: 60_000, cacheSize: 10_000 });

/** Header names that modelgate sets itself (framing, routing) and a configuration may not. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'keep-alive']);

/** Built by schema.ts with its Duration type (passed in, so this file does not import a cycle). */
export function externalSchema(Duration: typeof DurationSchema) {
  return Type.Object({
    url: Type.String({ pattern: '^https?://', description: 'The service endpoint, e.g. https://api.lakera.ai/v2/guard (https for anything off the host or cluster)' }),
    format: Type.Optional(Type.Union([Type.Literal('lakera-v2'), Type.Literal('generic')], { description: 'lakera-v2 (default): POST {messages:[{role,content}]} → {flagged}; generic: POST {messages} → {flagged, score}' })),
    timeout: Type.Optional(Duration),
    onError: Type.Optional(Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], { description: 'Service slow, down, 5xx or bad JSON: refuse with 503 MG_INPUT_CHECK_UNAVAILABLE or forward, counted and logged (default: the route\'s injection.onError when set, else fail-closed)' })),
    headers: Type.Optional(Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String(), { description: 'Headers sent with every call; values from ${ENV} (e.g. Authorization: "Bearer ${GUARD_API_KEY}"); never shown by /admin/config' })),
    cacheTtl: Type.Optional(Duration),
    cacheSize: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'Verdicts kept, by SHA-256 of the messages (default 10000; 0: no cache)' })),
  }, { ...strict, description: 'An external prompt-injection detector (Lakera Guard or a compatible service), combined with the local layers' });
}

export type RawExternal = Static<ReturnType<typeof externalSchema>>;

interface Problem { path: string; message: string }

/**
 * `routeOnError` is the route's `injection.onError` as written (undefined when absent): the
 * external hook inherits it, and is fail-closed when neither says otherwise.
 */
export function resolveExternal(raw: RawExternal | undefined, routeOnError: 'fail-closed' | 'fail-open' | undefined, path: string, problems: Problem[]): ExternalDetectorConfig | null {
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    problems.push({ path: `${path}.url`, message: 'not a valid URL' });
    return null;
  }
  if (url.username !== '' || url.password !== '') problems.push({ path: `${path}.url`, message: 'credentials go in headers (from ${ENV}), not in the URL' });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push({ path: `${path}.headers.${name}`, message: 'set by modelgate itself' });
    // A value from the environment could carry a line break: never a header of its own.
    else if (/[\r\n\0]/.test(value)) problems.push({ path: `${path}.headers.${name}`, message: 'contains a line break or NUL' });
    else headers[name.toLowerCase()] = value;
  }
  const timeoutMs = raw.timeout === undefined ? EXTERNAL_DEFAULTS.timeoutMs : durationMs(raw.timeout);
  if (timeoutMs <= 0) problems.push({ path: `${path}.timeout`, message: 'must be longer than 0' });
  return {
    url,
    format: raw.format ?? EXTERNAL_DEFAULTS.format,
    timeoutMs,
    onError: raw.onError ?? routeOnError ?? 'fail-closed',
    headers,
    cacheTtlMs: raw.cacheTtl === undefined ? EXTERNAL_DEFAULTS.cacheTtlMs : durationMs(raw.cacheTtl),
    cacheSize: raw.cacheSize ?? EXTERNAL_DEFAULTS.cacheSize,
  };
}

/** The external hook as /admin/config shows it: header names only, the URL without its query. */
export function externalPublicView(e: ExternalDetectorConfig | null): unknown {
  if (e === null) return null;
  const u = new URL(e.url.href);
  const redacted = u.search !== '';
  u.search = '';
  u.hash = '';
  return {
    url: redacted ? `${u.href}?[redacted]` : u.href,
    format: e.format,
    timeoutMs: e.timeoutMs,
    onError: e.onError,
    headers: Object.fromEntries(Object.keys(e.headers).map((k) => [k, '[redacted]'])),
    cacheTtlMs: e.cacheTtlMs,
    cacheSize: e.cacheSize,
  };
}
