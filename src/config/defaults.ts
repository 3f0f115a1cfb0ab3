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
  /** Images (image-upload, torchserve image bodies, chat data URLs): bytes per image. */
  maxBytes: number;
  /** Allowed content types: image types (image-upload, chat images), or body types (torchserve). */
  types: readonly string[];
  maxDimension: number;
  maxPixels: number;
  maxFrames: number;
  /** Fully decode images (sharp, limitInputPixels) after the header checks. */
  verifyDecode: boolean;
  /** Images per chat request (0 = image parts refused). */
  maxImages: number;
  /** Hosts a chat image_url may name (none: remote image URLs refused). */
  imageHosts: readonly string[];
  /** Elements over all tensors of one KServe v2 request. */
  maxTensorElements: number;
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
  maxBytes: 10 * 1024 * 1024,
  types: Object.freeze(['image/jpeg', 'image/png', 'image/webp']),
  maxDimension: 8192,
  maxPixels: 33_554_432,
  maxFrames: 100,
  verifyDecode: false,
  maxImages: 0,
  imageHosts: Object.freeze([]),
  maxTensorElements: 4_194_304,
});

/** Room for multipart framing and small text fields around one uploaded file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * What differs from DEFAULT_LIMITS by protocol (before the route's own keys): tensors and images
 * are big bodies, and their JSON arrays are long.
 */
export function protocolLimitDefaults(protocol: Protocol): Partial<Limits> {
  switch (protocol) {
    case 'kserve-v2': return { maxBodyBytes: 64 * 1024 * 1024, maxJsonArrayLength: 4_194_304 };
    case 'torchserve': return { maxBodyBytes: 10 * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES, types: Object.freeze(['application/json', 'image/jpeg', 'image/png', 'image/webp']) };
    case 'image-upload': return { decompress: Object.freeze([]) };
    default: return {};
  }
}

/** Injection detection is on (blocking) for protocols whose text instructs a model. */
export function defaultInjectionAction(protocol: Protocol): 'block' | 'flag' | 'off' {
  return protocol === 'openai-chat' || protocol === 'openai-completions' ? 'block' : 'off';
}

export const DEFAULT_SERVER = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  sendTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  shutdownDelayMs: 5_000,
  shutdownTimeoutMs: 30_000,
});

export const DEFAULT_ADMIN = Object.freeze({ host: '127.0.0.1', port: 9090 });

export const DEFAULT_AUTH_HEADERS = Object.freeze(['X-API-Key', 'Authorization']);

export const DEFAULT_UPSTREAM = Object.freeze({ timeoutMs: 120_000, connectTimeoutMs: 5_000, connections: 128, queueSize: 100, queueTimeoutMs: 30_000, maxResponseBytes: 16 * 1024 * 1024 });

/** Completion tokens reserved (and sent as max_tokens) when a request names none. */
export const DEFAULT_MAX_TOKENS_RESERVED = 512;
