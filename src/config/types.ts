/** The configuration after validation and resolution: what the rest of modelgate runs on. */
import type { AbuseConfig } from './abuse.js';
import type { Limits } from './defaults.js';
import type { PiiType } from '../detectors/pii/types.js';
import type { ModelDecl } from '../protocols/kserve/index.js';
import type { KeyScope } from '../keys/types.js';
import type { ExternalDetectorConfig } from './injection.js';

export type Protocol = 'openai-chat' | 'openai-completions' | 'openai-embeddings' | 'kserve-v2' | 'torchserve' | 'image-upload';
export type InjectionAction = 'block' | 'flag' | 'off';
export type InjectionLayer = 'patterns' | 'learned';

export interface ApiKeyEntry {
  id: string;
  /** SHA-256 of the whole key, 32 bytes. The key itself is never kept. */
  hash: Buffer;
  tier: string | null;
  /** Expiry and allow-lists (src/keys/scope.ts); absent = none. */
  scope?: KeyScope;
}

/** `server.tls`, resolved (src/config/tls.ts). Paths only: the PEM material is read where it is used. */
export interface ServerTlsConfig {
  certFile: string;
  keyFile: string;
  clientCAFile: string | null;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers: string | null;
  requireClientCert: boolean;
}

/** `upstreams.*.tls`, resolved: file paths (read by src/upstream/tls.ts). */
export interface UpstreamTlsConfig {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  serverName: string | null;
}

/** `auth.clients[]`: a verified client certificate that identifies a consumer (src/policies/client-cert.ts). */
export interface ClientIdentityEntry {
  id: string;
  tier: string | null;
  match: { kind: 'san'; uri: string } | { kind: 'subject'; attrs: [string, string][] } | { kind: 'fingerprint'; sha256: string };
}

export type RouteAuthMode = 'key' | 'mtls' | 'any' | 'key+mtls';

export interface UpstreamConfig {
  name: string;
  targets: URL[];
  timeoutMs: number;
  connectTimeoutMs: number;
  connections: number;
  /** GPU slots; null = no admission control. */
  maxConcurrent: number | null;
  queue: { size: number; timeoutMs: number };
  /** Largest non-streamed response body held in memory (output filter, usage); larger: 502 MG_UPSTREAM_TOO_LARGE. */
  maxResponseBytes: number;
  /** Passive outlier detection per target (src/upstream/outlier.ts); null = off. */
  breaker: BreakerConfig | null;
  /** Active health checks per target (src/upstream/health.ts); null = off. */
  healthCheck: HealthCheckConfig | null;
  /** TLS to the targets (https); null = plain, or the system CAs for an https target. */
  tls: UpstreamTlsConfig | null;
}

/** `upstreams.*.breaker`, resolved (src/config/upstream-health.ts). A rule with threshold 0 is off. */
export interface BreakerConfig {
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  successRate: { minimum: number; requestVolume: number; windowMs: number } | null;
  openForMs: number;
  maxOpenForMs: number;
  maxEjectedPercent: number;
}

/** `upstreams.*.healthCheck`, resolved. */
export interface HealthCheckConfig {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface RateSpec {
  rate: number;
  periodMs: number;
  burst: number;
  algorithm: 'gcra' | 'sliding-window';
}

export interface TierConfig {
  name: string;
  requests: RateSpec | null;
  cost: RateSpec | null;
  budget: { cost: number; periodMs: number } | null;
  concurrency: number | null;
  priority: number;
  exempt: boolean;
}

export interface StoreConfig {
  kind: 'memory' | 'redis';
  url: string;
  onError: 'fail-closed' | 'fail-open' | 'local';
  replicas: number;
  timeoutMs: number;
  cluster: boolean;
}

export type TokenizerName = 'o200k_base' | 'cl100k_base' | 'chars4';

export interface RouteConfig {
  /** As written in the config: /v2/models/{model}/infer */
  path: string;
  methods: ('POST' | 'GET')[];
  protocol: Protocol;
  upstream: string;
  limits: Limits;
  injection: {
    action: InjectionAction; threshold: number | null; layers: InjectionLayer[]; onError: 'fail-closed' | 'fail-open';
    /** The external detector hook (src/config/injection.ts); null = none. */
    external?: ExternalDetectorConfig | null;
    /** For testing: the score in X-Modelgate-Injection-Score. */
    debugHeader?: boolean;
  };
  /** Per-key limits on this route, on top of the tier's. */
  rateLimits: { requests: RateSpec | null; cost: RateSpec | null };
  cost: { tokenizer: TokenizerName; defaultMaxTokens: number; enforceMaxTokens: boolean };
  /** kserve-v2: the declared models (unknown → 404); torchserve: the models routed (null = any). */
  models: Record<string, ModelDecl> | null;
  /** Output protection; null when the route filters nothing. */
  output: OutputConfig | null;
  /** Request headers (lowercase) forwarded besides the built-in allow-list. */
  forwardHeaders: string[];
  /** Forward the query string (false: dropped). */
  forwardQuery: boolean;
  /** Who may call: an API key (default), a mapped client certificate, either, or both. */
  auth: RouteAuthMode;
}

export interface OutputConfig {
  types: PiiType[];
  action: 'redact' | 'block';
  allow: string[];
  /** Marker wording (contains {canary}); null = no marker injected. */
  canary: { wording: string } | null;
  /** Literal system-prompt fragments whose appearance in output is a leak. */
  fragments: string[];
  /** Withhold a response that repeats this many consecutive words of the system prompt; null = off. */
  systemPromptLeak?: { words: number } | null;
  /** Images and links to hosts not on `allow` (detectors/links.ts); null = off. */
  links?: { allow: string[]; action: 'strip' | 'block'; images: boolean; links: boolean } | null;
  onError: 'fail-closed' | 'fail-open';
}

export interface CorsConfig {
  origins: Set<string>;
  methods: string[];
  headers: string[];
  maxAgeSeconds: number;
  credentials: boolean;
}

export interface ModelgateConfig {
  server: {
    host: string;
    port: number;
    hsts: boolean;
    trustedProxies: string[];
    cors: CorsConfig | null;
    headersTimeoutMs: number;
    bodyTimeoutMs: number;
    idleTimeoutMs: number;
    /** A client that accepts no bytes of its response for this long is disconnected. */
    sendTimeoutMs: number;
    maxHeaderBytes: number;
    /** More request headers than this: 431. */
    maxHeaders: number;
    /** SIGTERM: keep accepting (Connection: close) for delayMs; in-flight work gets timeoutMs. */
    shutdown: { delayMs: number; timeoutMs: number };
    /** TLS on the public listener; null = plain HTTP. */
    tls: ServerTlsConfig | null;
  };
  /** `console`: serve the operator console at /console (src/server/admin-console.ts). */
  admin: { host: string; port: number; token: string | null; console: boolean };
  /** keyStore: the file of admin-API keys with the memory store (null: kept in memory only). */
  auth: { headers: string[]; keys: ApiKeyEntry[]; clients: ClientIdentityEntry[]; keyStore: string | null };
  upstreams: Map<string, UpstreamConfig>;
  routes: RouteConfig[];
  store: StoreConfig;
  tiers: Map<string, TierConfig>;
  /** The tier of a key that names none; null = such keys have no limits but per-IP ones. */
  defaultTier: string | null;
  perIp: { requests: RateSpec | null; cost: RateSpec | null };
  /** maxKeySeries: key ids with their own series in per-key metrics (src/observability/key-series.ts). */
  metrics: { maxKeySeries: number };
  /** The worker pool that scans large requests off the event loop (src/workers/scan-pool.ts); threads 0 = off. */
  workers: { threads: number; offloadAbove: number; offloadJsonAbove: number; offloadTensorAbove: number; queue: number; loopSlice: number };
  logging: { level: string };
  /** Abuse detection (src/config/abuse.ts); null when the section is absent (off). */
  abuse: AbuseConfig | null;
}
