/**
 * The one telemetry path: everything the gateway reports about what happened — a policy that
 * failed, an injection found, an upstream failure, a redaction, a request answered and settled —
 * is one typed event emitted on one bus. Metrics, the log and the audit log are subscribers
 * (src/observability/subscribers/), wired in src/observability/telemetry.ts; tests and embedders
 * subscribe to `gateway.events`.
 *
 * Adding a signal is one place: a member of `TelemetryEvent` (and its name in EVENT_TYPES), then
 * the compiler asks for a case in each subscriber's exhaustive switch.
 *
 * What an event may carry: ids (request id, key id — never a key), routes, codes, counts,
 * durations, and error messages of the gateway's own errors. Never a prompt, a completion, a
 * header value or a key. Events are plain data: a subscriber can log one as it is.
 *
 * Hand-written (about 40 lines) rather than Node's EventEmitter or an npm emitter: EventEmitter
 * rethrows a listener's throw into the emitting request, and neither isolates or counts a
 * subscriber that throws; the bus must never let telemetry break a request.
 */
import type { InjectionAction } from '../config/types.js';
import type { ResourceKind } from '../pipeline/resources.js';
import type { TargetChange } from '../upstream/targets.js';

/** Who a request-scoped event is about: ids and the route (the configured path), never content. */
export interface RequestRef {
  reqId: string;
  /** The authenticated identity's id, when known. */
  keyId: string | undefined;
  /** The route's metric label (its configured path, or "(none)"). */
  route: string;
}

export type TelemetryEvent =
  /** A policy threw or timed out; `failOpen`: the request went on. */
  | { type: 'policy.failed'; reqId: string; policy: string; failOpen: boolean; error: string | undefined }
  /** Prompt injection found (inspect phase); `score`: the learned layer's highest score. */
  | (RequestRef & { type: 'injection.detected'; families: string[]; action: InjectionAction; score: number | undefined })
  /** The model server failed (connect, status, body, stream); `detail`: codes, statuses, lengths. */
  | (RequestRef & { type: 'upstream.failed'; upstream: string; kind: string; detail: Record<string, string | number | null | undefined> })
  /** The output filter threw; `failOpen`: the response went on unfiltered. */
  | (RequestRef & { type: 'output.failed'; failOpen: boolean; error: string | undefined })
  /** PII or secrets found in a response (redacted or blocked): counts by type, never the values. */
  | (RequestRef & { type: 'output.redacted'; counts: Record<string, number>; action: 'redact' | 'block' | undefined })
  /** Images and links to hosts off output.links.allow found in a response (stripped or blocked): counts by type, never the URLs. */
  | (RequestRef & { type: 'output.links'; counts: Record<string, number>; action: 'strip' | 'block' })
  /** A response withheld: it repeated the canary marker or a system-prompt fragment. */
  | (RequestRef & { type: 'output.leak'; kind: string })
  /** A client that accepted no bytes for the send timeout was disconnected. */
  | (RequestRef & { type: 'client.cut'; reason: 'send-timeout' })
  /** A limit-store call failed; `mode`: the store.onError applied. */
  | { type: 'store.failed'; mode: string; error: string | undefined }
  /** A resource (reservation, lease, GPU slot) could not be released cleanly. */
  | { type: 'resource.release-failed'; kind: ResourceKind; error: string | undefined }
  /** Settle threw (a bug): logged, never rethrown. */
  | { type: 'request.settle-failed'; reqId: string; error: string | undefined }
  /** An upstream target's breaker or health state changed; `up`: in rotation after the change. */
  | { type: 'target.changed'; upstream: string; target: string; change: TargetChange; up: boolean }
  /**
   * Refused before a route's pipeline ran (wire level; router: 404/405/CORS/framework errors).
   * `detail`: what the log line of a wire-level refusal carries; undefined for the router's own
   * refusals, which public.ts logs where it decides them.
   */
  | { type: 'request.refused'; reqId: string; route: string; code: string; status: number; detail: Record<string, unknown> | undefined }
  /** One call to the external injection detector ended; `seconds`: from send to answer or failure. */
  | { type: 'injection.external-called'; outcome: ExternalOutcome; seconds: number }
  /** An external-detector verdict reused: from the cache, or from a call in flight for the same messages. */
  | { type: 'injection.external-cached' }
  /** The external injection detector gave no verdict; `failOpen`: the request went on unchecked by it. */
  | (RequestRef & { type: 'injection.external-failed'; reason: ExternalFailureReason; failOpen: boolean })
  /**
   * The injection score of a request not flagged locally, with the external verdict when asked
   * (debug log and the score histogram; never the text). `score` is undefined when the route's
   * learned layer is off (no score to speak of).
   */
  | (RequestRef & { type: 'injection.scored'; score: number | undefined; external: { flagged: boolean; cached: boolean } | null })
  /** A task sent to the worker pool ended (src/workers/scan-pool.ts): an injection scan, a token count or a KServe JSON body check. */
  | { type: 'scan-pool.task'; task: ScanPoolTask; outcome: ScanPoolOutcome }
  /** A routed request's response is over (before its resources are released). */
  | { type: 'request.answered'; route: string; status: number; seconds: number; code: string | undefined }
  /** A routed request is settled: resources released, cost reconciled. The access-log line. */
  | (RequestRef & { type: 'request.settled'; access: AccessRecord; usage: UsageRecord | undefined });

/** How a call to the external injection detector ended. */
export type ExternalOutcome = 'flagged' | 'clean' | 'error';
/** Why the external injection detector gave no verdict. */
export type ExternalFailureReason = 'timeout' | 'unreachable' | 'status' | 'bad-response';
/** How a scan sent to the worker pool ended: ok, busy (queue full), aborted (the client left), error. */
export type ScanPoolOutcome = 'ok' | 'busy' | 'aborted' | 'error';
/** What a pool task did: an injection scan, the prompt's token count for cost admission, or a KServe JSON body's check. */
export type ScanPoolTask = 'scan' | 'count' | 'kserve' | 'kserve-binary';

/** What the access log says about one request: counts and flags, never text. */
export interface AccessRecord {
  method: string;
  status: number;
  code: string | undefined;
  why: string | undefined;
  ip: string;
  bodyBytes: number | undefined;
  promptChars: number | undefined;
  cost: { estimate: number; actual: number | undefined } | undefined;
  flags: string[] | undefined;
  complete: boolean;
  ms: number;
}

/** Per-key books of a settled request with an identity: cost units charged and tokens reported. */
export interface UsageRecord {
  keyId: string;
  cost: number | undefined;
  /** Tokens the model server reported (openai routes with a usage report). */
  tokens: { prompt: number; completion: number } | undefined;
}

export type EventType = TelemetryEvent['type'];
export type EventOf<T extends EventType> = Extract<TelemetryEvent, { type: T }>;

/** Every event type (the telemetry-errors counter is initialised with these labels). */
export const EVENT_TYPES = [
  'policy.failed', 'injection.detected', 'upstream.failed', 'output.failed', 'output.redacted',
  'output.links', 'output.leak', 'client.cut', 'store.failed', 'resource.release-failed', 'request.settle-failed',
  'target.changed', 'request.refused', 'request.answered', 'request.settled',
  'injection.external-called', 'injection.external-cached', 'injection.external-failed', 'injection.scored', 'scan-pool.task',
] as const satisfies readonly EventType[];

// EVENT_TYPES must name every event type: this fails to compile when one is missing.
type Missing = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
const _allListed: [Missing] extends [never] ? true : Missing = true;
void _allListed;

/** What the request path holds: it can only emit. */
export interface Emitter {
  emit(e: TelemetryEvent): void;
}

export type Subscriber = (e: TelemetryEvent) => void;

/** An emitter that drops everything (unit tests of a component, benchmarks). */
export const NO_EVENTS: Emitter = { emit() { /* dropped */ } };

/** The message of an error, for an event (never its stack or its own fields). */
export function errorMessage(err: unknown): string | undefined {
  return (err as Error | undefined)?.message;
}

/** The request-scoped part of an event, from anything that has the request's id, identity and route. */
export function requestRef(ctx: { id: string; identity: { keyId: string } | null; route: { path: string } }): RequestRef {
  return { reqId: ctx.id, keyId: ctx.identity?.keyId, route: ctx.route.path };
}

/** For a switch that must handle every event type: fails to compile when a case is missing. */
export function unhandled(e: never): never {
  throw new Error(`unhandled telemetry event ${(e as { type?: string }).type}`);
}

/**
 * Fans every event out to its subscribers, in subscription order, synchronously. A subscriber
 * that throws (or returns a promise that rejects) is reported to `onError` — counted and logged
 * by telemetry.ts — and never reaches the emitter: the request goes on, the other subscribers
 * still see the event.
 */
export class EventBus implements Emitter {
  #subscribers: { name: string; fn: Subscriber }[] = [];
  readonly #onError: (e: TelemetryEvent, subscriber: string, err: unknown) => void;

  constructor(onError: (e: TelemetryEvent, subscriber: string, err: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  /** Subscribe `fn` to every event; returns the unsubscribe. `name` identifies it in error reports. */
  subscribe(fn: Subscriber, name = fn.name || 'subscriber'): () => void {
    const entry = { name, fn };
    // Copy on write: a subscriber that (un)subscribes while an event is fanned out does not disturb it.
    this.#subscribers = [...this.#subscribers, entry];
    return () => { this.#subscribers = this.#subscribers.filter((s) => s !== entry); };
  }

  emit(e: TelemetryEvent): void {
    for (const s of this.#subscribers) {
      try {
        const r: unknown = s.fn(e);
        if (r instanceof Promise) r.catch((err: unknown) => this.#report(e, s.name, err));
      } catch (err) {
        this.#report(e, s.name, err);
      }
    }
  }

  #report(e: TelemetryEvent, name: string, err: unknown): void {
    try {
      this.#onError(e, name, err);
    } catch { /* the error report itself failed: nothing more can be done without risking the request */ }
  }
}
