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
