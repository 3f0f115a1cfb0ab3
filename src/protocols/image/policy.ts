/**
 * image-upload routes (body and inspect phases): a raw image body, or multipart/form-data with
 * exactly one file. The size cap holds while the bytes stream in (a raw body is read under
 * `maxBytes`, a multipart file is cut off by busboy at `maxBytes`); then inspectImage checks type,
 * signature, header dimensions, frames and truncation without decoding (and decodes, bounded,
 * with `verifyDecode`). What is forwarded is the checked image: the raw bytes with the detected
 * type, or a freshly built multipart body.
 *
 * Cost: width × height × frames ÷ 1,000, in the same unit as tokens.
 */
import { deny, DenialError, isDenial, type Denial } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';
import type { Policy } from '../../pipeline/policy.js';
import { unitsInspection, type RequestContext } from '../../pipeline/context.js';
import { contentTypePolicy } from '../../policies/content-type.js';
import { readBody } from '../../policies/body-read.js';
import { bodyWanted } from '../../server/continue.js';
import { inspectImage } from './inspect.js';
import { buildMultipart, readMultipart, type MultipartImage } from './multipart.js';
import { normaliseMime, type ImageInfo, type ImageLimits } from './types.js';

export function imageLimitsOf(limits: Limits): ImageLimits {
  return {
    maxBytes: limits.maxBytes,
    types: [...limits.types],
    maxDimension: limits.maxDimension,
    maxPixels: limits.maxPixels,
    maxFrames: limits.maxFrames,
    verifyDecode: limits.verifyDecode,
  };
}

const isMultipart = (ct: string): boolean => /^multipart\/form-data\s*;/i.test(ct);

/** Request phase: multipart/form-data, or an allowed image type. */
export function imageContentType(limits: Limits): Policy {
  const allowed = new Set(limits.types.map(normaliseMime));
  return contentTypePolicy(function imageContentTypePolicy(ctx) {
      const ct = ctx.headers['content-type'];
      if (ct === undefined) return deny('MG_UNSUPPORTED_MEDIA_TYPE', 'no content-type');
      if (isMultipart(ct)) return undefined;
      if (!allowed.has(normaliseMime(ct))) return deny('MG_IMAGE_TYPE_NOT_ALLOWED', 'declared type not allowed');
      return undefined;
  });
}

/** Read a raw image body under maxBytes; the cap's code is the image one. */
export async function readImageBody(ctx: RequestContext, limits: Limits, timeoutMs: number): Promise<Buffer | Denial> {
  try {
    return await readBody(ctx.raw, { ...limits, maxBodyBytes: limits.maxBytes }, timeoutMs);
  } catch (err) {
    if (err instanceof DenialError) return err.denial.code === 'MG_BODY_TOO_LARGE' ? deny('MG_IMAGE_TOO_LARGE', 'image over maxBytes') : err.denial;
    throw err;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(onTimeout()), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

interface Upload { bytes: Buffer; declared: string | null; part: MultipartImage | null }
const uploads = new WeakMap<RequestContext, Upload>();

export function imageUploadBody(limits: Limits, timeoutMs: number): Policy {
  const il = imageLimitsOf(limits);
  return {
    name: 'image-body',
    phase: 'body',
    onError: 'fail-closed',
    run: async function imageBody(ctx) {
      const ct = ctx.headers['content-type'] ?? '';
      if (isMultipart(ct)) {
        bodyWanted(ctx.raw);
        const part = await withTimeout(readMultipart(ctx.raw, ct, il), timeoutMs, () => deny('MG_BODY_TIMEOUT', 'multipart body too slow'));
        if (isDenial(part)) return part;
        uploads.set(ctx, { bytes: part.file, declared: part.fileType, part });
        return undefined;
      }
      const raw = await readImageBody(ctx, limits, timeoutMs);
      if (isDenial(raw)) return raw;
      ctx.rawBody = raw;
      uploads.set(ctx, { bytes: raw, declared: normaliseMime(ct), part: null });
      return undefined;
    },
  };
}

/** Cost of one checked image. */
export function imageUnits(info: ImageInfo): number {
  return (info.pixels * info.frames) / 1000;
}

export function imageUploadInspect(limits: Limits): Policy {
  const il = imageLimitsOf(limits);
  return {
    name: 'image-inspect',
    phase: 'inspect',
    onError: 'fail-closed',
    run: async function imageInspect(ctx) {
      const up = uploads.get(ctx);
      if (up === undefined) return deny('MG_REQUEST_INVALID', 'no image');
      const info = await inspectImage(up.bytes, up.declared, il);
      if (isDenial(info)) return info;
      ctx.inspection = unitsInspection(imageUnits(info));
      if (up.part === null) {
        ctx.forward = { body: up.bytes, contentType: info.type };
      } else {
        const m = buildMultipart({ file: up.bytes, fileType: info.type, filename: up.part.filename, fieldName: up.part.fieldName, fields: up.part.fields });
        ctx.forward = { body: m.body, contentType: m.contentType };
      }
      return undefined;
    },
  };
}
