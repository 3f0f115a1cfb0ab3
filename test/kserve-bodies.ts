/**
 * KServe v2 JSON inference bodies, valid and invalid, for the equivalence tests of the check in
 * the worker pool against the inline one (test/unit/kserve-json-check.test.ts,
 * test/e2e/offloop-kserve.test.ts): one or more per error code the body and inspect phases give.
 */

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
