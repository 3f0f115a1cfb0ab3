// KServe v2 / Triton JSON request validation: positive cases (flat and nested resnet50 input),
// one negative case per error code, request-structure corner cases, fast-check properties (valid
// tensors pass with the right element count; one NaN/Infinity/out-of-range value is always
// caught), and a printed (not asserted) timing of a [16,3,224,224] FP32 flat array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compileKserve, DATATYPES, DATATYPE_INFO, type Datatype, type ModelDecl, type TensorSummary,
} from '../../src/protocols/kserve/index.js';
import type { Denial } from '../../src/errors.js';

const MODELS: Record<string, ModelDecl> = {
  resnet50: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224], range: [-100, 100] }], maxBatch: 16 },
  int8: { inputs: [{ name: 'x', datatype: 'INT8', shape: [-1, 4] }] },
  multi: {
    inputs: [
      { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
      { name: 'mask', datatype: 'BOOL', shape: [-1, 3] },
      { name: 'text', datatype: 'BYTES', shape: [-1] },
    ],
    maxBatch: 8,
  },
  free: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1, -1, -1] }] },
  scalar: { inputs: [{ name: 's', datatype: 'FP64', shape: [] }] },
};
const LIMITS = { maxTensorElements: 4_000_000 };
const v = compileKserve(MODELS, LIMITS);

function code(r: Denial | TensorSummary): string {
  return 'code' in r ? r.code : 'OK';
}
function ok(r: Denial | TensorSummary): TensorSummary {
  assert.ok(!('code' in r), `expected OK, got ${'code' in r ? `${r.code}: ${r.detail}` : ''}`);
  return r;
}
function req(inputs: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { ...extra, inputs };
}
function nest(flat: readonly unknown[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...flat];
  const [d0, ...rest] = shape as [number, ...number[]];
  const stride = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < d0; i++) out.push(nest(flat.slice(i * stride, (i + 1) * stride), rest));
  return out;
}
function resnet(batch: number, fill = 0.5): unknown[] {
  // A packed array, as JSON.parse makes (new Array(n).fill() would be holey, a different element kind).
  const n = batch * 3 * 224 * 224;
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(fill);
  return a;
}
function rinput(data: unknown[], shape: unknown[] = [1, 3, 224, 224]): unknown {
  return { name: 'input', datatype: 'FP32', shape, data };
}
function multiReq(over: Partial<Record<'ids' | 'mask' | 'text', unknown>> = {}): unknown {
  return req([
    'ids' in over ? over.ids : { name: 'ids', datatype: 'INT64', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    'mask' in over ? over.mask : { name: 'mask', datatype: 'BOOL', shape: [2, 3], data: [[true, false, true], [false, false, true]] },
    'text' in over ? over.text : { name: 'text', datatype: 'BYTES', shape: [2], data: ['hello', 'world'] },
  ]);
}

// ---------------------------------------------------------------- positive

test('resnet50: valid flat input', () => {
  const r = ok(v.validateJson('resnet50', req([rinput(resnet(1))])));
  assert.deepEqual(r, { elements: 150528, batch: 1 });
});

test('resnet50: valid nested input with the full structure', () => {
  const flat = resnet(2).map((_, i) => (i % 200) - 100);
  const r = ok(v.validateJson('resnet50', req([rinput(nest(flat, [2, 3, 224, 224]), [2, 3, 224, 224])])));
  assert.deepEqual(r, { elements: 2 * 150528, batch: 2 });
});

test('resnet50: range bounds are inclusive; batch 16 and batch 0 accepted', () => {
  const d = resnet(1);
  d[0] = -100; d[1] = 100;
  ok(v.validateJson('resnet50', req([rinput(d)])));
  assert.deepEqual(ok(v.validateJson('resnet50', req([rinput(resnet(16), [16, 3, 224, 224])]))), { elements: 16 * 150528, batch: 16 });
  assert.deepEqual(ok(v.validateJson('resnet50', req([rinput([], [0, 3, 224, 224])]))), { elements: 0, batch: 0 });
});

test('multi-input model, any input order, id/parameters/outputs accepted', () => {
  const body = {
    id: 'req-1',
    parameters: { sequence_id: 7, priority: 1, binary_data_output: false, tag: 'x' },
    inputs: [
      { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', ''] },
      { name: 'mask', datatype: 'BOOL', shape: [2, 3], data: [true, false, true, false, false, true], parameters: {} },
      { name: 'ids', datatype: 'INT64', shape: [2, 3], data: [[1, -2, 3], [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0]] },
    ],
    outputs: [{ name: 'logits', parameters: { binary_data: true } }, { name: 'probs', parameters: { classification: 3 } }, { name: 'raw' }],
  };
  assert.deepEqual(ok(v.validateJson('multi', body)), { elements: 14, batch: 2 });
});

test('scalar (rank 0) input takes one flat value; model without maxBatch reports batch null', () => {
  assert.deepEqual(ok(v.validateJson('scalar', req([{ name: 's', datatype: 'FP64', shape: [], data: [1e300] }]))), { elements: 1, batch: null });
  assert.equal(code(v.validateJson('scalar', req([{ name: 's', datatype: 'FP64', shape: [], data: [] }]))), 'MG_TENSOR_DATA_LENGTH');
});

test('hasModel', () => {
  assert.equal(v.hasModel('resnet50'), true);
  assert.equal(v.hasModel('nope'), false);
  assert.equal(v.hasModel('__proto__'), false);
  assert.equal(v.hasModel('constructor'), false);
});

test('integer and float bounds per datatype, exact at the edges', () => {
  const all: Record<string, ModelDecl> = {};
  for (const dt of DATATYPES) all[dt] = { inputs: [{ name: 'x', datatype: dt, shape: [-1] }] };
  const tv = compileKserve(all, LIMITS);
  const one = (dt: Datatype, x: unknown): string => code(tv.validateJson(dt, req([{ name: 'x', datatype: dt, shape: [1], data: [x] }])));
  for (const dt of ['INT8', 'INT16', 'INT32', 'UINT8', 'UINT16', 'UINT32', 'INT64', 'UINT64'] as const) {
    const { min, max } = DATATYPE_INFO[dt];
    assert.equal(one(dt, min), 'OK', `${dt} min`);
    assert.equal(one(dt, max), 'OK', `${dt} max`);
    assert.equal(one(dt, min - 1), 'MG_TENSOR_DATATYPE', `${dt} min-1`);
    assert.equal(one(dt, dt.endsWith('64') ? 2 ** 53 : max + 1), 'MG_TENSOR_DATATYPE', `${dt} max+1`);
    assert.equal(one(dt, 1.5), 'MG_TENSOR_DATATYPE', `${dt} 1.5`);
    assert.equal(one(dt, '1'), 'MG_TENSOR_DATATYPE', `${dt} string`);
    assert.equal(one(dt, true), 'MG_TENSOR_DATATYPE', `${dt} bool`);
  }
  assert.equal(one('INT64', 2 ** 63), 'MG_TENSOR_DATATYPE');
  assert.equal(one('UINT64', 2 ** 64), 'MG_TENSOR_DATATYPE');
  assert.equal(one('FP16', 65504), 'OK');
  assert.equal(one('FP16', -65504), 'OK');
  assert.equal(one('FP16', 65505), 'MG_TENSOR_DATATYPE');
  assert.equal(one('FP32', 3.4028234663852886e38), 'OK');
  assert.equal(one('FP32', -3.5e38), 'MG_TENSOR_DATATYPE');
  assert.equal(one('FP64', 1.7976931348623157e308), 'OK');
  assert.equal(one('FP64', null), 'MG_TENSOR_DATATYPE');
  for (const dt of ['FP16', 'FP32', 'FP64', 'INT32', 'UINT8'] as const) {
    assert.equal(one(dt, JSON.parse('1e999')), 'MG_TENSOR_NOT_FINITE', `${dt} Infinity`);
    assert.equal(one(dt, -Infinity), 'MG_TENSOR_NOT_FINITE', `${dt} -Infinity`);
    assert.equal(one(dt, NaN), 'MG_TENSOR_NOT_FINITE', `${dt} NaN`);
  }
  assert.equal(one('BOOL', true), 'OK');
  assert.equal(one('BOOL', 1), 'MG_TENSOR_DATATYPE');
  assert.equal(one('BYTES', 'abc'), 'OK');
  assert.equal(one('BYTES', 3), 'MG_TENSOR_DATATYPE');
});

// ---------------------------------------------------------------- one negative per code

test('MG_MODEL_NOT_FOUND: unknown model', () => {
  assert.equal(code(v.validateJson('nope', req([rinput(resnet(1))]))), 'MG_MODEL_NOT_FOUND');
  assert.equal(code(v.validateJson('toString', req([rinput(resnet(1))]))), 'MG_MODEL_NOT_FOUND');
});

test('MG_TENSOR_DATA_LENGTH: [1,3,224,224] with 10 values', () => {
  const r = v.validateJson('resnet50', req([rinput([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]));
  assert.equal(code(r), 'MG_TENSOR_DATA_LENGTH');
});

test('MG_TENSOR_NOT_FINITE: FP32 data containing Infinity from JSON 1e999', () => {
  const d = resnet(1);
  d[1234] = (JSON.parse('[1e999]') as number[])[0] as number;
  const r = v.validateJson('resnet50', req([rinput(d)]));
  assert.equal(code(r), 'MG_TENSOR_NOT_FINITE');
  assert.match((r as Denial).detail ?? '', /element 1234/);
});

test('MG_TENSOR_DATATYPE: INT8 with 300', () => {
  const r = v.validateJson('int8', req([{ name: 'x', datatype: 'INT8', shape: [1, 4], data: [1, 2, 300, 4] }]));
  assert.equal(code(r), 'MG_TENSOR_DATATYPE');
  assert.match((r as Denial).detail ?? '', /"x" element 2/);
});

test('MG_TENSOR_DATATYPE: declared datatype mismatch and unknown datatype', () => {
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'INT16', shape: [1, 4], data: [1, 2, 3, 4] }]))), 'MG_TENSOR_DATATYPE');
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'int8', shape: [1, 4], data: [1, 2, 3, 4] }]))), 'MG_TENSOR_DATATYPE');
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'BF16', shape: [1, 4], data: [1, 2, 3, 4] }]))), 'MG_TENSOR_DATATYPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(['a', ...resnet(1).slice(1)])]))), 'MG_TENSOR_DATATYPE');
});

test('MG_TENSOR_OUT_OF_RANGE: value outside the declared range', () => {
  const d = resnet(1);
  d[150527] = 100.0001;
  assert.equal(code(v.validateJson('resnet50', req([rinput(d)]))), 'MG_TENSOR_OUT_OF_RANGE');
  d[150527] = -101;
  assert.equal(code(v.validateJson('resnet50', req([rinput(d)]))), 'MG_TENSOR_OUT_OF_RANGE');
  // Outside the type too: the type wins (DATATYPE), not the range.
  d[150527] = 1e39;
  assert.equal(code(v.validateJson('resnet50', req([rinput(d)]))), 'MG_TENSOR_DATATYPE');
});

test('MG_BATCH_TOO_LARGE: batch 17', () => {
  const r = v.validateJson('resnet50', req([rinput(resnet(17), [17, 3, 224, 224])]));
  assert.equal(code(r), 'MG_BATCH_TOO_LARGE');
  // Found from the shape alone, before looking at the data.
  assert.equal(code(v.validateJson('resnet50', req([rinput([], [17, 3, 224, 224])]))), 'MG_BATCH_TOO_LARGE');
});

test('MG_TENSOR_INPUT_NAME: missing, extra, duplicate', () => {
  const ids = { name: 'ids', datatype: 'INT64', shape: [1, 3], data: [1, 2, 3] };
  const mask = { name: 'mask', datatype: 'BOOL', shape: [1, 3], data: [true, true, true] };
  const text = { name: 'text', datatype: 'BYTES', shape: [1], data: ['t'] };
  assert.equal(code(v.validateJson('multi', req([ids, mask, text]))), 'OK');
  assert.equal(code(v.validateJson('multi', req([ids, text]))), 'MG_TENSOR_INPUT_NAME');
  assert.equal(code(v.validateJson('multi', req([ids, mask, text, { ...text, name: 'extra' }]))), 'MG_TENSOR_INPUT_NAME');
  assert.equal(code(v.validateJson('multi', req([ids, mask, text, ids]))), 'MG_TENSOR_INPUT_NAME');
  assert.equal(code(v.validateJson('multi', req([ids, ids, text]))), 'MG_TENSOR_INPUT_NAME');
  assert.equal(code(v.validateJson('multi', req([ids, mask, { ...text, name: '__proto__' }]))), 'MG_TENSOR_INPUT_NAME');
  const r = v.validateJson('multi', req([ids, mask, { ...text, name: 'x'.repeat(5000) }])) as Denial;
  assert.equal(r.code, 'MG_TENSOR_INPUT_NAME');
  assert.ok((r.detail ?? '').length < 100, 'detail must not carry a long client string');
});

test('MG_TENSOR_SHAPE: rank mismatch, fixed dim mismatch, bad dims, batch disagreement', () => {
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [1, 3, 224])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [1, 3, 224, 224, 1])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [1, 224, 224, 3])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [-1, 3, 224, 224])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [1.5, 3, 224, 224])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), ['1', 3, 224, 224])]))), 'MG_TENSOR_SHAPE');
  assert.equal(code(v.validateJson('resnet50', req([rinput(resnet(1), [2 ** 53, 3, 224, 224])]))), 'MG_TENSOR_SHAPE');
  const body = multiReq({ text: { name: 'text', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] } });
  assert.equal(code(v.validateJson('multi', body)), 'MG_TENSOR_SHAPE');
});

test('MG_TENSOR_TOO_LARGE: overflowing shapes and the total over inputs, before the data', () => {
  const r = v.validateJson('free', req([{ name: 'x', datatype: 'FP32', shape: [1e9, 1e9, 1e9, 1e9], data: [] }]));
  assert.equal(code(r), 'MG_TENSOR_TOO_LARGE');
  assert.equal(code(v.validateJson('free', req([{ name: 'x', datatype: 'FP32', shape: [2 ** 52, 2 ** 52, 2 ** 52, 2], data: [] }]))), 'MG_TENSOR_TOO_LARGE');
  assert.equal(code(v.validateJson('free', req([{ name: 'x', datatype: 'FP32', shape: [2000, 2001, 1, 1], data: [] }]))), 'MG_TENSOR_TOO_LARGE');
  // A zero dimension makes the product 0, whatever the others are.
  assert.deepEqual(ok(v.validateJson('free', req([{ name: 'x', datatype: 'FP32', shape: [1e9, 1e9, 0, 1e9], data: [] }]))), { elements: 0, batch: null });
  // Exactly at the limit is fine (data length then checked).
  assert.equal(code(v.validateJson('free', req([{ name: 'x', datatype: 'FP32', shape: [2000, 2000, 1, 1], data: [] }]))), 'MG_TENSOR_DATA_LENGTH');
  // The sum over inputs counts.
  const small = compileKserve({ m: { inputs: [{ name: 'a', datatype: 'INT32', shape: [-1] }, { name: 'b', datatype: 'INT32', shape: [-1] }] } }, { maxTensorElements: 10 });
  assert.equal(code(small.validateJson('m', req([{ name: 'a', datatype: 'INT32', shape: [6], data: [1, 2, 3, 4, 5, 6] }, { name: 'b', datatype: 'INT32', shape: [5], data: [1, 2, 3, 4, 5] }]))), 'MG_TENSOR_TOO_LARGE');
  assert.deepEqual(ok(small.validateJson('m', req([{ name: 'a', datatype: 'INT32', shape: [5], data: [1, 2, 3, 4, 5] }, { name: 'b', datatype: 'INT32', shape: [5], data: [1, 2, 3, 4, 5] }]))), { elements: 10, batch: null });
});

test('MG_TENSOR_DATA_LENGTH: nested data with ragged rows or wrong structure', () => {
  const shape = [1, 3, 224, 224];
  const good = nest(resnet(1), shape) as unknown[][][][];
  const ragged = structuredClone(good);
  (ragged[0]?.[1]?.[7] as number[]).pop();
  assert.equal(code(v.validateJson('resnet50', req([rinput(ragged, shape)]))), 'MG_TENSOR_DATA_LENGTH');
  const fewRows = structuredClone(good);
  fewRows[0]?.[2]?.pop();
  assert.equal(code(v.validateJson('resnet50', req([rinput(fewRows, shape)]))), 'MG_TENSOR_DATA_LENGTH');
  const valueForRow = structuredClone(good);
  (valueForRow[0]?.[0] as unknown[])[5] = 1;
  assert.equal(code(v.validateJson('resnet50', req([rinput(valueForRow, shape)]))), 'MG_TENSOR_DATA_LENGTH');
  const tooDeep = structuredClone(good);
  (tooDeep[0]?.[0]?.[0] as unknown[])[0] = [1];
  assert.equal(code(v.validateJson('resnet50', req([rinput(tooDeep, shape)]))), 'MG_TENSOR_DATA_LENGTH');
  // Partly nested (rows of the right total size, wrong structure).
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'INT8', shape: [2, 4], data: [[1, 2, 3, 4, 5, 6, 7, 8]] }]))), 'MG_TENSOR_DATA_LENGTH');
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'INT8', shape: [2, 4], data: [[1, 2, 3, 4], 5, 6, 7, 8] }]))), 'MG_TENSOR_DATA_LENGTH');
  // Flat data with an array in it.
  assert.equal(code(v.validateJson('int8', req([{ name: 'x', datatype: 'INT8', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, [8]] }]))), 'MG_TENSOR_DATA_LENGTH');
  // Rank 1 with nested data.
  assert.equal(code(v.validateJson('multi', multiReq({ text: { name: 'text', datatype: 'BYTES', shape: [2], data: [['a'], ['b']] } }))), 'MG_TENSOR_DATA_LENGTH');
  // Nested value errors report the flat index.
  const bad = structuredClone(good);
  (bad[0]?.[2]?.[223] as number[])[223] = NaN;
  const r = v.validateJson('resnet50', req([rinput(bad, shape)])) as Denial;
  assert.equal(r.code, 'MG_TENSOR_NOT_FINITE');
  assert.match(r.detail ?? '', /element 150527\b/);
});

test('MG_REQUEST_INVALID: request structure', () => {
  const good = multiReq() as Record<string, unknown>;
  assert.equal(code(v.validateJson('multi', good)), 'OK');
  const cases: unknown[] = [
    null, 'x', 42, [good], {},
    { ...good, extra: 1 },
    { ...good, id: 5 },
    { ...good, parameters: [] },
    { ...good, parameters: { a: { nested: 1 } } },
    { ...good, parameters: { a: null } },
    { ...good, inputs: [] },
    { ...good, inputs: {} },
    { ...good, outputs: {} },
    { ...good, outputs: [{}] },
    { ...good, outputs: [{ name: 1 }] },
    { ...good, outputs: [{ name: 'a', extra: 1 }] },
    { ...good, outputs: [{ name: 'a' }, { name: 'a' }] },
    { ...good, outputs: [{ name: 'a', parameters: { binary_data: 'yes' } }] },
    { ...good, outputs: [{ name: 'a', parameters: { shared_memory_region: 'r', shared_memory_byte_size: 16 } }] },
    { ...good, outputs: [{ name: 'a', parameters: { classification: -1 } }] },
    JSON.parse('{"__proto__":{"x":1},"inputs":[{"name":"text","datatype":"BYTES","shape":[1],"data":["a"]}]}'),
  ];
  for (const c of cases) assert.equal(code(v.validateJson('multi', c)), 'MG_REQUEST_INVALID', JSON.stringify(c)?.slice(0, 200));
  const text = { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'b'] };
  const inputCases: unknown[] = [
    null, [], 'text',
    { ...text, extra: 1 },
    { ...text, name: 5 },
    { ...text, shape: 2 },
    { ...text, shape: undefined },
    { ...text, datatype: 7 },
    { name: 'text', datatype: 'BYTES', shape: [2] },
    { ...text, data: 'ab' },
    { ...text, data: { 0: 'a', 1: 'b' } },
    { ...text, parameters: [] },
    { ...text, parameters: { binary_data_size: 10 } },
    { ...text, parameters: { shared_memory_region: 'r' } },
  ];
  for (const c of inputCases) assert.equal(code(v.validateJson('multi', multiReq({ text: c }))), 'MG_REQUEST_INVALID', JSON.stringify(c));
});

test('details name the input and never carry long client values', () => {
  const d = resnet(1);
  d[99] = 'A'.repeat(10_000);
  const r = v.validateJson('resnet50', req([rinput(d)])) as Denial;
  assert.equal(r.code, 'MG_TENSOR_DATATYPE');
  assert.match(r.detail ?? '', /input "input" element 99/);
  assert.ok(!(r.detail ?? '').includes('AAAAA'));
  const k = v.validateJson('resnet50', { inputs: [rinput(resnet(1))], ['B'.repeat(1000)]: 1 }) as Denial;
  assert.equal(k.code, 'MG_REQUEST_INVALID');
  assert.ok((k.detail ?? '').length < 100);
});

test('compileKserve refuses bad declarations', () => {
  const bad: ModelDecl[] = [
    { inputs: [] },
    { inputs: [{ name: 'x', datatype: 'FP8' as Datatype, shape: [1] }] },
    { inputs: [{ name: 'x', datatype: 'FP32', shape: [-2] }] },
    { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], range: [1, 0] }] },
    { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], range: [0, 1] }] },
    { inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }, { name: 'x', datatype: 'FP32', shape: [1] }] },
    { inputs: [{ name: 'x', datatype: 'FP32', shape: [] }], maxBatch: 4 },
    { inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }], maxBatch: -1 },
  ];
  for (const m of bad) assert.throws(() => compileKserve({ m }, LIMITS), Error, JSON.stringify(m));
  assert.throws(() => compileKserve({}, { maxTensorElements: 0 }));
});

// ---------------------------------------------------------------- properties

const NUMERIC: Datatype[] = ['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64'];

interface Case { dt: Datatype; range: [number, number] | undefined; decl: number[]; shape: number[]; data: unknown[]; batched: boolean; }

function valueArb(dt: Datatype, range: [number, number] | undefined): fc.Arbitrary<unknown> {
  const ti = DATATYPE_INFO[dt];
  if (dt === 'BOOL') return fc.boolean();
  if (dt === 'BYTES') return fc.string({ maxLength: 8 });
  const lo = Math.max(ti.min, range?.[0] ?? -Infinity), hi = Math.min(ti.max, range?.[1] ?? Infinity);
  if (ti.kind === 'int') return fc.oneof(fc.integer({ min: Math.max(lo, -1e6), max: Math.min(hi, 1e6) }), fc.constantFrom(lo, hi));
  return fc.oneof(fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(lo, hi, 0, -0));
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  dt: fc.constantFrom<Datatype>(...DATATYPES),
  ranged: fc.boolean(),
  dims: fc.array(fc.record({ fixed: fc.boolean(), dim: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 4 }),
  batched: fc.boolean(),
}).chain(({ dt, ranged, dims, batched }) => {
  const range: [number, number] | undefined = ranged && NUMERIC.includes(dt) ? (dt.startsWith('U') ? [10, 200] : [-50, 50]) : undefined;
  const shape = dims.map((d) => d.dim);
  const decl = dims.map((d) => (d.fixed ? d.dim : -1));
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.array(valueArb(dt, range), { minLength: n, maxLength: n }).map((data) => ({ dt, range, decl, shape, data, batched }));
});

function validatorFor(c: Case) {
  const decl: ModelDecl = { inputs: [{ name: 't', datatype: c.dt, shape: c.decl, ...(c.range ? { range: c.range } : {}) }] };
  if (c.batched) decl.maxBatch = 4;
  return compileKserve({ m: decl }, { maxTensorElements: 1000 });
}

test('property: random valid tensors validate, flat and nested, with elements = product of the shape', () => {
  fc.assert(fc.property(caseArb, (c) => {
    const tv = validatorFor(c);
    const n = c.shape.reduce((a, b) => a * b, 1);
    const expected = { elements: n, batch: c.batched ? (c.shape[0] as number) : null };
    assert.deepEqual(ok(tv.validateJson('m', req([{ name: 't', datatype: c.dt, shape: c.shape, data: c.data }]))), expected);
    if (c.shape.length >= 2 && n > 0) {
      assert.deepEqual(ok(tv.validateJson('m', req([{ name: 't', datatype: c.dt, shape: c.shape, data: nest(c.data, c.shape) }]))), expected);
    }
  }), { numRuns: 500 });
});

test('property: one NaN, Infinity or out-of-range value anywhere is always caught', () => {
  const arb = caseArb
    .filter((c) => NUMERIC.includes(c.dt) && c.data.length > 0)
    .chain((c) => fc.tuple(fc.constant(c), fc.nat({ max: c.data.length - 1 }), fc.constantFrom('nan', 'inf', '-inf', 'above', 'below'), fc.boolean()));
  fc.assert(fc.property(arb, ([c, at, kind, nested]) => {
    const ti = DATATYPE_INFO[c.dt];
    const data = [...c.data];
    let want: string;
    if (kind === 'nan' || kind === 'inf' || kind === '-inf') {
      data[at] = kind === 'nan' ? NaN : kind === 'inf' ? Infinity : -Infinity;
      want = 'MG_TENSOR_NOT_FINITE';
    } else if (c.range) {
      data[at] = kind === 'above' ? c.range[1] + 1 : c.range[0] - 0.5;
      // lo − 0.5 is not an integer: a type error for integer inputs, a range error for floats.
      want = ti.kind === 'int' && kind === 'below' ? 'MG_TENSOR_DATATYPE' : 'MG_TENSOR_OUT_OF_RANGE';
    } else if (c.dt === 'FP64') {
      data[at] = kind === 'above' ? Infinity : -Infinity;
      want = 'MG_TENSOR_NOT_FINITE';
    } else {
      data[at] = kind === 'above' ? (c.dt.endsWith('64') ? 2 ** 53 : ti.max + 1) * (ti.kind === 'float' ? 1.01 : 1) : (ti.min === 0 ? -1 : ti.min * 1.01 - 1);
      want = 'MG_TENSOR_DATATYPE';
    }
    const body = nested && c.shape.length >= 2 ? nest(data, c.shape) : data;
    const r = validatorFor(c).validateJson('m', req([{ name: 't', datatype: c.dt, shape: c.shape, data: body }]));
    assert.equal(code(r), want, `${c.dt} ${kind} range=${JSON.stringify(c.range)}`);
    assert.match((r as Denial).detail ?? '', new RegExp(`element ${at}\\b`));
  }), { numRuns: 1000 });
});

// ---------------------------------------------------------------- speed (printed, not asserted)

test('timing: [16,3,224,224] FP32 flat array', () => {
  const n = 16 * 3 * 224 * 224;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(String(((i * 7919) % 20000) / 100 - 100));
  // Built by JSON.parse, as a real request body is (a packed array of doubles).
  const text = `{"inputs":[{"name":"input","datatype":"FP32","shape":[16,3,224,224],"data":[${parts.join(',')}]}]}`;
  const body: unknown = JSON.parse(text);
  const time = (b: unknown): number => {
    const t = performance.now();
    ok(v.validateJson('resnet50', b));
    return performance.now() - t;
  };
  const first = time(body);
  const runs = 5;
  let warm = 0;
  for (let i = 0; i < runs; i++) warm += time(body) / runs;
  const nestedText = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [16, 3, 224, 224], data: nest((body as { inputs: [{ data: unknown[] }] }).inputs[0].data, [16, 3, 224, 224]) }] });
  const nestedBody: unknown = JSON.parse(nestedText);
  time(nestedBody);
  let nested = 0;
  for (let i = 0; i < runs; i++) nested += time(nestedBody) / runs;
  console.log(`kserve validateJson [16,3,224,224] FP32 (${n} values): flat first call ${first.toFixed(1)} ms, warm ${warm.toFixed(1)} ms; nested warm ${nested.toFixed(1)} ms`);
});
