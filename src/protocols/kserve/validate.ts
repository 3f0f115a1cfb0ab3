/**
 * KServe v2 / Triton inference request validation, pure and I/O-free.
 *
 * Order of checks (cheap and structural first, data last):
 *   1. request shape (top-level keys, ids, parameters, outputs) → MG_REQUEST_INVALID
 *   2. per input: structure, name, datatype, shape, batch, element count
 *   3. every declared input present; total elements within the limit (before touching data)
 *   4. binary extension: byte sizes per input and in total
 *   5. the values themselves
 *
 * Parameters are KServe's `$parameters`: an object whose values are strings, numbers or booleans.
 * On inputs only `binary_data_size` is accepted (binary mode), on outputs only `binary_data` and
 * `classification`: Triton's `shared_memory_*` parameters would let a client read or write the
 * server's shared memory regions, so they are refused rather than passed on.
 */
import { deny, type Denial } from '../../errors.js';
import { checkJsonLimits, type JsonLimits } from '../json-guard.js';
import { checkBinaryData } from './binary.js';
import { isDatatype } from './datatypes.js';
import { checkJsonData } from './json-data.js';
import { compileModel, type CompiledInput, type CompiledModel, type KserveLimits, type ModelDecl } from './model.js';

export interface TensorSummary {
  /** Total elements over all inputs (cost = elements / 1000, computed by the caller). */
  elements: number;
  /** The batch (first dimension) when the model declares maxBatch; else null. */
  batch: number | null;
}

export interface KserveValidator {
  hasModel(name: string): boolean;
  /** body = the already JSON.parse'd request body. */
  validateJson(model: string, body: unknown): Denial | TensorSummary;
  /**
   * Binary tensor data extension: raw = the whole body; headerLength = the value of
   * Inference-Header-Content-Length. Returns the parsed JSON header too.
   */
  validateBinary(model: string, raw: Buffer, headerLength: number, jsonLimits: JsonLimits): Denial | (TensorSummary & { header: unknown });
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A client-supplied string, made safe and short for a log line. */
function q(s: string): string {
  return JSON.stringify(s.length > 16 ? `${s.slice(0, 16)}…` : s);
}

function invalid(detail: string): Denial {
  return deny('MG_REQUEST_INVALID', detail);
}

function isParamValue(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function checkRequestParameters(p: unknown): Denial | null {
  if (!isObject(p)) return invalid('parameters is not an object');
  for (const k of Object.keys(p)) {
    if (!isParamValue(p[k])) return invalid(`parameters.${q(k)} is not a string, number or boolean`);
  }
  return null;
}

function checkOutputs(outputs: unknown): Denial | null {
  if (!Array.isArray(outputs)) return invalid('outputs is not an array');
  const names = new Set<string>();
  for (let i = 0; i < outputs.length; i++) {
    const o: unknown = outputs[i];
    if (!isObject(o)) return invalid(`outputs[${i}] is not an object`);
    for (const k of Object.keys(o)) {
      if (k !== 'name' && k !== 'parameters') return invalid(`outputs[${i}] has unknown key ${q(k)}`);
    }
    if (typeof o.name !== 'string') return invalid(`outputs[${i}].name is not a string`);
    if (names.has(o.name)) return invalid(`outputs[${i}] repeats output ${q(o.name)}`);
    names.add(o.name);
    if (o.parameters !== undefined) {
      const p = o.parameters;
      if (!isObject(p)) return invalid(`outputs[${i}].parameters is not an object`);
      for (const k of Object.keys(p)) {
        const v = p[k];
        if (k === 'binary_data') {
          if (typeof v !== 'boolean') return invalid(`outputs[${i}].parameters.binary_data is not a boolean`);
        } else if (k === 'classification') {
          if (!isCount(v)) return invalid(`outputs[${i}].parameters.classification is not a non-negative integer`);
        } else {
          return invalid(`outputs[${i}].parameters has unsupported key ${q(k)}`);
        }
      }
    }
  }
  return null;
}

/** One input of the request after its structure and shape were checked. */
interface Checked {
  ci: CompiledInput;
  shape: readonly number[];
  elements: number;
  data: readonly unknown[] | null;
  binarySize: number;
}

/** Product of the dims, or -1 when it exceeds max (never computes past it, so never overflows). */
function elementCount(shape: readonly number[], max: number): number {
  for (let i = 0; i < shape.length; i++) if (shape[i] === 0) return 0;
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    n *= shape[i] as number;
    if (n > max) return -1;
  }
  return n;
}

interface Binary { view: DataView; start: number; length: number; }

function validateRequest(m: CompiledModel, body: unknown, limits: KserveLimits, binary: Binary | null): Denial | TensorSummary {
  // 1. request shape
  if (!isObject(body)) return invalid('body is not a JSON object');
  for (const k of Object.keys(body)) {
    if (k !== 'id' && k !== 'parameters' && k !== 'inputs' && k !== 'outputs') return invalid(`unknown top-level key ${q(k)}`);
  }
  if (body.id !== undefined && typeof body.id !== 'string') return invalid('id is not a string');
  if (body.parameters !== undefined) {
    const r = checkRequestParameters(body.parameters);
    if (r !== null) return r;
  }
  if (body.outputs !== undefined) {
    const r = checkOutputs(body.outputs);
    if (r !== null) return r;
  }
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) return invalid('inputs is not a non-empty array');

  // 2. per input
  const declared = m.inputs;
  const seen = new Array<boolean>(declared.length).fill(false);
  const checked: Checked[] = [];
  const max = limits.maxTensorElements;
  let total = 0;
  let batch: number | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const x: unknown = inputs[i];
    if (!isObject(x)) return invalid(`inputs[${i}] is not an object`);
    let hasData = false;
    for (const k of Object.keys(x)) {
      if (k === 'data') hasData = true;
      else if (k !== 'name' && k !== 'shape' && k !== 'datatype' && k !== 'parameters') return invalid(`inputs[${i}] has unknown key ${q(k)}`);
    }
    const { name, shape, datatype, parameters, data } = x;
    if (typeof name !== 'string') return invalid(`inputs[${i}].name is not a string`);
    if (!Array.isArray(shape)) return invalid(`inputs[${i}].shape is not an array`);
    if (typeof datatype !== 'string') return invalid(`inputs[${i}].datatype is not a string`);
    let binarySize = -1;
    if (parameters !== undefined) {
      if (!isObject(parameters)) return invalid(`inputs[${i}].parameters is not an object`);
      for (const k of Object.keys(parameters)) {
        if (k !== 'binary_data_size') return invalid(`inputs[${i}].parameters has unsupported key ${q(k)}`);
        if (binary === null) return invalid(`inputs[${i}] has binary_data_size but the body is plain JSON`);
        const v = parameters[k];
        if (!isCount(v)) return invalid(`inputs[${i}].parameters.binary_data_size is not a non-negative integer`);
        binarySize = v;
      }
    }
    if (hasData === (binarySize >= 0)) return invalid(`inputs[${i}] needs exactly one of data and binary_data_size`);
    if (hasData && !Array.isArray(data)) return invalid(`inputs[${i}].data is not an array`);

    const ci = m.byName.get(name);
    if (ci === undefined) return deny('MG_TENSOR_INPUT_NAME', `inputs[${i}]: undeclared input ${q(name)}`);
    if (seen[ci.index]) return deny('MG_TENSOR_INPUT_NAME', `inputs[${i}]: input ${q(name)} given twice`);
    seen[ci.index] = true;
    const tag = `input ${JSON.stringify(ci.name)}`;

    if (!isDatatype(datatype)) return deny('MG_TENSOR_DATATYPE', `${tag}: unknown datatype ${q(datatype)}`);
    if (datatype !== ci.datatype) return deny('MG_TENSOR_DATATYPE', `${tag}: datatype ${datatype}, model declares ${ci.datatype}`);

    const decl = ci.shape;
    if (shape.length !== decl.length) return deny('MG_TENSOR_SHAPE', `${tag}: rank ${shape.length}, model declares ${decl.length}`);
    for (let d = 0; d < shape.length; d++) {
      const v: unknown = shape[d];
      if (!isCount(v)) return deny('MG_TENSOR_SHAPE', `${tag}: dimension ${d} is not a non-negative integer`);
      const want = decl[d] as number;
      if (want !== -1 && v !== want) return deny('MG_TENSOR_SHAPE', `${tag}: dimension ${d} is ${v}, model declares ${want}`);
    }
    const dims = shape as number[];
    if (m.maxBatch !== null) {
      const b = dims[0] as number;
      if (batch !== null && b !== batch) return deny('MG_TENSOR_SHAPE', `${tag}: batch ${b} differs from the other inputs' ${batch}`);
      batch = b;
      if (b > m.maxBatch) return deny('MG_BATCH_TOO_LARGE', `${tag}: batch ${b} over ${m.maxBatch}`);
    }
    const elements = elementCount(dims, max);
    if (elements < 0 || total + elements > max) return deny('MG_TENSOR_TOO_LARGE', `${tag}: over ${max} elements in the request`);
    total += elements;
    checked.push({ ci, shape: dims, elements, data: hasData ? (data as unknown[]) : null, binarySize });
  }

  // 3. every declared input present
  for (const ci of declared) {
    if (!seen[ci.index]) return deny('MG_TENSOR_INPUT_NAME', `missing input ${JSON.stringify(ci.name)}`);
  }

  // 4. binary sizes
  if (binary !== null) {
    let sum = 0;
    for (const c of checked) {
      if (c.binarySize < 0) continue;
      if (c.ci.byteSize > 0 && c.binarySize !== c.elements * c.ci.byteSize) {
        return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(c.ci.name)}: binary_data_size ${c.binarySize}, shape needs ${c.elements * c.ci.byteSize}`);
      }
      sum += c.binarySize;
    }
    if (sum !== binary.length) {
      return deny('MG_TENSOR_DATA_LENGTH', `binary_data_size values sum to ${sum}, body has ${binary.length} bytes after the header`);
    }
  }

  // 5. values
  let offset = binary === null ? 0 : binary.start;
  for (const c of checked) {
    let r: Denial | null;
    if (c.data !== null) {
      r = checkJsonData(c.ci, c.shape, c.elements, c.data);
    } else {
      r = checkBinaryData(c.ci, (binary as Binary).view, offset, c.binarySize, c.elements);
      offset += c.binarySize;
    }
    if (r !== null) return r;
  }
  return { elements: total, batch };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function compileKserve(models: Record<string, ModelDecl>, limits: KserveLimits): KserveValidator {
  if (!(Number.isSafeInteger(limits.maxTensorElements) && limits.maxTensorElements > 0)) {
    throw new Error('kserve: maxTensorElements must be a positive integer');
  }
  const lim: KserveLimits = { maxTensorElements: limits.maxTensorElements };
  const compiled = new Map<string, CompiledModel>();
  for (const name of Object.keys(models)) compiled.set(name, compileModel(name, models[name] as ModelDecl));

  function unknownModel(model: string): Denial {
    return deny('MG_MODEL_NOT_FOUND', `unknown model ${q(model)}`);
  }

  return {
    hasModel(name: string): boolean {
      return compiled.has(name);
    },

    validateJson(model: string, body: unknown): Denial | TensorSummary {
      const m = compiled.get(model);
      if (m === undefined) return unknownModel(model);
      return validateRequest(m, body, lim, null);
    },

    validateBinary(model: string, raw: Buffer, headerLength: number, jsonLimits: JsonLimits): Denial | (TensorSummary & { header: unknown }) {
      const m = compiled.get(model);
      if (m === undefined) return unknownModel(model);
      if (!(Number.isSafeInteger(headerLength) && headerLength > 0 && headerLength <= raw.length)) {
        return invalid(`Inference-Header-Content-Length not within 1..${raw.length}`);
      }
      let text: string;
      try {
        text = utf8.decode(raw.subarray(0, headerLength));
      } catch {
        return deny('MG_BODY_INVALID_UTF8', 'binary request header is not valid UTF-8');
      }
      const v = checkJsonLimits(text, jsonLimits);
      if (v !== null) return deny(v.code, `binary request header: ${v.detail}`);
      let header: unknown;
      try {
        header = JSON.parse(text);
      } catch {
        return deny('MG_JSON_INVALID', 'binary request header is not valid JSON');
      }
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const r = validateRequest(m, header, lim, { view, start: headerLength, length: raw.length - headerLength });
      if ('code' in r) return r;
      return { elements: r.elements, batch: r.batch, header };
    },
  };
}
