/**
 * Element checks for the Triton binary tensor data extension: every element is little-endian.
 * Floats: NaN/±Infinity refused (FP16 decoded by hand: exponent bits all ones), declared range
 * checked. Integers: always within their type; only a declared range is checked (64-bit ones as
 * BigInt, exactly). BOOL: each byte 0 or 1. BYTES: a sequence of (uint32 LE length, bytes) that
 * must hold exactly `elements` items and consume exactly the declared byte size.
 */
import { deny, type Denial } from '../../errors.js';
import { fp16IsNonFinite, fp16ToNumber } from './datatypes.js';
import type { CompiledInput } from './model.js';

function where(ci: CompiledInput, i: number): string {
  return `input ${JSON.stringify(ci.name)} binary element ${i}`;
}

function outOfRange(ci: CompiledInput, i: number): Denial {
  return deny('MG_TENSOR_OUT_OF_RANGE', `${where(ci, i)}: outside the declared range [${ci.rangeLo}, ${ci.rangeHi}]`);
}

function notFinite(ci: CompiledInput, i: number): Denial {
  return deny('MG_TENSOR_NOT_FINITE', `${where(ci, i)}: NaN or Infinity`);
}

function checkBytes(ci: CompiledInput, view: DataView, start: number, size: number, elements: number): Denial | null {
  const end = start + size;
  let pos = start;
  let count = 0;
  while (pos < end) {
    if (count === elements) {
      return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: BYTES data holds more than ${elements} elements`);
    }
    if (end - pos < 4) {
      return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: BYTES element ${count} length prefix truncated`);
    }
    const len = view.getUint32(pos, true);
    pos += 4;
    if (len > end - pos) {
      return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: BYTES element ${count} runs past binary_data_size`);
    }
    pos += len;
    count++;
  }
  if (count !== elements) {
    return deny('MG_TENSOR_DATA_LENGTH', `input ${JSON.stringify(ci.name)}: BYTES data holds ${count} elements, shape needs ${elements}`);
  }
  return null;
}

/**
 * Check the elements of one binary tensor at view[start, start + size). The caller has already
 * checked that size = elements × element size for fixed-size types.
 */
export function checkBinaryData(ci: CompiledInput, view: DataView, start: number, size: number, elements: number): Denial | null {
  const lo = ci.rangeLo, hi = ci.rangeHi;
  switch (ci.datatype) {
    case 'BYTES':
      return checkBytes(ci, view, start, size, elements);
    case 'BOOL':
      for (let i = 0; i < elements; i++) {
        if (view.getUint8(start + i) > 1) return deny('MG_TENSOR_DATATYPE', `${where(ci, i)}: BOOL byte is not 0 or 1`);
      }
      return null;
    case 'FP16':
      for (let i = 0; i < elements; i++) {
        const bits = view.getUint16(start + 2 * i, true);
        if (fp16IsNonFinite(bits)) return notFinite(ci, i);
        if (ci.hasRange) {
          const v = fp16ToNumber(bits);
          if (v < lo || v > hi) return outOfRange(ci, i);
        }
      }
      return null;
    case 'FP32':
      for (let i = 0; i < elements; i++) {
        const v = view.getFloat32(start + 4 * i, true);
        if (!(v >= lo && v <= hi)) return Number.isFinite(v) ? outOfRange(ci, i) : notFinite(ci, i);
      }
      return null;
    case 'FP64':
      for (let i = 0; i < elements; i++) {
        const v = view.getFloat64(start + 8 * i, true);
        if (!(v >= lo && v <= hi)) return Number.isFinite(v) ? outOfRange(ci, i) : notFinite(ci, i);
      }
      return null;
    default:
      break;
  }
  // Integers: any bit pattern is a valid value of the type; only a declared range can fail.
  if (!ci.hasRange) return null;
  switch (ci.datatype) {
    case 'INT8':
      for (let i = 0; i < elements; i++) { const v = view.getInt8(start + i); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'UINT8':
      for (let i = 0; i < elements; i++) { const v = view.getUint8(start + i); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'INT16':
      for (let i = 0; i < elements; i++) { const v = view.getInt16(start + 2 * i, true); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'UINT16':
      for (let i = 0; i < elements; i++) { const v = view.getUint16(start + 2 * i, true); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'INT32':
      for (let i = 0; i < elements; i++) { const v = view.getInt32(start + 4 * i, true); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'UINT32':
      for (let i = 0; i < elements; i++) { const v = view.getUint32(start + 4 * i, true); if (v < lo || v > hi) return outOfRange(ci, i); }
      return null;
    case 'INT64': {
      const blo = ci.bigLo as bigint, bhi = ci.bigHi as bigint;
      for (let i = 0; i < elements; i++) { const v = view.getBigInt64(start + 8 * i, true); if (v < blo || v > bhi) return outOfRange(ci, i); }
      return null;
    }
    case 'UINT64': {
      const blo = ci.bigLo as bigint, bhi = ci.bigHi as bigint;
      for (let i = 0; i < elements; i++) { const v = view.getBigUint64(start + 8 * i, true); if (v < blo || v > bhi) return outOfRange(ci, i); }
      return null;
    }
    default:
      return null;
  }
}
