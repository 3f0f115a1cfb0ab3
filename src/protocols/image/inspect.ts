/**
 * Full check of one image held in memory, cheapest test first; no pixel is decoded before the
 * dimensions and frame count are known to be within the limits:
 *   1. byte size; 2. declared type allowed; 3. real type from the bytes (file-type) equal to the
 *   declared one, no polyglot signature; 4. header dimensions (image-size); 5. frame count and
 *   per-frame size; 6. truncation / trailing data from a structural walk; 7. optional full
 *   decode with sharp, pixel-limited.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import sharp from 'sharp';
import { deny, type Denial } from '../../errors.js';
import { findForeignSignature, TRAILING_SLACK, walkStructure } from './structure.js';
import { normaliseMime, typeAllowed, type ImageInfo, type ImageLimits } from './types.js';

/** image-size's type names for the MIME types it shares with file-type. */
const IMAGE_SIZE_MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp',
  tiff: 'image/tiff', jxl: 'image/jxl', ico: 'image/x-icon',
};

export async function inspectImage(buf: Buffer, declaredType: string | null, limits: ImageLimits): Promise<Denial | ImageInfo> {
  // 1. size
  if (buf.length > limits.maxBytes) return deny('MG_IMAGE_TOO_LARGE', `${buf.length} bytes`);
  if (buf.length === 0) return deny('MG_IMAGE_CORRUPT', 'empty');

  // 2. declared type
  const declared = declaredType === null ? null : normaliseMime(declaredType);
  if (declared !== null && !typeAllowed(declared, limits)) return deny('MG_IMAGE_TYPE_NOT_ALLOWED', `declared ${declared}`);

  // 3. real type from the bytes, then polyglot signatures
  let detected: string | undefined;
  try {
    detected = (await fileTypeFromBuffer(buf))?.mime;
  } catch {
    detected = undefined;
  }
  if (detected === undefined) return deny('MG_IMAGE_TYPE_MISMATCH', 'unknown content');
  detected = normaliseMime(detected);
  if (!detected.startsWith('image/')) return deny('MG_IMAGE_TYPE_MISMATCH', `content is ${detected}`);
  if (declared !== null && detected !== declared) return deny('MG_IMAGE_TYPE_MISMATCH', `declared ${declared}, content is ${detected}`);
  if (!typeAllowed(detected, limits)) return deny('MG_IMAGE_TYPE_NOT_ALLOWED', `content is ${detected}`);
  const foreign = findForeignSignature(buf);
  if (foreign !== null) return deny('MG_IMAGE_TYPE_MISMATCH', `polyglot: ${foreign}`);

  // 4. header dimensions, read without decoding
  let width: number;
  let height: number;
  try {
    const size = imageSize(buf);
    width = size.width;
    height = size.height;
    const sizeMime = size.type === undefined ? undefined : IMAGE_SIZE_MIME[size.type];
    if (sizeMime !== undefined && sizeMime !== detected) return deny('MG_IMAGE_TYPE_MISMATCH', `header is ${size.type}, content is ${detected}`);
  } catch (err) {
    return deny('MG_IMAGE_CORRUPT', `header: ${(err as Error).message}`);
  }
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    return deny('MG_IMAGE_CORRUPT', `dimensions ${width}x${height}`);
  }
  const pixels = width * height;
  if (width > limits.maxDimension || height > limits.maxDimension || pixels > limits.maxPixels) {
    return deny('MG_IMAGE_TOO_MANY_PIXELS', `${width}x${height}`);
  }

  // 5 + 6. frames and per-frame size, truncation and trailing data: one linear walk
  let frames = 1;
  const structure = walkStructure(detected, buf, limits);
  if (structure !== null) {
    if ('code' in structure) return structure;
    frames = structure.frames;
    if (structure.trailing > TRAILING_SLACK) {
      return deny('MG_IMAGE_TYPE_MISMATCH', `${structure.trailing} bytes after the end of the image`);
    }
  }
  if (frames > limits.maxFrames) return deny('MG_IMAGE_TOO_MANY_FRAMES', `${frames} frames`);
  // Implied by the two checks above; kept as an explicit guard on the total decode work.
  if (pixels * frames > limits.maxPixels * limits.maxFrames) return deny('MG_IMAGE_TOO_MANY_PIXELS', `${pixels} x ${frames} frames`);

  // 7. full decode, only now that the allocation it needs is known to be bounded
  if (limits.verifyDecode) {
    const animated = frames > 1;
    try {
      // Decode every pixel (all frames) and stream it into a sink that drops it: memory stays at
      // a few strips instead of width × height × channels × frames (toBuffer), and it is ~7x
      // faster than stats(). limitInputPixels is libvips' own cap (animated = all frames stacked).
      const decoder = sharp(buf, {
        limitInputPixels: Math.floor(animated ? limits.maxPixels * frames : limits.maxPixels),
        failOn: 'error',
        animated,
        sequentialRead: true,
      }).raw();
      await pipeline(decoder, new Writable({ write: (_chunk, _enc, cb) => cb() }));
    } catch (err) {
      return deny('MG_IMAGE_CORRUPT', `decode: ${(err as Error).message}`);
    }
  }

  return { type: detected, width, height, frames, pixels, bytes: buf.length };
}
