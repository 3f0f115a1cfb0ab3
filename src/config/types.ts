/** The configuration after validation and resolution: what the rest of modelgate runs on. */
import type { Limits } from './defaults.js';

export type Protocol = 'openai-chat' | 'openai-completions' | 'openai-embeddings';
export type InjectionAction = 'block' | 'flag' | 'off';

export interface ApiKeyEntry {
  id: string;
  /** SHA-256 of the whole key, 32 bytes. The key itself is never kept. */
  hash: Buffer;
  tier: string | null;
}

export interface UpstreamConfig {
  name: string;
  targets: URL[];
  timeoutMs: number;
  connectTimeoutMs: number;
  connections: number;
}

export interface RouteConfig {
  /** As written in the config: /v2/models/{model}/infer */
  path: string;
  methods: ('POST' | 'GET')[];
  protocol: Protocol;
  upstream: string;
  limits: Limits;
  injection: { action: InjectionAction; threshold: number | null };
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
    maxHeaderBytes: number;
  };
  admin: { host: string; port: number; token: string | null };
  auth: { headers: string[]; keys: ApiKeyEntry[] };
  upstreams: Map<string, UpstreamConfig>;
  routes: RouteConfig[];
  logging: { level: string };
}
