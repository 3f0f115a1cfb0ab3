/**
 * RequestContext: everything one request carries through the phases. A phase only reads what
 * earlier phases produced: `key` exists from the request phase on, `body` from the body phase,
 * `inspection` from the inspect phase.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RouteConfig } from '../config/types.js';
import type { Denial } from '../errors.js';
import type { Usage } from '../protocols/openai/usage.js';
import type { Reservation } from '../limits/limiter.js';
import type { OutputFilter } from '../protocols/openai/output.js';
import type { Resources } from './resources.js';

export type Phase = 'accept' | 'request' | 'body' | 'inspect' | 'admit' | 'forward' | 'respond' | 'settle';

export interface Identity {
  keyId: string;
  tier: string | null;
  /** The key's model allow-list (src/policies/key-model.ts); absent = any model. */
  models?: ReadonlySet<string>;
}

/** What the inspect phase learned from a protocol body: the texts that reach the model, etc. */
export interface Inspection {
  /** Every piece of text that a model will read (all roles, all parts). */
  texts: string[];
  totalChars: number;
  stream: boolean;
  /** Requested completion tokens (max_tokens / max_completion_tokens), when named. */
  maxTokens: number | null;
  /** Messages (chat) or prompts/inputs: each carries a few tokens of framing. */
  items: number;
  /** Prompt tokens given as token ids (completions, embeddings): counted as they are. */
  tokenIds: number;
  /** Choices requested (n, or best_of when larger). */
  choices: number;
  /** Cost units that are not tokens: pixels ÷ 1,000 per image, elements ÷ 1,000 per tensor. */
  extraUnits: number;
}

/** The inspection of a request whose cost is not tokens (tensors, images): only its units. */
export function unitsInspection(units: number): Inspection {
  return { texts: [], totalChars: 0, stream: false, maxTokens: 0, items: 0, tokenIds: 0, choices: 0, extraUnits: units };
}

/**
 * What admission took. Each resource is also registered in `RequestContext.resources`, which
 * releases it exactly once; `releaseSlot` is the GPU slot's early release (the model server is done).
 */
export interface Admission {
  estimate: { promptTokens: number; completionTokens: number; total: number };
  reservation: Reservation | null;
  releaseSlot: (() => void) | null;
}

/** What the respond phase saw, for reconciliation. */
export interface Outcome {
  /** The model server answered (any status). */
  reached: boolean;
  status: number;
  usage: Usage | null;
  /** Generated text seen in a stream (bounded), counted when no usage arrives. */
  streamedText: string;
  /** modelgate asked for stream usage itself: the usage-only chunk is not the client's. */
  stripUsageChunk: boolean;
}

/**
 * What the pipeline uses of an abort signal. An AbortSignal is one; the gateway's per-request
 * client-gone signal (src/server/lifecycle.ts) is a plain object, without the AbortController
 * and EventTarget that Node builds for each (~1% of a request's CPU). Also what piscina takes.
 */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
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
  /** Aborts when the client's connection closes (stops queue waits and upstream requests). */
  readonly clientGone: AbortLike;
  /**
   * Aborts when the gateway must end in-flight work now (the shutdown deadline has passed): a
   * response not started gets 503 MG_SHUTTING_DOWN, a stream a final MG_SHUTTING_DOWN error event.
   */
  readonly stop: AbortSignal;
  identity: Identity | null;
  /** Decoded (decompressed) body bytes as they arrived. */
  rawBody: Buffer | null;
  /** Parsed JSON body. */
  body: unknown;
  /** Route parameters ({model}, {version}), decoded. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The exact body to send upstream when it is not the re-serialised JSON `body` (an image, a
   * rebuilt multipart body, a binary tensor request), with its content type and extra headers.
   */
  forward: { body: Buffer | string; contentType: string; headers?: Record<string, string> } | null;
  inspection: Inspection | null;
  admission: Admission | null;
  outcome: Outcome;
  /** Headers every response to this request carries (CORS, …), errors included. */
  responseHeaders: Record<string, string>;
  /** The denial this request was answered with, if any (for settle's metrics and log). */
  denial: Denial | null;
  /** The response filter of a route with output protection (created by the output policy). */
  output: OutputFilter | null;
  /** Things a policy noticed without refusing (flag mode): counted and logged. */
  flags: string[];
  /** Everything this request holds (reservation, lease, GPU slot); released once, in settle. */
  readonly resources: Resources;
  /** What the request was charged when its reservation was closed (null: nothing reserved). */
  charged: number | null;
}

/**
 * The model server has finished with this request (its answer is fully received, or failed, or
 * the client was cut): its GPU slot goes to the next in the queue now, not when the client has
 * read the answer. Idempotent.
 */
export function releaseGpu(ctx: RequestContext): void {
  const adm = ctx.admission;
  if (adm === null || adm.releaseSlot === null) return;
  const release = adm.releaseSlot;
  adm.releaseSlot = null;
  release();
}
