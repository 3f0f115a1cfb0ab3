/**
 * `data:image/png;base64,…` URLs (OpenAI image_url content parts). The decoded size is computed
 * from the base64 length and checked BEFORE anything is decoded or copied, so a 500 MB data URL
 * costs one subtraction. Only strict base64 is accepted (no whitespace, no URL escapes, no
 * base64url): Buffer.from(…, 'base64') silently skips invalid characters, which would let two
 * parsers disagree about the bytes.
 */
import { deny, type Denial } from '../../errors.js';
import { normaliseMime, typeAllowed, type ImageLimits } from './types.js';

/** The media-type part before the comma is short; never scan a huge string for it. */
const MAX_HEADER = 256;
const BASE64 = /[A-Za-z0-9+/]*={0,2}$/y;

export function decodeDataUrl(url: string, limits: ImageLimits): Denial | { mime: string; bytes: Buffer } {
  if (url.slice(0, 5).toLowerCase() !== 'data:') return deny('MG_IMAGE_CORRUPT', 'not a data URL');
  const comma = url.slice(0, MAX_HEADER).indexOf(',');
  if (comma === -1) return deny('MG_IMAGE_CORRUPT', 'data URL without a comma');
  const params = url.slice(5, comma).split(';').map((p) => p.trim());
  const last = params[params.length - 1] ?? '';
  if (params.length < 2 || last.toLowerCase() !== 'base64') return deny('MG_IMAGE_TYPE_NOT_ALLOWED', 'data URL not base64');
  const mime = normaliseMime(params[0] ?? '');
  if (!mime.startsWith('image/') || !typeAllowed(mime, limits)) return deny('MG_IMAGE_TYPE_NOT_ALLOWED', `data URL type ${mime || '(none)'}`);

  const start = comma + 1;
  const length = url.length - start;
  const padding = url.endsWith('==') ? 2 : url.endsWith('=') ? 1 : 0;
  const decoded = Math.floor((length * 3) / 4) - padding;
  if (decoded > limits.maxBytes) return deny('MG_IMAGE_TOO_LARGE', `data URL decodes to ${decoded} bytes`);
  if (decoded <= 0) return deny('MG_IMAGE_CORRUPT', 'empty data URL');
  if (length % 4 === 1) return deny('MG_IMAGE_CORRUPT', 'data URL base64 length');
  BASE64.lastIndex = start;
  if (!BASE64.test(url)) return deny('MG_IMAGE_CORRUPT', 'data URL is not strict base64');
  if (length % 4 !== 0 && padding !== 0) return deny('MG_IMAGE_CORRUPT', 'data URL base64 padding');
  return { mime, bytes: Buffer.from(url.slice(start), 'base64') };
}
