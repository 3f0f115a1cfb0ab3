/**
 * KServe v2 / Triton tensor datatypes: what a JSON value or a binary element of each type may be.
 *
 * Bounds are the type's own bounds, except INT64 and UINT64 in JSON: a JSON number past
 * ±(2^53 − 1) has already lost precision in JSON.parse, so the value the client meant is unknown
 * and it is refused. In the binary extension 64-bit integers are exact and any value is accepted.
 */

export type Datatype =
  | 'BOOL'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'FP16' | 'FP32' | 'FP64'
  | 'BYTES';

export const DATATYPES: readonly Datatype[] = Object.freeze([
  'BOOL', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES',
] as const);

export type DatatypeKind = 'bool' | 'int' | 'float' | 'bytes';

export interface DatatypeInfo {
  readonly kind: DatatypeKind;
  /** Smallest and largest value a JSON number of this type may have (numeric kinds only). */
  readonly min: number;
  readonly max: number;
  /** Bytes per element in the binary extension; 0 for BYTES (variable length). */
  readonly byteSize: number;
}

export const FP16_MAX = 65504;
export const FP32_MAX = 3.4028234663852886e38;

function info(kind: DatatypeKind, min: number, max: number, byteSize: number): DatatypeInfo {
  return Object.freeze({ kind, min, max, byteSize });
}

export const DATATYPE_INFO: Readonly<Record<Datatype, DatatypeInfo>> = Object.freeze({
  BOOL: info('bool', 0, 1, 1),
  INT8: info('int', -128, 127, 1),
  INT16: info('int', -32768, 32767, 2),
  INT32: info('int', -2147483648, 2147483647, 4),
  INT64: info('int', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 8),
  UINT8: info('int', 0, 255, 1),
  UINT16: info('int', 0, 65535, 2),
  UINT32: info('int', 0, 4294967295, 4),
  UINT64: info('int', 0, Number.MAX_SAFE_INTEGER, 8),
  FP16: info('float', -FP16_MAX, FP16_MAX, 2),
  FP32: info('float', -FP32_MAX, FP32_MAX, 4),
  FP64: info('float', -Number.MAX_VALUE, Number.MAX_VALUE, 8),
  BYTES: info('bytes', 0, 0, 0),
});

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES);

export function isDatatype(v: unknown): v is Datatype {
  return typeof v === 'string' && DATATYPE_SET.has(v);
}

/** An IEEE 754 half-precision bit pattern is NaN or ±Infinity when its 5 exponent bits are all ones. */
export function fp16IsNonFinite(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00;
}

/** The value of a finite IEEE 754 half-precision bit pattern (callers check fp16IsNonFinite first). */
export function fp16ToNumber(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  const mag = exp === 0 ? mant * 2 ** -24 : (mant + 1024) * 2 ** (exp - 25);
  return bits & 0x8000 ? -mag : mag;
}
