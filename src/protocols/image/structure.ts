/**
 * Structural walks over the container of PNG, JPEG, GIF and WebP, without decoding any pixel:
 * where the image really ends (truncation, trailing data), how many animation frames it has
 * (GIF image descriptors, APNG acTL/fcTL, WebP ANMF) and the size of every frame. Plus a scan
 * for another format's signature hidden in the bytes (polyglots).
 *
 * Why hand-written: image-size reads only the first header (one frame, no end, no trailer),
 * file-type looks only at the start of the buffer, and sharp/libvips only finds out while
 * decoding — after it has allocated for every frame — and silently ignores data after the end
 * marker. No library on npm reports "trailing data after IEND/EOI/trailer", counts GIF frames
 * with a bound, or looks for a ZIP or HTML hidden inside an image (a polyglot: a file that is a
 * valid image AND a valid ZIP/HTML/SVG, which another consumer downstream may open as such).
 * Every walk is linear in the buffer length, never recursive, and stops as soon as a limit is
 * exceeded (bounded work on hostile input).
 */
import { deny, type Denial } from '../../errors.js';
import type { ImageLimits } from './types.js';

/** What the walk found: the frame count and how many bytes follow the image's end marker. */
export interface Structure {
  frames: number;
  trailing: number;
}

/** Bytes tolerated after the end marker (some encoders pad); too few to carry another format. */
export const TRAILING_SLACK = 16;

function truncated(format: string, what: string): Denial {
  return deny('MG_IMAGE_CORRUPT', `${format}: truncated (${what})`);
}

function frameTooBig(format: string, w: number, h: number, limits: ImageLimits): Denial | null {
  if (w > limits.maxDimension || h > limits.maxDimension || w * h > limits.maxPixels) {
    return deny('MG_IMAGE_TOO_MANY_PIXELS', `${format}: frame ${w}x${h}`);
  }
  return null;
}

function tooManyFrames(format: string, n: number, limits: ImageLimits): Denial {
  return deny('MG_IMAGE_TOO_MANY_FRAMES', `${format}: more than ${limits.maxFrames} frames (${n} seen)`);
}

// ---------------------------------------------------------------------------------------- PNG

/** A chunk type / RIFF fourcc read as a big-endian 32-bit number. */
function tag(s: string): number {
  return Buffer.from(s, 'latin1').readUInt32BE(0);
}
function fourcc(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b.toString('latin1');
}
const PNG_IHDR = tag('IHDR'), PNG_CGBI = tag('CgBI'), PNG_ACTL = tag('acTL'), PNG_FCTL = tag('fcTL'), PNG_IEND = tag('IEND');
const WEBP_ANMF = tag('ANMF');

/** Walk the PNG chunks up to IEND. APNG: acTL num_frames and the fcTL count are both bounded. */
export function walkPng(buf: Buffer, limits: ImageLimits): Denial | Structure {
  const len = buf.length;
  let pos = 8; // after the signature (checked by file-type)
  let declared = 0; // acTL num_frames
  let fctl = 0;
  let first = true;
  for (;;) {
    if (pos + 12 > len) return truncated('png', 'no IEND chunk');
    const length = buf.readUInt32BE(pos);
    if (length > 0x7fffffff) return deny('MG_IMAGE_CORRUPT', 'png: chunk length out of range');
    const type = buf.readUInt32BE(pos + 4); // compared as a number: no string per chunk
    const next = pos + 12 + length;
    if (next > len) return truncated('png', `${fourcc(type)} chunk`);
    if (first && type !== PNG_IHDR && type !== PNG_CGBI) return deny('MG_IMAGE_CORRUPT', 'png: first chunk is not IHDR');
    first = false;
    const data = pos + 8;
    if (type === PNG_ACTL) {
      if (length < 8) return deny('MG_IMAGE_CORRUPT', 'png: short acTL');
      declared = buf.readUInt32BE(data);
      if (declared === 0) return deny('MG_IMAGE_CORRUPT', 'png: acTL with 0 frames');
      if (declared > limits.maxFrames) return tooManyFrames('apng', declared, limits);
    } else if (type === PNG_FCTL) {
      if (length < 26) return deny('MG_IMAGE_CORRUPT', 'png: short fcTL');
      if (++fctl > limits.maxFrames) return tooManyFrames('apng', fctl, limits);
      const big = frameTooBig('apng', buf.readUInt32BE(data + 4), buf.readUInt32BE(data + 8), limits);
      if (big) return big;
    } else if (type === PNG_IEND) {
      return { frames: Math.max(1, declared, fctl), trailing: len - next };
    }
    pos = next;
  }
}

// --------------------------------------------------------------------------------------- JPEG

/** Offset just after the EOI of the JPEG that starts (SOI) at `start`, or a denial. */
function jpegEnd(buf: Buffer, start: number, limits: ImageLimits): Denial | number {
  const len = buf.length;
  if (buf[start] !== 0xff || buf[start + 1] !== 0xd8) return deny('MG_IMAGE_CORRUPT', 'jpeg: no SOI');
  let pos = start + 2;
  for (;;) {
    if (pos >= len) return truncated('jpeg', 'no EOI');
    if (buf[pos] !== 0xff) return deny('MG_IMAGE_CORRUPT', 'jpeg: marker expected');
    while (pos < len && buf[pos] === 0xff) pos++; // fill bytes
    if (pos >= len) return truncated('jpeg', 'marker');
    const m = buf[pos] ?? 0;
    pos++;
    if (m === 0xd9) return pos; // EOI
    if (m === 0xd8 || m === 0x00) return deny('MG_IMAGE_CORRUPT', 'jpeg: unexpected marker');
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue; // RSTn, TEM: no length
    if (pos + 2 > len) return truncated('jpeg', 'segment length');
    const segLen = buf.readUInt16BE(pos);
    if (segLen < 2) return deny('MG_IMAGE_CORRUPT', 'jpeg: bad segment length');
    const segEnd = pos + segLen;
    if (segEnd > len) return truncated('jpeg', 'segment');
    // SOFn (not DHT C4, JPG C8, DAC CC): every frame header, not only the first image-size read.
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc && segLen >= 7) {
      const big = frameTooBig('jpeg', buf.readUInt16BE(pos + 5), buf.readUInt16BE(pos + 3), limits);
      if (big) return big;
    }
    pos = segEnd;
    if (m === 0xda) {
      // Entropy-coded data: runs to the next marker that is not a stuffed FF00 or RSTn.
      for (;;) {
        const ff = buf.indexOf(0xff, pos);
        if (ff === -1 || ff + 1 >= len) return truncated('jpeg', 'scan data');
        const n = buf[ff + 1] ?? 0;
        if (n === 0x00 || (n >= 0xd0 && n <= 0xd7)) { pos = ff + 2; continue; }
        if (n === 0xff) { pos = ff + 1; continue; }
        pos = ff;
        break;
      }
    }
  }
}

/**
 * Walk the primary JPEG to its EOI. Whole JPEGs appended after it are accepted (Multi-Picture
 * Format / MPO and Ultra HDR gain maps are laid out that way: real phone photos); anything else
 * after the final EOI counts as trailing data.
 */
export function walkJpeg(buf: Buffer, limits: ImageLimits): Denial | Structure {
  let end = jpegEnd(buf, 0, limits);
  if (typeof end !== 'number') return end;
  for (let extra = 0; extra < 8 && buf.length - end > TRAILING_SLACK && buf[end] === 0xff && buf[end + 1] === 0xd8; extra++) {
    end = jpegEnd(buf, end, limits);
    if (typeof end !== 'number') return end;
  }
  return { frames: 1, trailing: buf.length - end };
}

// ---------------------------------------------------------------------------------------- GIF

/** Offset after a chain of GIF data sub-blocks starting at `pos`, or -1 if it runs off the end. */
function skipSubBlocks(buf: Buffer, pos: number): number {
  const len = buf.length;
  for (;;) {
    if (pos >= len) return -1;
    const n = buf[pos] ?? 0;
    pos += 1;
    if (n === 0) return pos;
    pos += n;
  }
}

/** Walk the GIF blocks to the trailer, counting image descriptors; stops past maxFrames. */
export function walkGif(buf: Buffer, limits: ImageLimits): Denial | Structure {
  const len = buf.length;
  if (len < 13) return truncated('gif', 'header');
  const version = buf.toString('latin1', 0, 6);
  if (version !== 'GIF87a' && version !== 'GIF89a') return deny('MG_IMAGE_CORRUPT', 'gif: bad version');
  const screen = buf[10] ?? 0;
  let pos = 13 + (screen & 0x80 ? 3 * (1 << ((screen & 7) + 1)) : 0);
  let frames = 0;
  for (;;) {
    if (pos >= len) return truncated('gif', 'no trailer');
    const block = buf[pos];
    if (block === 0x3b) {
      if (frames === 0) return deny('MG_IMAGE_CORRUPT', 'gif: no image');
      return { frames, trailing: len - pos - 1 };
    }
    if (block === 0x21) {
      pos = skipSubBlocks(buf, pos + 2);
      if (pos === -1) return truncated('gif', 'extension');
    } else if (block === 0x2c) {
      if (++frames > limits.maxFrames) return tooManyFrames('gif', frames, limits);
      if (pos + 11 > len) return truncated('gif', 'image descriptor');
      const big = frameTooBig('gif', buf.readUInt16LE(pos + 5), buf.readUInt16LE(pos + 7), limits);
      if (big) return big;
      const packed = buf[pos + 9] ?? 0;
      pos += 10 + (packed & 0x80 ? 3 * (1 << ((packed & 7) + 1)) : 0);
      pos = skipSubBlocks(buf, pos + 1); // + LZW minimum code size
      if (pos === -1) return truncated('gif', 'image data');
    } else {
      return deny('MG_IMAGE_CORRUPT', 'gif: unknown block');
    }
  }
}

// --------------------------------------------------------------------------------------- WebP

/** Check the RIFF size against the buffer and walk the chunks, counting ANMF frames. */
export function walkWebp(buf: Buffer, limits: ImageLimits): Denial | Structure {
  const len = buf.length;
  if (len < 20) return truncated('webp', 'header');
  const total = buf.readUInt32LE(4) + 8;
  if (total > len) return truncated('webp', `RIFF size ${total} > ${len} bytes`);
  let pos = 12;
  let frames = 0;
  while (pos + 8 <= total) {
    const chunk = buf.readUInt32BE(pos);
    const size = buf.readUInt32LE(pos + 4);
    const dataEnd = pos + 8 + size;
    if (dataEnd > total) return truncated('webp', `${fourcc(chunk)} chunk`);
    if (chunk === WEBP_ANMF) {
      if (++frames > limits.maxFrames) return tooManyFrames('webp', frames, limits);
      if (size < 16) return deny('MG_IMAGE_CORRUPT', 'webp: short ANMF');
      const big = frameTooBig('webp', 1 + buf.readUIntLE(pos + 14, 3), 1 + buf.readUIntLE(pos + 17, 3), limits);
      if (big) return big;
    }
    pos = dataEnd + (size & 1);
  }
  if (pos < total || pos > total + 1) return deny('MG_IMAGE_CORRUPT', 'webp: chunks do not fill the RIFF size');
  return { frames: Math.max(1, frames), trailing: len - total };
}

export function walkStructure(mime: string, buf: Buffer, limits: ImageLimits): Denial | Structure | null {
  switch (mime) {
    case 'image/png': return walkPng(buf, limits);
    case 'image/jpeg': return walkJpeg(buf, limits);
    case 'image/gif': return walkGif(buf, limits);
    case 'image/webp': return walkWebp(buf, limits);
    default: return null; // no structural walk for other formats: only verifyDecode checks them
  }
}

// ----------------------------------------------------------------------------------- polyglots

const MARKUP = ['script', 'html', 'svg', 'iframe'];

function isDelimiter(c: number | undefined): boolean {
  return c === undefined || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x3e || c === 0x2f;
}

/** `<script`, `<html`, `<svg`, `<iframe` (any case) followed by a delimiter, or null. */
function findMarkup(buf: Buffer): string | null {
  let i = buf.indexOf(0x3c);
  while (i !== -1) {
    for (const tag of MARKUP) {
      let ok = true;
      for (let k = 0; k < tag.length; k++) {
        if (((buf[i + 1 + k] ?? 0) | 0x20) !== tag.charCodeAt(k)) { ok = false; break; }
      }
      if (ok && isDelimiter(buf[i + 1 + tag.length])) return `<${tag}`;
    }
    i = buf.indexOf(0x3c, i + 1);
  }
  return null;
}

// ZIP compression methods in use (stored, shrunk…deflate64, bzip2, lzma, zstd, mp3, xz, jpeg, wavpack, ppmd, aes).
const ZIP_METHODS = new Set([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 14, 18, 19, 20, 93, 94, 95, 96, 97, 98, 99]);
const ZIP_LOCAL = Buffer.from('PK\x03\x04', 'latin1');
const ZIP_CENTRAL = Buffer.from('PK\x01\x02', 'latin1');
const ZIP_END = Buffer.from('PK\x05\x06', 'latin1');
const ZIP_END64 = Buffer.from('PK\x06\x06', 'latin1');
/** A ZIP reader looks for the end record in the last 64 KiB + 22 bytes. */
const ZIP_END_WINDOW = 0xffff + 22;

/**
 * A ZIP header whose following fields look like a real one (version needed ≤ 6.3, a known
 * method): four signature bytes alone occur by chance in compressed pixel data (≈1 in 2^32 per
 * position, i.e. ~0.1 % of 4 MB images), these extra fields make a false positive negligible.
 */
function findZip(buf: Buffer): string | null {
  for (let i = buf.indexOf(ZIP_LOCAL); i !== -1; i = buf.indexOf(ZIP_LOCAL, i + 1)) {
    if (i + 10 <= buf.length && (buf[i + 4] ?? 255) <= 63 && buf[i + 5] === 0 && ZIP_METHODS.has(buf.readUInt16LE(i + 8))) {
      return 'zip local file header';
    }
  }
  for (let i = buf.indexOf(ZIP_CENTRAL); i !== -1; i = buf.indexOf(ZIP_CENTRAL, i + 1)) {
    if (i + 12 <= buf.length && (buf[i + 6] ?? 255) <= 63 && buf[i + 7] === 0 && ZIP_METHODS.has(buf.readUInt16LE(i + 10))) {
      return 'zip central directory';
    }
  }
  const tailStart = Math.max(0, buf.length - ZIP_END_WINDOW);
  if (buf.indexOf(ZIP_END, tailStart) !== -1 || buf.indexOf(ZIP_END64, tailStart) !== -1) return 'zip end record';
  return null;
}

/** Another format's signature inside the image bytes (HTML/SVG markup, ZIP), or null. */
export function findForeignSignature(buf: Buffer): string | null {
  return findMarkup(buf) ?? findZip(buf);
}
