/**
 * Model declarations and their compiled form: everything a request check needs is computed once
 * here (input lookup map, the effective value bounds per input), so validation does no setup work.
 * A bad declaration throws: it is a configuration error, found when the config is loaded.
 */
import { DATATYPE_INFO, isDatatype, type Datatype, type DatatypeKind } from './datatypes.js';

export interface TensorDecl {
  name: string;
  datatype: Datatype;
  /** -1 = a variable dimension. */
  shape: number[];
  /** Inclusive bounds for every value of a numeric input. */
  range?: [number, number];
}

export interface ModelDecl {
  inputs: TensorDecl[];
  /** Limit on the first dimension (the batch) of every input. */
  maxBatch?: number;
}

export interface KserveLimits {
  /** Total elements across all inputs of one request. */
  maxTensorElements: number;
}

export interface CompiledInput {
  readonly name: string;
  readonly index: number;
  readonly datatype: Datatype;
  readonly kind: DatatypeKind;
  /** Binary bytes per element; 0 for BYTES. */
  readonly byteSize: number;
  readonly shape: readonly number[];
  /** The type's own bounds for a JSON value. */
  readonly typeMin: number;
  readonly typeMax: number;
  /** The declared range, or the type's bounds when none is declared. */
  readonly rangeLo: number;
  readonly rangeHi: number;
  readonly hasRange: boolean;
  /** Intersection of the two: one comparison pair in the hot loop; a miss is then classified. */
  readonly lo: number;
  readonly hi: number;
  /** The declared range as exact integers, for binary INT64/UINT64 elements (null: no bound). */
  readonly bigLo: bigint | null;
  readonly bigHi: bigint | null;
}

export interface CompiledModel {
  readonly inputs: readonly CompiledInput[];
  readonly byName: ReadonlyMap<string, CompiledInput>;
  readonly maxBatch: number | null;
}

function fail(model: string, msg: string): never {
  throw new Error(`kserve model ${JSON.stringify(model)}: ${msg}`);
}

function compileInput(model: string, d: TensorDecl, index: number, batched: boolean): CompiledInput {
  if (typeof d.name !== 'string' || d.name === '') fail(model, `input ${index} has no name`);
  if (!isDatatype(d.datatype)) fail(model, `input ${d.name}: unknown datatype`);
  const ti = DATATYPE_INFO[d.datatype];
  if (!Array.isArray(d.shape) || !d.shape.every((x) => Number.isSafeInteger(x) && x >= -1)) {
    fail(model, `input ${d.name}: shape must be integers >= -1`);
  }
  if (batched && d.shape.length === 0) fail(model, `input ${d.name}: maxBatch needs a batch dimension`);
  let rangeLo = ti.min, rangeHi = ti.max, hasRange = false;
  let bigLo: bigint | null = null, bigHi: bigint | null = null;
  if (d.range !== undefined) {
    if (ti.kind !== 'int' && ti.kind !== 'float') fail(model, `input ${d.name}: range on a non-numeric datatype`);
    const [lo, hi] = d.range;
    if (!Array.isArray(d.range) || d.range.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      fail(model, `input ${d.name}: range must be [lo, hi] finite with lo <= hi`);
    }
    rangeLo = lo;
    rangeHi = hi;
    hasRange = true;
    if (ti.kind === 'int') {
      bigLo = BigInt(Math.ceil(lo));
      bigHi = BigInt(Math.floor(hi));
    }
  }
  return Object.freeze({
    name: d.name,
    index,
    datatype: d.datatype,
    kind: ti.kind,
    byteSize: ti.byteSize,
    shape: Object.freeze([...d.shape]),
    typeMin: ti.min,
    typeMax: ti.max,
    rangeLo,
    rangeHi,
    hasRange,
    lo: Math.max(ti.min, rangeLo),
    hi: Math.min(ti.max, rangeHi),
    bigLo,
    bigHi,
  });
}

export function compileModel(name: string, decl: ModelDecl): CompiledModel {
  if (decl.maxBatch !== undefined && !(Number.isSafeInteger(decl.maxBatch) && decl.maxBatch >= 0)) {
    fail(name, 'maxBatch must be a non-negative integer');
  }
  if (!Array.isArray(decl.inputs) || decl.inputs.length === 0) fail(name, 'no inputs declared');
  const batched = decl.maxBatch !== undefined;
  const inputs = decl.inputs.map((d, i) => compileInput(name, d, i, batched));
  const byName = new Map<string, CompiledInput>();
  for (const ci of inputs) {
    if (byName.has(ci.name)) fail(name, `input ${ci.name} declared twice`);
    byName.set(ci.name, ci);
  }
  return Object.freeze({ inputs: Object.freeze(inputs), byName, maxBatch: decl.maxBatch ?? null });
}
