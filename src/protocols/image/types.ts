/** Shared types and MIME helpers for image validation. */

export interface ImageLimits {
  /** Largest accepted encoded image, in bytes. */
  maxBytes: number;
  /** Allowed MIME types, e.g. image/png image/jpeg image/gif image/webp. */
  types: string[];
  /** Largest accepted width or height, in pixels (also per animation frame). */
  maxDimension: number;
  /** Largest accepted width × height (one frame). */
  maxPixels: number;
  /** Largest accepted number of animation frames. */
  maxFrames: number;
  /** After the header checks pass, fully decode the pixels with sharp (costs CPU). */
  verifyDecode: boolean;
}

export interface ImageInfo {
  /** Detected MIME type (from the bytes, never from the declaration); APNG is reported as image/png. */
  type: string;
  width: number;
  height: number;
  frames: number;
  /** width × height of one frame; frames are reported separately. */
  pixels: number;
  bytes: number;
}

/** Lower-case, drop parameters and spaces; image/jpg → image/jpeg, image/apng → image/png. */
export function normaliseMime(mime: string): string {
  const semi = mime.indexOf(';');
  const m = (semi === -1 ? mime : mime.slice(0, semi)).trim().toLowerCase();
  if (m === 'image/jpg') return 'image/jpeg';
  // APNG is a PNG (same signature, extra chunks); its frames are bounded by maxFrames.
  if (m === 'image/apng') return 'image/png';
  return m;
}

export function typeAllowed(mime: string, limits: ImageLimits): boolean {
  return limits.types.some((t) => normaliseMime(t) === mime);
}

const EXT: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp',
  'image/avif': 'avif', 'image/tiff': 'tiff', 'image/bmp': 'bmp',
};

export function extensionFor(mime: string): string {
  return EXT[mime] ?? 'bin';
}
