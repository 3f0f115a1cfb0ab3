/**
 * KServe v2 JSON inference bodies, valid and invalid, for the equivalence tests of the check in
 * the worker pool against the inline one (test/unit/kserve-json-check.test.ts,
 * test/e2e/offloop-kserve.test.ts): one or more per error code the body and inspect phases give.
 */

import { DEFAULT_LIMITS } from '../src/config/defaults.js';
import { specKeyOf, type KserveJsonSpec } from '../src/protocols/kserve/json-check.js';

/** The models of the tests' route (YAML under `models:`), and the same as data. */
export const KSERVE_MODELS_YAML = `
      tiny:
        inputs:
          - { name: x, datatype: INT8, shape: [-1, 4] }
        maxBatch: 4
      img:
        inputs:
          - { name: pixels, datatype: FP32, shape: [-1, 3, 8, 8], range: [-1, 1] }
        maxBatch: 8
      vec:
        inputs:
          - { name: v, datatype: FP32, shape: [-1] }
      resnet50:
        inputs:
          - { name: input, datatype: FP32, shape: [-1, 3, 224, 224], range: [-100, 100] }
        maxBatch: 16`;

export const KSERVE_MODELS = {
  tiny: { inputs: [{ name: 'x', datatype: 'INT8' as const, shape: [-1, 4] }], maxBatch: 4 },
  img: { inputs: [{ name: 'pixels', datatype: 'FP32' as const, shape: [-1, 3, 8, 8], range: [-1, 1] as [number, number] }], maxBatch: 8 },
  vec: { inputs: [{ name: 'v', datatype: 'FP32' as const, shape: [-1] }] },
  resnet50: { inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 3, 224, 224], range: [-100, 100] as [number, number] }], maxBatch: 16 },
};

/** The route's limits that the cases below run into (YAML flow mapping entries). */
export const KSERVE_LIMITS = { maxTensorElements: 2_500_000, maxJsonStringChars: 4096, maxJsonDepth: 16 };
/** The JSON limits the route's body phase applies (as the gateway resolves the limits above). */
export const KSERVE_JSON_LIMITS = {
  maxDepth: KSERVE_LIMITS.maxJsonDepth,
  maxArrayLength: 4_194_304,
  maxStringChars: KSERVE_LIMITS.maxJsonStringChars,
  maxKeys: DEFAULT_LIMITS.maxJsonKeys,
};
const T_LIMITS = { maxTensorElements: KSERVE_LIMITS.maxTensorElements };
/** The route's settings as a pool task carries them. */
export const KSERVE_SPEC: KserveJsonSpec = { key: specKeyOf(KSERVE_MODELS, T_LIMITS), models: KSERVE_MODELS, limits: T_LIMITS, json: KSERVE_JSON_LIMITS, infer: true };
export const KSERVE_LIMITS_YAML = `maxTensorElements: ${KSERVE_LIMITS.maxTensorElements}, maxJsonStringChars: ${KSERVE_LIMITS.maxJsonStringChars}, maxJsonDepth: ${KSERVE_LIMITS.maxJsonDepth}`;

export interface KserveCase {
  name: string;
  model: string;
  body: Buffer;
  /** 'OK' or the error code, inline and in the pool alike. */
  code: string;
}

function seq(n: number, f: (i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f(i));
  return out;
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const tiny = (data: unknown, shape: unknown = [2, 4], datatype = 'INT8', name = 'x'): Record<string, unknown> => ({ inputs: [{ name, datatype, shape, data }] });
const img = (data: unknown, shape: unknown = [1, 3, 8, 8]): Record<string, unknown> => ({ inputs: [{ name: 'pixels', datatype: 'FP32', shape, data }] });
const PIXELS = seq(192, (i) => ((i % 21) - 10) / 10);

/**
 * The cases. `pad` bytes of JSON whitespace are appended to each body (still the same JSON):
 * a body above the pool's threshold without changing what it says.
 */
export function kserveCases(pad = 0): KserveCase[] {
  const ws = ' '.repeat(pad);
  const j = (name: string, model: string, v: unknown, code: string): KserveCase => ({ name, model, body: Buffer.from(JSON.stringify(v) + ws), code });
  const t = (name: string, model: string, text: string, code: string): KserveCase => ({ name, model, body: Buffer.from(text + ws), code });
  return [
    j('valid INT8, flat', 'tiny', tiny(seq(8, (i) => i - 4)), 'OK'),
    j('valid INT8, nested', 'tiny', tiny([[1, 2, 3, 4], [-5, -6, -7, -8]]), 'OK'),
    j('valid FP32 image with id, parameters and outputs', 'img', { id: 'r-1', parameters: { priority: 2, tag: 'a' }, ...img(PIXELS), outputs: [{ name: 'out', parameters: { binary_data: false } }] }, 'OK'),
    j('valid FP32 vector, unicode id', 'vec', { id: 'Grüße 東京 👋', inputs: [{ name: 'v', datatype: 'FP32', shape: [5], data: [0.5, -1e10, 3, 1e-30, 0] }] }, 'OK'),
    t('valid, duplicate key (re-serialised, as inline)', 'tiny', `{"id":"first","id":"second","inputs":${JSON.stringify(tiny(seq(4, (i) => i), [1, 4]).inputs)}}`, 'OK'),
    j('wrong shape: dimension', 'tiny', tiny(seq(10, () => 1), [2, 5]), 'MG_TENSOR_SHAPE'),
    j('wrong shape: rank', 'img', img(PIXELS, [3, 8, 8]), 'MG_TENSOR_SHAPE'),
    j('wrong datatype', 'tiny', tiny(seq(8, () => 1), [2, 4], 'INT16'), 'MG_TENSOR_DATATYPE'),
    j('unknown datatype', 'tiny', tiny(seq(8, () => 1), [2, 4], 'FLOAT'), 'MG_TENSOR_DATATYPE'),
    j('a string in an FP32 tensor', 'img', img([...PIXELS.slice(0, 100), 'x', ...PIXELS.slice(101)]), 'MG_TENSOR_DATATYPE'),
    j('INT8 value outside the type', 'tiny', tiny([1, 2, 3, 300, 5, 6, 7, 8]), 'MG_TENSOR_DATATYPE'),
    j('data length mismatch (flat)', 'tiny', tiny(seq(7, () => 1)), 'MG_TENSOR_DATA_LENGTH'),
    j('data length mismatch (nested)', 'tiny', tiny([[1, 2, 3, 4], [5, 6, 7]]), 'MG_TENSOR_DATA_LENGTH'),
    j('value outside the declared range', 'img', img([...PIXELS.slice(0, 50), 5, ...PIXELS.slice(51)]), 'MG_TENSOR_OUT_OF_RANGE'),
    j('too many elements', 'vec', { inputs: [{ name: 'v', datatype: 'FP32', shape: [3_000_000], data: [] }] }, 'MG_TENSOR_TOO_LARGE'),
    j('batch over maxBatch', 'tiny', tiny(seq(20, () => 0), [5, 4]), 'MG_BATCH_TOO_LARGE'),
    j('undeclared input', 'tiny', tiny(seq(8, () => 0), [2, 4], 'INT8', 'y'), 'MG_TENSOR_INPUT_NAME'),
    j('unknown top-level key', 'tiny', { ...tiny(seq(8, () => 0)), extra: 1 }, 'MG_REQUEST_INVALID'),
    j('a top-level model key', 'tiny', { model: 'tiny', ...tiny(seq(8, () => 0)) }, 'MG_REQUEST_INVALID'),
    j('shared-memory parameter refused', 'tiny', { inputs: [{ name: 'x', datatype: 'INT8', shape: [1, 4], data: [1, 2, 3, 4], parameters: { shared_memory_region: 'r' } }] }, 'MG_REQUEST_INVALID'),
    j('model not declared', 'nope', tiny(seq(8, () => 0)), 'MG_MODEL_NOT_FOUND'),
    t('too deep JSON', 'tiny', `{"parameters":{"deep":${nested(40)}},"inputs":[]}`, 'MG_JSON_TOO_DEEP'),
    t('forbidden key', 'tiny', `{"__proto__":{"x":1},"inputs":[]}`, 'MG_JSON_FORBIDDEN_KEY'),
    j('string over the limit', 'tiny', { id: 'a'.repeat(5000), ...tiny(seq(8, () => 0)) }, 'MG_JSON_STRING_TOO_LONG'),
    t('bad JSON: truncated', 'tiny', JSON.stringify(tiny(seq(8, () => 0))).slice(0, -3), 'MG_JSON_INVALID'),
    t('bad JSON: NaN', 'img', JSON.stringify(img(PIXELS)).replace('-1,', 'NaN,'), 'MG_JSON_INVALID'),
    { name: 'invalid UTF-8', model: 'tiny', body: Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from(`","inputs":[]}${ws}`)]), code: 'MG_BODY_INVALID_UTF8' },
  ];
}

/** A [batch,3,224,224] FP32 request for resnet50: 602,112 values at batch 4 (~3.2 MB of JSON). */
export function resnetBody(batch = 4): Buffer {
  let s = 1;
  const values = seq(batch * 3 * 224 * 224, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.round(((s >>> 8) / 0xffffff) * 2000 - 1000) / 100;
  });
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [batch, 3, 224, 224], data: values }] }));
}

/** A binary tensor request (Triton's binary data extension): the body and its header length, as sent. */
export interface KserveBinaryCase {
  name: string;
  model: string;
  body: Buffer;
  /** The Inference-Header-Content-Length header as sent (not always a number, not always right). */
  headerLength: string;
  code: string;
}

/**
 * Binary tensor requests, valid and invalid, for the equivalence tests of the check in the pool
 * against the inline one: at least one per code the binary path gives. Every body is over 1 KB
 * (the tests' threshold) — a small tensor is padded with a second, valid vector input where needed.
 */
export function kserveBinaryCases(): KserveBinaryCase[] {
  const f32 = (values: number[]): Buffer => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeFloatLE(v, i * 4));
    return b;
  };
  const make = (name: string, model: string, header: unknown, data: Buffer, code: string, headerText?: string | Buffer, headerLength?: string): KserveBinaryCase => {
    const h = Buffer.isBuffer(headerText) ? headerText : Buffer.from(headerText ?? JSON.stringify(header));
    return { name, model, body: Buffer.concat([h, data]), headerLength: headerLength ?? String(h.length), code };
  };
  const imgIn = (batch: number, size = batch * 192 * 4, datatype = 'FP32') => ({ name: 'pixels', datatype, shape: [batch, 3, 8, 8], parameters: { binary_data_size: size } });
  const vecIn = (n: number, size = n * 4) => ({ name: 'v', datatype: 'FP32', shape: [n], parameters: { binary_data_size: size } });
  const pixels = (batch: number): number[] => seq(batch * 192, (i) => ((i % 21) - 10) / 10);
  const withBad = (values: number[], at: number, v: number): number[] => { const c = [...values]; c[at] = v; return c; };
  return [
    make('valid FP32 image, batch 2', 'img', { inputs: [imgIn(2)] }, f32(pixels(2)), 'OK'),
    make('valid FP32 vector, 1,000 values, with id and outputs', 'vec', { id: 'b-1', inputs: [vecIn(1000)], outputs: [{ name: 'out', parameters: { binary_data: true } }] }, f32(seq(1000, (i) => i / 7 - 50)), 'OK'),
    make('valid, header with extra white space and unicode id', 'img', null, f32(pixels(2)), 'OK', `{ "id": "Grüße 東京", "inputs": [ ${JSON.stringify(imgIn(2))} ] }`),
    make('NaN in an image', 'img', { inputs: [imgIn(2)] }, f32(withBad(pixels(2), 300, NaN)), 'MG_TENSOR_NOT_FINITE'),
    make('Infinity in a vector', 'vec', { inputs: [vecIn(400)] }, f32(withBad(seq(400, () => 1), 399, Infinity)), 'MG_TENSOR_NOT_FINITE'),
    make('a pixel outside the declared range', 'img', { inputs: [imgIn(2)] }, f32(withBad(pixels(2), 5, 1.5)), 'MG_TENSOR_OUT_OF_RANGE'),
    make('binary_data_size not what the shape needs', 'img', { inputs: [imgIn(2, 2 * 192 * 4 - 4)] }, f32(pixels(2)).subarray(4), 'MG_TENSOR_DATA_LENGTH'),
    make('trailing bytes after the tensors', 'vec', { inputs: [vecIn(300)] }, Buffer.concat([f32(seq(300, () => 0.5)), Buffer.alloc(8)]), 'MG_TENSOR_DATA_LENGTH'),
    make('a buffer too short', 'vec', { inputs: [vecIn(400)] }, f32(seq(399, () => 0.5)), 'MG_TENSOR_DATA_LENGTH'),
    make('batch over maxBatch', 'img', { inputs: [imgIn(9)] }, f32(pixels(9)), 'MG_BATCH_TOO_LARGE'),
    make('more elements than maxTensorElements', 'vec', { inputs: [vecIn(3_000_000)] }, f32(seq(300, () => 0)), 'MG_TENSOR_TOO_LARGE'),
    make('wrong datatype', 'img', { inputs: [imgIn(4, 4 * 192 * 2, 'FP16')] }, Buffer.alloc(4 * 192 * 2), 'MG_TENSOR_DATATYPE'),
    make('wrong input name', 'vec', { inputs: [{ ...vecIn(300), name: 'w' }] }, f32(seq(300, () => 0)), 'MG_TENSOR_INPUT_NAME'),
    make('wrong shape', 'img', { inputs: [{ ...imgIn(2), shape: [2, 3, 8, 9] }] }, f32(seq(2 * 216, () => 0)), 'MG_TENSOR_SHAPE'),
    make('both data and binary_data_size', 'vec', { inputs: [{ ...vecIn(300), data: [1] }] }, f32(seq(300, () => 0)), 'MG_REQUEST_INVALID'),
    make('header length past the body', 'vec', { inputs: [vecIn(300)] }, f32(seq(300, () => 0)), 'MG_REQUEST_INVALID', undefined, '999999'),
    make('header length not a number', 'vec', { inputs: [vecIn(300)] }, f32(seq(300, () => 0)), 'MG_REQUEST_INVALID', undefined, '12abc'),
    make('header cut short (not JSON)', 'vec', { inputs: [vecIn(300)] }, f32(seq(300, () => 0)), 'MG_JSON_INVALID', undefined, '20'),
    make('header not UTF-8', 'vec', null, f32(seq(300, () => 0)), 'MG_BODY_INVALID_UTF8', Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
    make('header nested too deep', 'vec', null, f32(seq(300, () => 0)), 'MG_JSON_TOO_DEEP', `{"inputs":[],"parameters":{"a":${'['.repeat(40)}${']'.repeat(40)}}}`),
  ];
}
