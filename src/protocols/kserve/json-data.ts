/**
 * The `data` of a JSON tensor: flat (row-major, length = product of the shape) or nested arrays
 * with exactly the shape's structure. The value checks are one monomorphic loop per kind with a
 * single comparison pair per element (type bounds ∩ declared range, precomputed); only the first
 * value that misses is looked at again to pick the error code. No allocation per element, and
 * recursion only per row of nested data, never per element.
 */
import { deny, type Denial } from '../../errors.js';
import type { CompiledInput } from './model.js';

// Each scan returns the index of the first bad value in arr, or -1.

function scanInt(arr: readonly unknown[], lo: number, hi: number): number {
  for (let i = 0, n = arr.length; i < n; i++) {
    const v = arr[i];
    if (!(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi)) return i;
  }
  return -1;
}

function scanFloat(arr: readonly unknown[], lo: number, hi: number): number {
  for (let i = 0, n = arr.length; i < n; i++) {
    const v = arr[i];
    // NaN fails both comparisons; ±Infinity fails one (lo and hi are finite).
    if (!(typeof v === 'number' && v >= lo && v <= hi)) return i;
  }
  return -1;
}

function scanBool(arr: readonly unknown[]): number {
  for (let i = 0, n = arr.length; i < n; i++) {
    if (typeof arr[i] !== 'boolean') return i;
  }
  return -1;
}

function scanString(arr: readonly unknown[]): number {
  for (let i = 0, n = arr.length; i < n; i++) {
    if (typeof arr[i] !== 'string') return i;
  }
  return -1;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Why a value failed the fast check. `at` = its flat (row-major) index. */
function classify(ci: CompiledInput, v: unknown, at: number): Denial {
  const where = `input ${JSON.stringify(ci.name)} element ${at}`;
  if (Array.isArray(v)) return deny('MG_TENSOR_DATA_LENGTH', `${where}: an array where a value was expected (nesting does not match the shape)`);
  if (ci.kind === 'bool') return deny('MG_TENSOR_DATATYPE', `${where}: ${typeName(v)} in a BOOL tensor`);
  if (ci.kind === 'bytes') return deny('MG_TENSOR_DATATYPE', `${where}: ${typeName(v)} in a BYTES tensor`);
  if (typeof v !== 'number') return deny('MG_TENSOR_DATATYPE', `${where}: ${typeName(v)} in a ${ci.datatype} tensor`);
  if (!Number.isFinite(v)) return deny('MG_TENSOR_NOT_FINITE', `${where}: NaN or Infinity`);
  if (ci.kind === 'int' && !Number.isInteger(v)) return deny('MG_TENSOR_DATATYPE', `${where}: not an integer in a ${ci.datatype} tensor`);
  if (v < ci.typeMin || v > ci.typeMax) {
    return deny('MG_TENSOR_DATATYPE', `${where}: outside the ${ci.datatype} bounds${ci.datatype.endsWith('64') && ci.kind === 'int' ? ' (or not a safe integer)' : ''}`);
  }
  return deny('MG_TENSOR_OUT_OF_RANGE', `${where}: outside the declared range [${ci.rangeLo}, ${ci.rangeHi}]`);
}

/** Check every value of one flat run; `base` = the flat index of arr[0]. */
function checkValues(ci: CompiledInput, arr: readonly unknown[], base: number): Denial | null {
  let bad: number;
  switch (ci.kind) {
    case 'int': bad = scanInt(arr, ci.lo, ci.hi); break;
    case 'float': bad = scanFloat(arr, ci.lo, ci.hi); break;
    case 'bool': bad = scanBool(arr); break;
    case 'bytes': bad = scanString(arr); break;
  }
  return bad === -1 ? null : classify(ci, arr[bad], base + bad);
}

function walkNested(ci: CompiledInput, shape: readonly number[], strides: readonly number[], arr: readonly unknown[], level: number, base: number): Denial | null {
  const dim = shape[level] as number;
  if (arr.length !== dim) {
    return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: nested data has ${arr.length} items at level ${level} near element ${base}, shape says ${dim}`);
  }
  if (level === shape.length - 1) return checkValues(ci, arr, base);
  const stride = strides[level] as number;
  for (let i = 0; i < dim; i++) {
    const child = arr[i];
    if (!Array.isArray(child)) {
      return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: a value where a nested array was expected at level ${level + 1} near element ${base + i * stride}`);
    }
    const r = walkNested(ci, shape, strides, child, level + 1, base + i * stride);
    if (r !== null) return r;
  }
  return null;
}

/**
 * Check the `data` array of one input against its (already validated) shape and element count.
 * Nested when the shape has rank >= 2 and the first item is an array; flat otherwise.
 */
export function checkJsonData(ci: CompiledInput, shape: readonly number[], elements: number, data: readonly unknown[]): Denial | null {
  if (shape.length >= 2 && data.length > 0 && Array.isArray(data[0])) {
    // strides[l] = number of elements under one item at level l + 1.
    const strides = new Array<number>(shape.length).fill(1);
    for (let l = shape.length - 2; l >= 0; l--) strides[l] = (strides[l + 1] as number) * (shape[l + 1] as number);
    return walkNested(ci, shape, strides, data, 0, 0);
  }
  if (data.length !== elements) {
    return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: ${data.length} values, shape needs ${elements}`);
  }
  return checkValues(ci, data, 0);
}
