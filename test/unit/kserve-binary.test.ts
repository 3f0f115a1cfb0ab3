// KServe v2 / Triton binary tensor data extension: header parsing and limits, byte sizes (too
// short, trailing bytes), per-type element checks (FP16/FP32/FP64 NaN and Infinity, BOOL bytes,
// integer ranges exactly, BYTES framing), mixed JSON and binary inputs, and fast-check properties
// (random valid binary tensors pass; one bad element is always caught).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileKserve, DATATYPES, DATATYPE_INFO, type Datatype, type ModelDecl, type TensorSummary } from '../../src/protocols/kserve/index.js';
import type { Denial } from '../../src/errors.js';
import type { JsonLimits } from '../../src/protocols/json-guard.js';

const JL: JsonLimits = { maxDepth: 32, maxArrayLength: 100_000, maxStringChars: 10_000, maxKeys: 100 };
const LIMITS = { maxTensorElements: 4_000_000 };

const MODELS: Record<string, ModelDecl> = {
  resnet50: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224], range: [-100, 100] }], maxBatch: 16 },
  text: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }, { name: 'lens', datatype: 'INT32', shape: [-1] }], maxBatch: 8 },
  half: { inputs: [{ name: 'h', datatype: 'FP16', shape: [-1] }] },
  halfr: { inputs: [{ name: 'h', datatype: 'FP16', shape: [-1], range: [-1, 1] }] },
  f64: { inputs: [{ name: 'd', datatype: 'FP64', shape: [-1] }] },
  flags: { inputs: [{ name: 'b', datatype: 'BOOL', shape: [-1] }] },
  i64: { inputs: [{ name: 'q', datatype: 'INT64', shape: [-1] }] },
  i64r: { inputs: [{ name: 'q', datatype: 'INT64', shape: [-1], range: [-5, 5] }] },
  u64r: { inputs: [{ name: 'q', datatype: 'UINT64', shape: [-1], range: [0, 9007199254740991] }] },
  i8r: { inputs: [{ name: 'x', datatype: 'INT8', shape: [-1], range: [0, 10] }] },
};
const v = compileKserve(MODELS, LIMITS);

type Result = Denial | (TensorSummary & { header: unknown });
function code(r: Result): string {
  return 'code' in r ? r.code : 'OK';
}
function ok(r: Result): TensorSummary & { header: unknown } {
  assert.ok(!('code' in r), `expected OK, got ${'code' in r ? `${r.code}: ${r.detail}` : ''}`);
  return r;
}

function body(header: unknown, ...parts: Buffer[]): { raw: Buffer; h: number } {
  const hb = Buffer.from(JSON.stringify(header), 'utf8');
  return { raw: Buffer.concat([hb, ...parts]), h: hb.length };
}
function run(model: string, b: { raw: Buffer; h: number }): Result {
  return v.validateBinary(model, b.raw, b.h, JL);
}
function f32(xs: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(4 * xs.length);
  for (let i = 0; i < xs.length; i++) b.writeFloatLE(xs[i] as number, 4 * i);
  return b;
}
function u16(xs: number[]): Buffer {
  const b = Buffer.alloc(2 * xs.length);
  xs.forEach((x, i) => b.writeUInt16LE(x, 2 * i));
  return b;
}
function f64(xs: number[]): Buffer {
  const b = Buffer.alloc(8 * xs.length);
  xs.forEach((x, i) => b.writeDoubleLE(x, 8 * i));
  return b;
}
function i32(xs: number[]): Buffer {
  const b = Buffer.alloc(4 * xs.length);
  xs.forEach((x, i) => b.writeInt32LE(x, 4 * i));
  return b;
}
function i64(xs: bigint[]): Buffer {
  const b = Buffer.alloc(8 * xs.length);
  xs.forEach((x, i) => b.writeBigInt64LE(x, 8 * i));
  return b;
}
function strs(xs: (string | Buffer)[]): Buffer {
  return Buffer.concat(xs.map((s) => {
    const data = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(data.length);
    return Buffer.concat([len, data]);
  }));
}
function binIn(name: string, datatype: string, shape: number[], size: number): unknown {
  return { name, datatype, shape, parameters: { binary_data_size: size } };
}

const RESNET_N = 3 * 224 * 224;
function resnetBody(batch = 1, fill = 0.25): { raw: Buffer; h: number } {
  const n = batch * RESNET_N;
  return body({ inputs: [binIn('input', 'FP32', [batch, 3, 224, 224], 4 * n)], outputs: [{ name: 'out', parameters: { binary_data: true } }] }, f32(new Float32Array(n).fill(fill)));
}

// ---------------------------------------------------------------- positive

test('resnet50 binary FP32 is accepted and the header is returned', () => {
  const b = resnetBody(2);
  const r = ok(run('resnet50', b));
  assert.equal(r.elements, 2 * RESNET_N);
  assert.equal(r.batch, 2);
  assert.deepEqual(r.header, JSON.parse(b.raw.subarray(0, b.h).toString()));
});

test('a body that is a slice of a larger buffer at an odd offset reads the right bytes', () => {
  const b = body({ inputs: [binIn('h', 'FP16', [3], 6)] }, u16([0x3c00, 0x7bff, 0x0001]));
  const big = Buffer.concat([Buffer.from([0x7c, 0x00, 0x7c]), b.raw, Buffer.from([0xff, 0xff])]);
  const raw = big.subarray(3, 3 + b.raw.length);
  assert.equal(code(v.validateBinary('half', raw, b.h, JL)), 'OK');
  const bad = Buffer.from(raw);
  bad.writeUInt16LE(0x7c00, b.h + 2);
  const big2 = Buffer.concat([Buffer.from([0]), bad]);
  assert.equal(code(v.validateBinary('half', big2.subarray(1), b.h, JL)), 'MG_TENSOR_NOT_FINITE');
});

test('JSON and binary inputs mixed; BYTES binary framing; header only (no binary part)', () => {
  const text = strs(['hello', '', 'wörld', Buffer.from([0, 255, 1])]);
  const b = body({
    id: 'x',
    inputs: [binIn('text', 'BYTES', [4], text.length), { name: 'lens', datatype: 'INT32', shape: [4], data: [5, 0, 6, 3] }],
  }, text);
  assert.deepEqual({ ...ok(run('text', b)), header: null }, { elements: 8, batch: 4, header: null });
  const jsonOnly = body({ inputs: [{ name: 'h', datatype: 'FP16', shape: [2], data: [1, 2] }] });
  assert.equal(code(run('half', jsonOnly)), 'OK');
  const lens = i32([1, 2]);
  const both = body({ inputs: [binIn('lens', 'INT32', [2], 8), binIn('text', 'BYTES', [2], 10)] }, lens, strs(['ab', '']));
  assert.equal(code(run('text', both)), 'OK');
});

test('FP16 edge values: max finite, subnormals, -0 accepted; range checked on the decoded value', () => {
  assert.equal(code(run('half', body({ inputs: [binIn('h', 'FP16', [5], 10)] }, u16([0x7bff, 0xfbff, 0x0001, 0x8000, 0x03ff])))), 'OK');
  assert.equal(code(run('halfr', body({ inputs: [binIn('h', 'FP16', [3], 6)] }, u16([0x3c00, 0xbc00, 0x0000])))), 'OK'); // 1, -1, 0
  assert.equal(code(run('halfr', body({ inputs: [binIn('h', 'FP16', [2], 4)] }, u16([0x3c00, 0x3c01])))), 'MG_TENSOR_OUT_OF_RANGE'); // 1.000977
  assert.equal(code(run('halfr', body({ inputs: [binIn('h', 'FP16', [1], 2)] }, u16([0xc000])))), 'MG_TENSOR_OUT_OF_RANGE'); // -2
});

test('64-bit integers: any value without a range; an exact BigInt range check with one', () => {
  assert.equal(code(run('i64', body({ inputs: [binIn('q', 'INT64', [2], 16)] }, i64([2n ** 63n - 1n, -(2n ** 63n)])))), 'OK');
  assert.equal(code(run('i64r', body({ inputs: [binIn('q', 'INT64', [2], 16)] }, i64([-5n, 5n])))), 'OK');
  assert.equal(code(run('i64r', body({ inputs: [binIn('q', 'INT64', [2], 16)] }, i64([5n, 6n])))), 'MG_TENSOR_OUT_OF_RANGE');
  assert.equal(code(run('i64r', body({ inputs: [binIn('q', 'INT64', [1], 8)] }, i64([-(2n ** 63n)])))), 'MG_TENSOR_OUT_OF_RANGE');
  const u = Buffer.alloc(16);
  u.writeBigUInt64LE(2n ** 53n - 1n, 0);
  u.writeBigUInt64LE(2n ** 53n, 8); // Number() would round this into range; BigInt does not
  assert.equal(code(run('u64r', body({ inputs: [binIn('q', 'UINT64', [1], 8)] }, u.subarray(0, 8)))), 'OK');
  assert.equal(code(run('u64r', body({ inputs: [binIn('q', 'UINT64', [2], 16)] }, u))), 'MG_TENSOR_OUT_OF_RANGE');
});

// ---------------------------------------------------------------- negative

test('MG_MODEL_NOT_FOUND in binary mode', () => {
  assert.equal(code(run('nope', resnetBody())), 'MG_MODEL_NOT_FOUND');
});

test('MG_TENSOR_DATA_LENGTH: binary buffer too short', () => {
  const b = resnetBody();
  const short = b.raw.subarray(0, b.raw.length - 1);
  assert.equal(code(v.validateBinary('resnet50', short, b.h, JL)), 'MG_TENSOR_DATA_LENGTH');
  const headerOnly = b.raw.subarray(0, b.h);
  assert.equal(code(v.validateBinary('resnet50', headerOnly, b.h, JL)), 'MG_TENSOR_DATA_LENGTH');
});

test('MG_TENSOR_DATA_LENGTH: trailing bytes after the last tensor', () => {
  const b = resnetBody();
  assert.equal(code(v.validateBinary('resnet50', Buffer.concat([b.raw, Buffer.from([0])]), b.h, JL)), 'MG_TENSOR_DATA_LENGTH');
  const jsonOnly = body({ inputs: [{ name: 'h', datatype: 'FP16', shape: [1], data: [1] }] }, Buffer.from('junk'));
  assert.equal(code(run('half', jsonOnly)), 'MG_TENSOR_DATA_LENGTH');
});

test('MG_TENSOR_DATA_LENGTH: binary_data_size not elements × element size', () => {
  assert.equal(code(run('half', body({ inputs: [binIn('h', 'FP16', [3], 4)] }, u16([1, 2])))), 'MG_TENSOR_DATA_LENGTH');
  assert.equal(code(run('half', body({ inputs: [binIn('h', 'FP16', [2], 6)] }, u16([1, 2, 3])))), 'MG_TENSOR_DATA_LENGTH');
  const n = RESNET_N;
  assert.equal(code(run('resnet50', body({ inputs: [binIn('input', 'FP32', [1, 3, 224, 224], 4 * n - 4)] }, f32(new Float32Array(n - 1))))), 'MG_TENSOR_DATA_LENGTH');
});

test('MG_TENSOR_NOT_FINITE: binary FP32 NaN and Infinity', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const b = resnetBody();
    b.raw.writeFloatLE(bad, b.h + 4 * 777);
    const r = run('resnet50', b) as Denial;
    assert.equal(r.code, 'MG_TENSOR_NOT_FINITE', String(bad));
    assert.match(r.detail ?? '', /"input" binary element 777/);
  }
  // A NaN with a payload and a negative sign bit too.
  const b = resnetBody();
  b.raw.writeUInt32LE(0xffc00001, b.h);
  assert.equal(code(run('resnet50', b)), 'MG_TENSOR_NOT_FINITE');
});

test('MG_TENSOR_OUT_OF_RANGE: binary FP32 outside the declared range', () => {
  const b = resnetBody();
  b.raw.writeFloatLE(100.5, b.h + 4 * (RESNET_N - 1));
  assert.equal(code(run('resnet50', b)), 'MG_TENSOR_OUT_OF_RANGE');
  const i8 = body({ inputs: [binIn('x', 'INT8', [3], 3)] }, Buffer.from([0, 10, 0xff])); // 0xff = -1
  assert.equal(code(run('i8r', i8)), 'MG_TENSOR_OUT_OF_RANGE');
});

test('MG_TENSOR_NOT_FINITE: binary FP16 Infinity and NaN (exponent all ones), FP64 NaN', () => {
  for (const bits of [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff]) {
    const r = run('half', body({ inputs: [binIn('h', 'FP16', [2], 4)] }, u16([0x3c00, bits])));
    assert.equal(code(r), 'MG_TENSOR_NOT_FINITE', bits.toString(16));
  }
  assert.equal(code(run('f64', body({ inputs: [binIn('d', 'FP64', [2], 16)] }, f64([1.5, NaN])))), 'MG_TENSOR_NOT_FINITE');
  assert.equal(code(run('f64', body({ inputs: [binIn('d', 'FP64', [2], 16)] }, f64([Number.MAX_VALUE, -Infinity])))), 'MG_TENSOR_NOT_FINITE');
  assert.equal(code(run('f64', body({ inputs: [binIn('d', 'FP64', [2], 16)] }, f64([Number.MAX_VALUE, -Number.MIN_VALUE])))), 'OK');
});

test('MG_TENSOR_DATATYPE: BOOL bytes must be 0 or 1', () => {
  assert.equal(code(run('flags', body({ inputs: [binIn('b', 'BOOL', [3], 3)] }, Buffer.from([0, 1, 1])))), 'OK');
  assert.equal(code(run('flags', body({ inputs: [binIn('b', 'BOOL', [3], 3)] }, Buffer.from([0, 1, 2])))), 'MG_TENSOR_DATATYPE');
  assert.equal(code(run('flags', body({ inputs: [binIn('b', 'BOOL', [1], 1)] }, Buffer.from([0xff])))), 'MG_TENSOR_DATATYPE');
});

test('BYTES binary: count and framing must match exactly', () => {
  const lens = { name: 'lens', datatype: 'INT32', shape: [2], data: [1, 1] };
  const one = (shape: number, buf: Buffer, size = buf.length): string =>
    code(run('text', body({ inputs: [binIn('text', 'BYTES', [shape], size), { ...lens, shape: [shape], data: new Array<number>(shape).fill(1) }] }, buf)));
  assert.equal(one(2, strs(['a', 'b'])), 'OK');
  assert.equal(one(0, Buffer.alloc(0)), 'OK');
  assert.equal(one(3, strs(['a', 'b'])), 'MG_TENSOR_DATA_LENGTH'); // too few elements
  assert.equal(one(1, strs(['a', 'b'])), 'MG_TENSOR_DATA_LENGTH'); // too many elements
  assert.equal(one(2, Buffer.concat([strs(['a', 'b']), Buffer.from([0, 0])])), 'MG_TENSOR_DATA_LENGTH'); // truncated prefix
  const over = strs(['a', 'bcd']);
  over.writeUInt32LE(100, 5); // second length runs past the end
  assert.equal(one(2, over), 'MG_TENSOR_DATA_LENGTH');
  const huge = strs(['a', 'b']);
  huge.writeUInt32LE(0xffffffff, 0);
  assert.equal(one(2, huge), 'MG_TENSOR_DATA_LENGTH');
  // binary_data_size shorter than the BYTES data: the remainder is trailing bytes / next tensor.
  const s = strs(['ab', 'cd']);
  assert.equal(code(run('text', body({ inputs: [binIn('text', 'BYTES', [2], s.length - 1), lens] }, s))), 'MG_TENSOR_DATA_LENGTH');
});

test('MG_TENSOR_TOO_LARGE in binary mode, before reading any bytes', () => {
  const big = compileKserve({ m: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }] } }, { maxTensorElements: 100 });
  const b = body({ inputs: [binIn('x', 'FP32', [1e9, 1e9], 0)] });
  assert.equal(code(big.validateBinary('m', b.raw, b.h, JL)), 'MG_TENSOR_TOO_LARGE');
});

test('MG_BATCH_TOO_LARGE, MG_TENSOR_SHAPE, MG_TENSOR_INPUT_NAME, MG_TENSOR_DATATYPE from the binary header', () => {
  assert.equal(code(run('resnet50', body({ inputs: [binIn('input', 'FP32', [17, 3, 224, 224], 17 * 4 * RESNET_N)] }))), 'MG_BATCH_TOO_LARGE');
  assert.equal(code(run('resnet50', body({ inputs: [binIn('input', 'FP32', [1, 3, 224], 4 * 672)] }))), 'MG_TENSOR_SHAPE');
  assert.equal(code(run('resnet50', body({ inputs: [binIn('image', 'FP32', [1, 3, 224, 224], 4 * RESNET_N)] }))), 'MG_TENSOR_INPUT_NAME');
  assert.equal(code(run('resnet50', body({ inputs: [binIn('input', 'FP16', [1, 3, 224, 224], 2 * RESNET_N)] }))), 'MG_TENSOR_DATATYPE');
});

test('header: length out of bounds → MG_REQUEST_INVALID; JSON and guard errors', () => {
  const b = resnetBody();
  for (const h of [0, -1, b.raw.length + 1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.equal(code(v.validateBinary('resnet50', b.raw, h, JL)), 'MG_REQUEST_INVALID', String(h));
  }
  assert.equal(code(v.validateBinary('resnet50', b.raw, b.h - 1, JL)), 'MG_JSON_INVALID');
  assert.equal(code(v.validateBinary('resnet50', b.raw, b.h + 1, JL)), 'MG_JSON_INVALID');
  const raw = Buffer.from('{"inputs": [nope]}');
  assert.equal(code(v.validateBinary('resnet50', raw, raw.length, JL)), 'MG_JSON_INVALID');
  assert.equal(code(v.validateBinary('resnet50', b.raw, b.h, { ...JL, maxDepth: 2 })), 'MG_JSON_TOO_DEEP');
  assert.equal(code(v.validateBinary('resnet50', b.raw, b.h, { ...JL, maxKeys: 1 })), 'MG_JSON_TOO_MANY_KEYS');
  const proto = Buffer.from('{"inputs":[],"__proto__":{}}');
  assert.equal(code(v.validateBinary('resnet50', proto, proto.length, JL)), 'MG_JSON_FORBIDDEN_KEY');
  const badUtf8 = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  assert.equal(code(v.validateBinary('resnet50', badUtf8, badUtf8.length, JL)), 'MG_BODY_INVALID_UTF8');
  const notObject = Buffer.from('[1,2]');
  assert.equal(code(v.validateBinary('resnet50', notObject, notObject.length, JL)), 'MG_REQUEST_INVALID');
});

test('MG_REQUEST_INVALID: data and binary_data_size together, neither, bad sizes, shared memory', () => {
  const n = RESNET_N;
  const payload = f32(new Float32Array(n));
  const base = { name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] };
  const cases: unknown[] = [
    { ...base, data: [], parameters: { binary_data_size: 4 * n } },
    { ...base },
    { ...base, parameters: {} },
    { ...base, parameters: { binary_data_size: -4 } },
    { ...base, parameters: { binary_data_size: 4.5 } },
    { ...base, parameters: { binary_data_size: '602112' } },
    { ...base, parameters: { shared_memory_region: 'in0', shared_memory_byte_size: 4 * n } },
    { ...base, parameters: { binary_data_size: 4 * n, shared_memory_offset: 0 } },
  ];
  for (const c of cases) assert.equal(code(run('resnet50', body({ inputs: [c] }, payload))), 'MG_REQUEST_INVALID', JSON.stringify(c));
  assert.equal(code(run('resnet50', body({ inputs: [binIn('input', 'FP32', [1, 3, 224, 224], 4 * n)], outputs: [{ name: 'o', parameters: { binary_data: 1 } }] }, payload))), 'MG_REQUEST_INVALID');
});

// ---------------------------------------------------------------- properties

const NUMERIC = new Set<Datatype>(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64']);
const FIXED = DATATYPES.filter((d) => d !== 'BYTES');

function rangeFor(dt: Datatype): [number, number] {
  return dt.startsWith('U') ? [10, 200] : [-50, 50];
}

function fp16Value(bits: number): number {
  const exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
  const mag = exp === 0 ? mant * 2 ** -24 : (mant + 1024) * 2 ** (exp - 25);
  return bits & 0x8000 ? -mag : mag;
}

/** One element as bytes, from a generated value (FP16: the generated value is the bit pattern). */
function writeElem(buf: Buffer, dt: Datatype, i: number, x: number): void {
  const o = i * DATATYPE_INFO[dt].byteSize;
  switch (dt) {
    case 'BOOL': case 'UINT8': buf.writeUInt8(x, o); break;
    case 'INT8': buf.writeInt8(x, o); break;
    case 'INT16': buf.writeInt16LE(x, o); break;
    case 'UINT16': case 'FP16': buf.writeUInt16LE(x, o); break;
    case 'INT32': buf.writeInt32LE(x, o); break;
    case 'UINT32': buf.writeUInt32LE(x, o); break;
    case 'INT64': buf.writeBigInt64LE(BigInt(x), o); break;
    case 'UINT64': buf.writeBigUInt64LE(BigInt(x), o); break;
    case 'FP32': buf.writeFloatLE(x, o); break;
    case 'FP64': buf.writeDoubleLE(x, o); break;
    default: throw new Error(dt);
  }
}

function elemArb(dt: Datatype, ranged: boolean): fc.Arbitrary<number> {
  const ti = DATATYPE_INFO[dt];
  const [rlo, rhi] = ranged ? rangeFor(dt) : [ti.min, ti.max];
  if (dt === 'BOOL') return fc.integer({ min: 0, max: 1 });
  if (dt === 'FP16') {
    return fc.integer({ min: 0, max: 0xffff }).filter((b) => (b & 0x7c00) !== 0x7c00 && (!ranged || (fp16Value(b) >= rlo && fp16Value(b) <= rhi)));
  }
  if (ti.kind === 'int') return fc.integer({ min: Math.max(rlo, ti.min, -(2 ** 31)), max: Math.min(rhi, ti.max, 2 ** 32 - 1) });
  // fp32 rounding of a value inside ±50 stays inside ±50 (the bounds are exact in fp32).
  return fc.double({ min: Math.max(rlo, -3e38), max: Math.min(rhi, 3e38), noNaN: true, noDefaultInfinity: true });
}

interface BinCase { dt: Datatype; ranged: boolean; shape: number[]; elems: number[]; }

const binCaseArb: fc.Arbitrary<BinCase> = fc.record({
  dt: fc.constantFrom<Datatype>(...FIXED),
  ranged: fc.boolean(),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
}).chain(({ dt, ranged, shape }) => {
  const r = ranged && NUMERIC.has(dt);
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.array(elemArb(dt, r), { minLength: n, maxLength: n }).map((elems) => ({ dt, ranged: r, shape, elems }));
});

function build(c: BinCase): { validator: ReturnType<typeof compileKserve>; raw: Buffer; h: number } {
  const decl: ModelDecl = { inputs: [{ name: 't', datatype: c.dt, shape: c.shape.map(() => -1), ...(c.ranged ? { range: rangeFor(c.dt) } : {}) }] };
  const size = c.elems.length * DATATYPE_INFO[c.dt].byteSize;
  const payload = Buffer.alloc(size);
  c.elems.forEach((x, i) => writeElem(payload, c.dt, i, x));
  const b = body({ inputs: [binIn('t', c.dt, c.shape, size)] }, payload);
  return { validator: compileKserve({ m: decl }, { maxTensorElements: 1000 }), ...b };
}

test('property: random valid binary tensors of every fixed-size type validate with elements = product', () => {
  fc.assert(fc.property(binCaseArb, (c) => {
    const { validator, raw, h } = build(c);
    const r = ok(validator.validateBinary('m', raw, h, JL));
    assert.equal(r.elements, c.shape.reduce((a, b) => a * b, 1));
    assert.equal(r.batch, null);
  }), { numRuns: 500 });
});

test('property: one NaN/Infinity, out-of-range value or bad BOOL byte anywhere is always caught', () => {
  const arb = binCaseArb
    .filter((c) => c.elems.length > 0 && (c.ranged || c.dt === 'BOOL' || DATATYPE_INFO[c.dt].kind === 'float'))
    .chain((c) => fc.tuple(fc.constant(c), fc.nat({ max: c.elems.length - 1 }), fc.boolean()));
  fc.assert(fc.property(arb, ([c, at, flip]) => {
    const { validator, raw, h } = build(c);
    const o = h + at * DATATYPE_INFO[c.dt].byteSize;
    let want: string;
    if (c.dt === 'BOOL') {
      raw.writeUInt8(flip ? 2 : 255, o);
      want = 'MG_TENSOR_DATATYPE';
    } else if (DATATYPE_INFO[c.dt].kind === 'float' && (flip || !c.ranged)) {
      if (c.dt === 'FP16') raw.writeUInt16LE(at % 2 ? 0x7c00 : 0xfe00, o);
      else if (c.dt === 'FP32') raw.writeFloatLE(at % 2 ? NaN : -Infinity, o);
      else raw.writeDoubleLE(at % 2 ? Infinity : NaN, o);
      want = 'MG_TENSOR_NOT_FINITE';
    } else {
      const [lo, hi] = rangeFor(c.dt);
      const bad = flip ? hi + 1 : lo - 1;
      if (c.dt === 'FP16') raw.writeUInt16LE(flip ? 0x5280 /* 52 */ : 0xd280 /* -52 */, o);
      else writeElem(raw.subarray(h), c.dt, at, bad);
      want = 'MG_TENSOR_OUT_OF_RANGE';
    }
    const r = validator.validateBinary('m', raw, h, JL);
    assert.equal(code(r), want, `${c.dt} ranged=${c.ranged} at=${at}`);
    assert.match((r as Denial).detail ?? '', new RegExp(`binary element ${at}\\b`));
  }), { numRuns: 1000 });
});

test('timing: [16,3,224,224] FP32 binary', () => {
  const b = resnetBody(16, -0.5);
  ok(run('resnet50', b));
  const runs = 5;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) ok(run('resnet50', b));
  console.log(`kserve validateBinary [16,3,224,224] FP32 (${b.raw.length} bytes): ${((performance.now() - t0) / runs).toFixed(2)} ms`);
});
