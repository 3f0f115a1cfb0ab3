/**
 * RequestContext: everything one request carries through the phases. A phase only reads what
 * earlier phases produced: `key` exists from the request phase on, `body` from the body phase,
 * `inspection` from the inspect phase.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RouteConfig } from '../config/types.js';
import type { Denial } from '../errors.js';

export type Phase = 'accept' | 'request' | 'body' | 'inspect' | 'admit' | 'forward' | 'respond' | 'settle';

export interface Identity {
  keyId: string;
  tier: string | null;
}

/** What the inspect phase learned from a protocol body: the texts that reach the model, etc. */
export interface Inspection {
  /** Every piece of text that a model will read (all roles, all parts). */
  texts: string[];
  totalChars: number;
  stream: boolean;
  /** Requested completion tokens (max_tokens / max_completion_tokens), when named. */
  maxTokens: number | null;
}

export interface RequestContext {
  readonly id: string;
  /** process.hrtime.bigint() at arrival. */
  readonly startedAt: bigint;
  readonly route: RouteConfig;
  readonly method: string;
  /** Path and query as received, forwarded as they are (already matched against the route). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly ip: string;
  /** The request stream; only the body phase reads it. */
  readonly raw: IncomingMessage;
  identity: Identity | null;
  /** Decoded (decompressed) body bytes as they arrived. */
  rawBody: Buffer | null;
  /** Parsed JSON body. */
  body: unknown;
  inspection: Inspection | null;
  /** Headers every response to this request carries (CORS, …), errors included. */
  responseHeaders: Record<string, string>;
  /** The denial this request was answered with, if any (for settle's metrics and log). */
  denial: Denial | null;
  /** Things a policy noticed without refusing (flag mode): counted and logged. */
  flags: string[];
}
