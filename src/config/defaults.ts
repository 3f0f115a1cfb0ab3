/**
 * Built-in defaults: what a route gets for every limit it does not name. The numbers follow the
 * seeds' nginx/FastAPI setups (25,000 characters per input, max_tokens 4,096, 50 messages,
 * 100 KB bodies) and are documented in docs/configuration.md.
 */
import type { Protocol } from './types.js';

export interface Limits {
  maxBodyBytes: number;
  maxMessages: number;
  maxMessageChars: number;
  maxTotalChars: number;
  maxTokens: number;
  maxN: number;
  maxBestOf: number;
  maxLogprobs: number;
  maxInputs: number;
  maxInputChars: number;
  maxJsonDepth: number;
  maxJsonArrayLength: number;
  maxJsonStringChars: number;
  maxJsonKeys: number;
  decompress: readonly ('gzip' | 'deflate' | 'br')[];
  maxCompressionRatio: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 100 * 1024,
  maxMessages: 50,
  maxMessageChars: 25_000,
  maxTotalChars: 100_000,
  maxTokens: 4096,
  maxN: 4,
  maxBestOf: 4,
  maxLogprobs: 20,
  maxInputs: 256,
  maxInputChars: 25_000,
  maxJsonDepth: 32,
  maxJsonArrayLength: 10_000,
  maxJsonStringChars: 100_000,
  maxJsonKeys: 256,
  decompress: Object.freeze(['gzip', 'deflate', 'br'] as const),
  maxCompressionRatio: 20,
});

/** Injection detection is on (blocking) for protocols whose text instructs a model. */
export function defaultInjectionAction(protocol: Protocol): 'block' | 'flag' | 'off' {
  return protocol === 'openai-embeddings' ? 'off' : 'block';
}

export const DEFAULT_SERVER = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024,
});

export const DEFAULT_ADMIN = Object.freeze({ host: '127.0.0.1', port: 9090 });

export const DEFAULT_AUTH_HEADERS = Object.freeze(['X-API-Key', 'Authorization']);

export const DEFAULT_UPSTREAM = Object.freeze({ timeoutMs: 120_000, connectTimeoutMs: 5_000, connections: 128, queueSize: 100, queueTimeoutMs: 30_000 });

/** Completion tokens reserved (and sent as max_tokens) when a request names none. */
export const DEFAULT_MAX_TOKENS_RESERVED = 512;
