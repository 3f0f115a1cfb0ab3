/**
 * Test images, all generated in code (nothing downloaded): valid small files via sharp, and
 * hostile ones written byte by byte — decompression-bomb headers, truncations, a 5,000-frame
 * GIF, APNG frame bombs, SVG/HTML/ZIP content, polyglots, data-URL bombs and multipart bodies.
 * Used by the image unit tests and by the HTTP tests.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ImageLimits } from '../src/protocols/image/index.js';

// ------------------------------------------------------------------------------------ helpers

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as in PNG and ZIP); zlib.crc32 only exists from Node 20.15 / 22.2. */
export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u16le(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; }
function u16be(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }
function u24le(n: number): Buffer { const b = Buffer.alloc(3); b.writeUIntLE(n, 0, 3); return b; }
function u32le(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; }
function u32be(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }

/** Deterministic pseudo-random pixels: a gradient plus noise, so encoders produce real-sized files. */
export function testPixels(width: number, height: number, channels = 3, seed = 1): Buffer {
  const buf = Buffer.alloc(width * height * channels);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        const base = c === 0 ? (x * 255) / Math.max(1, width - 1) : c === 1 ? (y * 255) / Math.max(1, height - 1) : 128;
        buf[o + c] = Math.max(0, Math.min(255, Math.round(base + ((s & 31) - 16))));
      }
    }
  }
  return buf;
}

function raw(width: number, height: number, seed = 1): sharp.Sharp {
  return sharp(testPixels(width, height, 3, seed), { raw: { width, height, channels: 3 } });
}

/** Frames stacked vertically with different content, for animated output. */
function rawFrames(width: number, height: number, frames: number): sharp.Sharp {
  const all = Buffer.concat(Array.from({ length: frames }, (_, i) => testPixels(width, height, 3, i + 1)));
  return sharp(all, { raw: { width, height: height * frames, channels: 3, pageHeight: height } });
}

// -------------------------------------------------------------------------------- valid files

export function validPng(width = 8, height = 8): Promise<Buffer> { return raw(width, height).png().toBuffer(); }
export function validJpeg(width = 8, height = 8, quality = 85): Promise<Buffer> { return raw(width, height).jpeg({ quality }).toBuffer(); }
export function validGif(width = 8, height = 8): Promise<Buffer> { return raw(width, height).gif().toBuffer(); }
export function validWebp(width = 8, height = 8): Promise<Buffer> { return raw(width, height).webp().toBuffer(); }
export function animatedGif(frames = 3, width = 8, height = 8): Promise<Buffer> { return rawFrames(width, height, frames).gif({ delay: 100 }).toBuffer(); }
export function animatedWebp(frames = 3, width = 8, height = 8): Promise<Buffer> { return rawFrames(width, height, frames).webp({ delay: 100 }).toBuffer(); }

/** A 2000×2000 (4 MP) photo-like JPEG, for benchmarks. */
export function jpeg4mp(): Promise<Buffer> { return validJpeg(2000, 2000, 85); }

// ------------------------------------------------------------------------------------------ PNG

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type: string, data: Buffer): Buffer {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), td, u32be(crc32(td))]);
}

function ihdr(width: number, height: number): Buffer {
  return pngChunk('IHDR', Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 2, 0, 0, 0])]));
}

/** Insert a chunk right after IHDR (8 + 25 bytes in) of a PNG. */
export function insertPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  return Buffer.concat([png.subarray(0, 33), pngChunk(type, data), png.subarray(33)]);
}

/** An RGB PNG written by hand with raw (filter 0) scanlines. */
function scanlines(width: number, height: number, seed: number): Buffer {
  const px = testPixels(width, height, 3, seed);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) rows.push(Buffer.from([0]), px.subarray(y * width * 3, (y + 1) * width * 3));
  return deflateSync(Buffer.concat(rows));
}

function fctl(seq: number, width: number, height: number): Buffer {
  return pngChunk('fcTL', Buffer.concat([u32be(seq), u32be(width), u32be(height), u32be(0), u32be(0), u16be(1), u16be(10), Buffer.from([0, 0])]));
}

/** A valid APNG with `frames` full frames (acTL, fcTL + IDAT, then fcTL + fdAT each). */
export function validApng(frames = 2, width = 8, height = 8): Buffer {
  const parts = [PNG_SIGNATURE, ihdr(width, height), pngChunk('acTL', Buffer.concat([u32be(frames), u32be(0)]))];
  let seq = 0;
  parts.push(fctl(seq++, width, height), pngChunk('IDAT', scanlines(width, height, 1)));
  for (let f = 1; f < frames; f++) {
    parts.push(fctl(seq++, width, height), pngChunk('fdAT', Buffer.concat([u32be(seq++), scanlines(width, height, f + 1)])));
  }
  parts.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A small valid PNG whose acTL claims `frames` frames (APNG frame bomb, tiny body). */
export function apngFrameBomb(frames = 5000): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE, ihdr(1, 1), pngChunk('acTL', Buffer.concat([u32be(frames), u32be(0)])),
    fctl(0, 1, 1), pngChunk('IDAT', scanlines(1, 1, 1)), pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** PNG header claiming width × height (default 50,000 × 50,000 = 2.5 GP) with a tiny body. */
export function pngDimensionBomb(width = 50_000, height = 50_000): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

// ----------------------------------------------------------------------------------------- JPEG

/** JPEG with a SOF0 claiming width × height and almost no scan data. */
export function jpegDimensionBomb(width = 50_000, height = 50_000): Buffer {
  const seg = (marker: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([0xff, marker]), u16be(data.length + 2), data]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    seg(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])),
    seg(0xc0, Buffer.concat([Buffer.from([8]), u16be(height), u16be(width), Buffer.from([3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])])),
    seg(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0])),
    Buffer.from([0, 0, 0xff, 0xd9]),
  ]);
}

/** Insert a COM (comment) segment after the SOI of a JPEG. */
export function insertJpegComment(jpeg: Buffer, text: string | Buffer): Buffer {
  const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe]), u16be(data.length + 2), data, jpeg.subarray(2)]);
}

// ------------------------------------------------------------------------------------------ GIF

const GIF_1X1_FRAME = Buffer.from([
  0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00, // graphic control extension, 100 ms
  0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, // image descriptor 1×1, no local colour table
  0x02, 0x02, 0x44, 0x01, 0x00, // LZW min code size 2, one sub-block, terminator
]);

function gifHead(width: number, height: number): Buffer {
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'), u16le(width), u16le(height), Buffer.from([0x80, 0, 0]),
    Buffer.from([0, 0, 0, 0xff, 0xff, 0xff]), // 2-colour global table
  ]);
}

/** Animated GIF of `frames` 1×1 frames (default 5,000: a frame bomb in ~100 KB). */
export function gifFrameBomb(frames = 5000): Buffer {
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  return Buffer.concat([gifHead(1, 1), loop, ...Array.from({ length: frames }, () => GIF_1X1_FRAME), Buffer.from([0x3b])]);
}

/** GIF whose logical screen AND image descriptor claim width × height, tiny body. */
export function gifDimensionBomb(width = 50_000, height = 50_000): Buffer {
  return Buffer.concat([
    gifHead(width, height),
    Buffer.from([0x2c, 0, 0, 0, 0]), u16le(width), u16le(height), Buffer.from([0]),
    Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]),
  ]);
}

// ----------------------------------------------------------------------------------------- WebP

/** WebP with a VP8X canvas of width × height and nothing else. */
export function webpDimensionBomb(width = 50_000, height = 50_000): Buffer {
  const vp8x = Buffer.concat([Buffer.from('VP8X', 'latin1'), u32le(10), Buffer.from([0, 0, 0, 0]), u24le(width - 1), u24le(height - 1)]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), u32le(4 + vp8x.length), Buffer.from('WEBP', 'latin1'), vp8x]);
}

// ------------------------------------------------------------------------------ damaged / other

/** The first `fraction` of a file (cut mid-data). */
export function truncate(buf: Buffer, fraction = 0.6): Buffer {
  return Buffer.from(buf.subarray(0, Math.floor(buf.length * fraction)));
}

/** The file followed by `n` bytes of `fill` (data after the end marker). */
export function withTrailingData(buf: Buffer, n = 100, fill = 0x41): Buffer {
  return Buffer.concat([buf, Buffer.alloc(n, fill)]);
}

export const SVG_TEXT = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script><rect width="8" height="8"/></svg>\n';
export const HTML_TEXT = '<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>fetch("/steal")</script></body></html>\n';
export function svgBytes(): Buffer { return Buffer.from(SVG_TEXT, 'utf8'); }
export function htmlBytes(): Buffer { return Buffer.from(HTML_TEXT, 'utf8'); }

/** A complete minimal ZIP (one stored file): local header, central directory, end record. */
export function zipBytes(name = 'payload.txt', content = 'hello from inside the zip\n'): Buffer {
  const fname = Buffer.from(name, 'latin1');
  const data = Buffer.from(content, 'latin1');
  const crc = crc32(data);
  const local = Buffer.concat([
    Buffer.from('PK\x03\x04', 'latin1'), u16le(20), u16le(0), u16le(0), u16le(0), u16le(0x21),
    u32le(crc), u32le(data.length), u32le(data.length), u16le(fname.length), u16le(0), fname, data,
  ]);
  const central = Buffer.concat([
    Buffer.from('PK\x01\x02', 'latin1'), u16le(20), u16le(20), u16le(0), u16le(0), u16le(0), u16le(0x21),
    u32le(crc), u32le(data.length), u32le(data.length), u16le(fname.length), u16le(0), u16le(0), u16le(0), u16le(0),
    u32le(0), u32le(0), fname,
  ]);
  const end = Buffer.concat([
    Buffer.from('PK\x05\x06', 'latin1'), u16le(0), u16le(0), u16le(1), u16le(1), u32le(central.length), u32le(local.length), u16le(0),
  ]);
  return Buffer.concat([local, central, end]);
}

/** A valid PNG followed by a valid ZIP: opens as either. */
export async function pngZipPolyglot(): Promise<Buffer> {
  return Buffer.concat([await validPng(), zipBytes()]);
}

/** `data:<mime>;base64,…` decoding to `mb` MiB (zeros; the payload is never meant to be decoded). */
export function dataUrlBomb(mb: number, mime = 'image/png'): string {
  return `data:${mime};base64,${'A'.repeat(Math.ceil((mb * 1024 * 1024) / 3) * 4)}`;
}

export function dataUrl(bytes: Buffer, mime: string): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

// ------------------------------------------------------------------------------------ multipart

export interface TestPart {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
  /** Extra raw header lines, e.g. 'Content-Transfer-Encoding: base64'. */
  headers?: string[];
}

/** A multipart/form-data body written by hand (so tests can make it hostile). */
export function multipartBody(parts: TestPart[], boundary = 'test-boundary-7d3f'): { body: Buffer; contentType: string } {
  const pieces: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type !== undefined) head += `Content-Type: ${p.type}\r\n`;
    for (const h of p.headers ?? []) head += `${h}\r\n`;
    pieces.push(Buffer.from(`${head}\r\n`, 'utf8'), typeof p.data === 'string' ? Buffer.from(p.data, 'utf8') : p.data, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Limits for tests: the four formats, 4096 px, 16 MP, 64 frames; override what a test needs. */
export function testLimits(over: Partial<ImageLimits> = {}): ImageLimits {
  return {
    maxBytes: 5 * 1024 * 1024,
    types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'],
    maxDimension: 4096,
    maxPixels: 16_777_216,
    maxFrames: 64,
    verifyDecode: false,
    ...over,
  };
}
