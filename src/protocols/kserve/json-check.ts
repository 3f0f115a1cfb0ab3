/**
 * The whole check of one KServe v2 JSON inference body, as one pure function of its bytes: what
 * the body phase does (UTF-8, the structural guard, JSON.parse, duplicate keys) and what the
 * inspect phase's validator does (shapes, datatypes, element counts, values). It is what a
 * worker thread runs for a large body (src/workers/scan-worker.ts), so that the event loop never
 * parses it: the same functions as the inline path (parseJsonBody, compileKserve), so the same
 * denials, each kept with the phase that gives it inline (a body-phase denial stops the request
 * where the inline body phase would, a validation denial where the inspect phase would).
 *
 * Everything in a task is plain data (structured-cloneable): the route's model declarations and
 * limits, compiled once per thread and kept (`specKey` names them).
 */
import type { Denial } from '../../errors.js';
import { parseJsonBody } from '../../policies/json-body.js';
import { countObjectKeys, type JsonLimits } from '../json-guard.js';
import type { KserveLimits, ModelDecl } from './model.js';
import { compileKserve, type KserveValidator, type TensorSummary } from './validate.js';

/** A route's validation settings, as plain data. */
export interface KserveJsonSpec {
  /** Stable per route (JSON of models and limits): the thread compiles a spec once per key. */
  key: string;
  models: Record<string, ModelDecl>;
  limits: KserveLimits;
  json: JsonLimits;
  /** An infer route: the body is validated as an inference request (else only parsed). */
  infer: boolean;
}

export interface KserveJsonTask {
  spec: KserveJsonSpec;
  /** The model the request names (the {model} parameter or the route's only model). */
  model: string;
  /** The body's bytes. */
  bytes: Uint8Array;
}

export interface KserveJsonVerdict {
  /** What the body phase refuses (bad UTF-8, a structural limit, invalid JSON), or null. */
  body: Denial | null;
  /** The validator's answer (null: body refused, or not an infer route). */
  inspect: Denial | TensorSummary | null;
  /**
   * The body's top-level `model` when it is a string (the key-model policy reads it when the path
   * names none), else null.
   */
  model: string | null;
  /**
   * The body re-serialised (UTF-8), when its text has a duplicate key: then what is checked, not
   * the client's bytes, is forwarded (as inline). Null: forward the client's bytes.
   */
  json: Uint8Array | null;
}

export function specKeyOf(models: Record<string, ModelDecl>, limits: KserveLimits): string {
  return JSON.stringify({ models, limits });
}

const validators = new Map<string, KserveValidator>();

function validatorOf(spec: KserveJsonSpec): KserveValidator {
  let v = validators.get(spec.key);
  if (v === undefined) {
    v = compileKserve(spec.models, spec.limits);
    validators.set(spec.key, v);
  }
  return v;
}

const encoder = new TextEncoder();

export function checkKserveJson(task: KserveJsonTask): KserveJsonVerdict {
  const { spec } = task;
  const raw = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const stats = { keys: 0 };
  const r = parseJsonBody(raw, spec.json, stats);
  if ('code' in r) return { body: r, inspect: null, model: null, json: null };
  const value = r.value;
  const json = countObjectKeys(value) === stats.keys ? null : encoder.encode(JSON.stringify(value));
  const m = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { model?: unknown }).model : undefined;
  return {
    body: null,
    inspect: spec.infer ? validatorOf(spec).validateJson(task.model, value) : null,
    model: typeof m === 'string' ? m : null,
    json,
  };
}

export interface KserveBinaryTask {
  spec: KserveJsonSpec;
  model: string;
  /** The whole body: JSON header, then the tensors' bytes. */
  bytes: Uint8Array;
  /** The Inference-Header-Content-Length value, as a number (NaN when it is not one). */
  headerLength: number;
}

export interface KserveBinaryVerdict {
  /** The validator's answer (the inspect phase gives it, as inline). */
  inspect: Denial | TensorSummary;
  /** What is forwarded when valid: the checked header re-serialised, then the checked bytes. */
  forward: Uint8Array | null;
  /** The forwarded header's length (the new Inference-Header-Content-Length). */
  headerLength: number;
}

/**
 * What a valid binary request forwards: its header as parsed (re-serialised: what was checked is
 * what is sent), then the tensor bytes as they came. In memory of its own (never Buffer's shared
 * pool), so a worker thread can hand it over.
 */
export function binaryForward(header: unknown, raw: Buffer, headerLength: number): { body: Buffer; headerLength: number } {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const body = Buffer.allocUnsafeSlow(head.length + raw.length - headerLength);
  head.copy(body, 0);
  raw.copy(body, head.length, headerLength);
  return { body, headerLength: head.length };
}

export function checkKserveBinary(task: KserveBinaryTask): KserveBinaryVerdict {
  const raw = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const r = validatorOf(task.spec).validateBinary(task.model, raw, task.headerLength, task.spec.json);
  if ('code' in r) return { inspect: r, forward: null, headerLength: 0 };
  const f = binaryForward(r.header, raw, task.headerLength);
  return { inspect: { elements: r.elements, batch: r.batch }, forward: f.body, headerLength: f.headerLength };
}
