/**
 * KServe v2 / Triton inference request validation: JSON tensors and the binary tensor data
 * extension. Pure and I/O-free; compile the model declarations once with compileKserve.
 */
export { DATATYPES, DATATYPE_INFO, isDatatype, fp16IsNonFinite, fp16ToNumber, type Datatype, type DatatypeInfo, type DatatypeKind } from './datatypes.js';
export type { TensorDecl, ModelDecl, KserveLimits } from './model.js';
export { compileKserve, type TensorSummary, type KserveValidator } from './validate.js';
