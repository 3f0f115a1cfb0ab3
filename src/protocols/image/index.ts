/**
 * Image validation: pure functions, no I/O except reading the given stream (readMultipart) and
 * a DNS lookup (checkImageUrl). Every failure is a Denial with an MG_IMAGE_* (or request) code.
 */
export type { ImageLimits, ImageInfo } from './types.js';
export { normaliseMime } from './types.js';
export { inspectImage } from './inspect.js';
export { decodeDataUrl } from './data-url.js';
export { readMultipart, buildMultipart, MAX_FIELDS, MAX_FIELD_BYTES, type MultipartImage } from './multipart.js';
export { checkImageUrl, isForbiddenAddress, type HostLookup } from './url-guard.js';
export { findForeignSignature, TRAILING_SLACK } from './structure.js';
