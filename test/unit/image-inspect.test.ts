// inspectImage: one test per rule and code, every hostile generator refused with its exact code,
// every valid format accepted; plus timings (logged, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import sharp from 'sharp';
import { inspectImage, type ImageInfo, type ImageLimits } from '../../src/protocols/image/index.js';
import { isDenial, type Denial, type ErrorCode } from '../../src/errors.js';
import * as F from '../image-files.js';

const LIMITS: ImageLimits = F.testLimits({ maxBytes: 20 * 1024 * 1024, verifyDecode: true });
const NO_DECODE: ImageLimits = { ...LIMITS, verifyDecode: false };

async function refused(buf: Buffer, declared: string | null, code: ErrorCode, limits: ImageLimits = LIMITS): Promise<Denial> {
  const r = await inspectImage(buf, declared, limits);
  assert.ok(isDenial(r), `expected ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.code, code, `expected ${code}, got ${r.code} (${r.detail ?? ''})`);
  return r;
}

async function accepted(buf: Buffer, declared: string | null, limits: ImageLimits = LIMITS): Promise<ImageInfo> {
  const r = await inspectImage(buf, declared, limits);
  assert.ok(!isDenial(r), `expected acceptance, got ${JSON.stringify(r)}`);
  return r;
}

// ------------------------------------------------------------------------------------- valid

test('accepts valid PNG, JPEG, GIF and WebP (8x8 and 224x224), with and without decode', async () => {
  const cases: Array<[string, (w: number, h: number) => Promise<Buffer>]> = [
    ['image/png', F.validPng], ['image/jpeg', F.validJpeg], ['image/gif', F.validGif], ['image/webp', F.validWebp],
  ];
  for (const [mime, make] of cases) {
    for (const [w, h] of [[8, 8], [224, 224], [300, 17]] as const) {
      const buf = await make(w, h);
      for (const limits of [LIMITS, NO_DECODE]) {
        const info = await accepted(buf, mime, limits);
        assert.deepEqual(info, { type: mime, width: w, height: h, frames: 1, pixels: w * h, bytes: buf.length });
      }
    }
  }
});

test('accepts other encoder variants: progressive/EXIF/4:4:4 JPEG, interlaced/palette/16-bit PNG, lossless/alpha WebP, GIF with alpha', async () => {
  const base = (): sharp.Sharp => sharp(F.testPixels(320, 240, 3, 5), { raw: { width: 320, height: 240, channels: 3 } });
  const variants: Array<[string, (s: sharp.Sharp) => sharp.Sharp]> = [
    ['image/jpeg', (s) => s.jpeg({ progressive: true })],
    ['image/jpeg', (s) => s.withMetadata({ exif: { IFD0: { ImageDescription: 'hello' } } }).jpeg({ mozjpeg: true })],
    ['image/jpeg', (s) => s.jpeg({ quality: 100, chromaSubsampling: '4:4:4' })],
    ['image/png', (s) => s.png({ progressive: true })],
    ['image/png', (s) => s.png({ palette: true })],
    ['image/png', (s) => s.toColourspace('rgb16').png()],
    ['image/webp', (s) => s.webp({ lossless: true })],
    ['image/webp', (s) => s.ensureAlpha(0.5).webp()],
    ['image/gif', (s) => s.ensureAlpha(0.5).gif()],
  ];
  for (const [mime, encode] of variants) {
    const info = await accepted(await encode(base()).toBuffer(), mime);
    assert.equal(info.width * info.height, 320 * 240);
  }
});

test('accepts a valid image with no declared type when the detected type is allowed', async () => {
  const info = await accepted(await F.validPng(), null);
  assert.equal(info.type, 'image/png');
});

test('normalises the declared type: case, parameters, image/jpg', async () => {
  await accepted(await F.validJpeg(), 'IMAGE/JPG');
  await accepted(await F.validJpeg(), 'image/jpeg; charset=binary');
  await accepted(await F.validPng(), ' Image/PNG ');
});

test('accepts animated GIF, animated WebP and APNG within maxFrames and reports their frames', async () => {
  const gif = await accepted(await F.animatedGif(3), 'image/gif');
  assert.equal(gif.frames, 3);
  const webp = await accepted(await F.animatedWebp(3), 'image/webp');
  assert.equal(webp.frames, 3);
  const apng = await accepted(F.validApng(3), 'image/png');
  assert.equal(apng.frames, 3);
  assert.equal(apng.type, 'image/png');
  assert.equal((await accepted(F.gifFrameBomb(10), 'image/gif')).frames, 10);
});

test('accepts a JPEG with a second whole JPEG appended (MPF / gain-map layout)', async () => {
  const a = await F.validJpeg(16, 16);
  const b = await F.validJpeg(8, 8);
  await accepted(Buffer.concat([a, b]), 'image/jpeg');
});

test('accepts up to 16 bytes of padding after the end marker', async () => {
  await accepted(F.withTrailingData(await F.validJpeg(), 16, 0), 'image/jpeg');
  await accepted(F.withTrailingData(await F.validPng(), 16, 0), 'image/png');
});

// ------------------------------------------------------------------------------ 1. byte size

test('1. MG_IMAGE_TOO_LARGE above maxBytes, before anything else is looked at', async () => {
  const png = await F.validPng();
  await refused(png, 'image/png', 'MG_IMAGE_TOO_LARGE', { ...LIMITS, maxBytes: png.length - 1 });
  await accepted(png, 'image/png', { ...LIMITS, maxBytes: png.length });
  // Even garbage of the wrong declared type: size comes first.
  await refused(Buffer.alloc(2000), 'text/html', 'MG_IMAGE_TOO_LARGE', { ...LIMITS, maxBytes: 1000 });
});

test('empty buffer is MG_IMAGE_CORRUPT', async () => {
  await refused(Buffer.alloc(0), 'image/png', 'MG_IMAGE_CORRUPT');
});

// ------------------------------------------------------------------------- 2. declared type

test('2. MG_IMAGE_TYPE_NOT_ALLOWED for a declared type outside the list', async () => {
  const png = await F.validPng();
  await refused(png, 'image/svg+xml', 'MG_IMAGE_TYPE_NOT_ALLOWED');
  await refused(png, 'text/html', 'MG_IMAGE_TYPE_NOT_ALLOWED');
  await refused(png, 'image/png', 'MG_IMAGE_TYPE_NOT_ALLOWED', { ...LIMITS, types: ['image/jpeg'] });
});

test('2. MG_IMAGE_TYPE_NOT_ALLOWED when undeclared and the detected type is not allowed', async () => {
  await refused(await F.validPng(), null, 'MG_IMAGE_TYPE_NOT_ALLOWED', { ...LIMITS, types: ['image/jpeg'] });
});

// ------------------------------------------------------------------------------- 3. real type

test('3. MG_IMAGE_TYPE_MISMATCH: PNG bytes declared as JPEG, and each format as another', async () => {
  const files: Record<string, Buffer> = {
    'image/png': await F.validPng(), 'image/jpeg': await F.validJpeg(), 'image/gif': await F.validGif(), 'image/webp': await F.validWebp(),
  };
  for (const [real, buf] of Object.entries(files)) {
    for (const declared of Object.keys(files)) {
      if (declared !== real) await refused(buf, declared, 'MG_IMAGE_TYPE_MISMATCH');
    }
  }
});

test('3. MG_IMAGE_TYPE_MISMATCH: SVG, HTML, ZIP and random bytes declared as images', async () => {
  await refused(F.svgBytes(), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.svgBytes(), null, 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.htmlBytes(), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.zipBytes(), 'image/jpeg', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(Buffer.from('just some text, not an image at all'), 'image/gif', 'MG_IMAGE_TYPE_MISMATCH');
});

test('3. MG_IMAGE_TYPE_MISMATCH: PNG+ZIP polyglot', async () => {
  const r = await refused(await F.pngZipPolyglot(), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  assert.match(r.detail ?? '', /polyglot/);
});

test('3. MG_IMAGE_TYPE_MISMATCH: ZIP or markup hidden inside the image (not trailing)', async () => {
  const png = await F.validPng();
  await refused(F.insertPngChunk(png, 'prVt', F.zipBytes()), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.insertPngChunk(png, 'tEXt', Buffer.from('Comment\0<script>alert(1)</script>', 'latin1')), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.insertPngChunk(png, 'tEXt', Buffer.from('Comment\0<HTML><body>', 'latin1')), 'image/png', 'MG_IMAGE_TYPE_MISMATCH');
  const jpeg = await F.validJpeg();
  await refused(F.insertJpegComment(jpeg, '<svg onload=alert(1)>'), 'image/jpeg', 'MG_IMAGE_TYPE_MISMATCH');
  await refused(F.insertJpegComment(jpeg, F.zipBytes()), 'image/jpeg', 'MG_IMAGE_TYPE_MISMATCH');
  // An innocent comment is fine.
  await accepted(F.insertJpegComment(jpeg, 'made by a camera <3'), 'image/jpeg');
});

test('3. MG_IMAGE_TYPE_MISMATCH: data after the end marker (PNG IEND, JPEG EOI, GIF trailer, WebP RIFF)', async () => {
  for (const [mime, buf] of [
    ['image/png', await F.validPng()], ['image/jpeg', await F.validJpeg()], ['image/gif', await F.validGif()], ['image/webp', await F.validWebp()],
  ] as const) {
    const r = await refused(F.withTrailingData(buf, 100), mime, 'MG_IMAGE_TYPE_MISMATCH', NO_DECODE);
    assert.match(r.detail ?? '', /after the end/);
    await refused(F.withTrailingData(buf, 17, 0), mime, 'MG_IMAGE_TYPE_MISMATCH', NO_DECODE);
  }
});

// ----------------------------------------------------------------------------- 4. dimensions

test('4. MG_IMAGE_TOO_MANY_PIXELS: 50,000 x 50,000 headers with tiny bodies (PNG, JPEG, GIF, WebP)', async () => {
  for (const [mime, buf] of [
    ['image/png', F.pngDimensionBomb()], ['image/jpeg', F.jpegDimensionBomb()], ['image/gif', F.gifDimensionBomb()], ['image/webp', F.webpDimensionBomb()],
  ] as const) {
    assert.ok(buf.length < 1024, `${mime} bomb is ${buf.length} bytes`);
    // Refused from the header (the detail names the claimed size); decoding 2.5 Gpx would run out of memory, not just be slow.
    const r = await refused(buf, mime, 'MG_IMAGE_TOO_MANY_PIXELS');
    assert.match(r.detail ?? '', /50000x50000/);
  }
});

test('4. MG_IMAGE_TOO_MANY_PIXELS: width or height above maxDimension, or area above maxPixels', async () => {
  const png = await F.validPng(300, 17);
  await refused(png, 'image/png', 'MG_IMAGE_TOO_MANY_PIXELS', { ...LIMITS, maxDimension: 299 });
  await refused(png, 'image/png', 'MG_IMAGE_TOO_MANY_PIXELS', { ...LIMITS, maxPixels: 300 * 17 - 1 });
  await accepted(png, 'image/png', { ...LIMITS, maxDimension: 300, maxPixels: 300 * 17 });
});

test('4. MG_IMAGE_TOO_MANY_PIXELS: a GIF frame larger than its logical screen', async () => {
  // Logical screen 1x1, but the image descriptor claims 50,000 x 50,000.
  const gif = F.gifDimensionBomb();
  gif.writeUInt16LE(1, 6);
  gif.writeUInt16LE(1, 8);
  await refused(gif, 'image/gif', 'MG_IMAGE_TOO_MANY_PIXELS');
});

test('4. MG_IMAGE_CORRUPT: zero dimensions or an unreadable header', async () => {
  await refused(F.pngDimensionBomb(0, 10), 'image/png', 'MG_IMAGE_CORRUPT');
  await refused(F.jpegDimensionBomb(10, 0), 'image/jpeg', 'MG_IMAGE_CORRUPT');
  await refused(F.gifDimensionBomb(0, 0), 'image/gif', 'MG_IMAGE_CORRUPT');
  // A JPEG with SOI and no frame header at all.
  await refused(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xd9]), 'image/jpeg', 'MG_IMAGE_CORRUPT');
});

// ---------------------------------------------------------------------------------- 5. frames

test('5. MG_IMAGE_TOO_MANY_FRAMES: GIF with 5,000 1x1 frames, counted with bounded work', async () => {
  const gif = F.gifFrameBomb(5000);
  const r = await refused(gif, 'image/gif', 'MG_IMAGE_TOO_MANY_FRAMES');
  assert.match(r.detail ?? '', /65 seen/); // stopped right after the limit: bounded work, shown without a clock
  await refused(await F.animatedGif(3), 'image/gif', 'MG_IMAGE_TOO_MANY_FRAMES', { ...LIMITS, maxFrames: 2 });
});

test('5. MG_IMAGE_TOO_MANY_FRAMES: animated WebP (ANMF) and APNG (acTL and fcTL)', async () => {
  await refused(await F.animatedWebp(3), 'image/webp', 'MG_IMAGE_TOO_MANY_FRAMES', { ...LIMITS, maxFrames: 2 });
  await refused(F.apngFrameBomb(5000), 'image/png', 'MG_IMAGE_TOO_MANY_FRAMES');
  await refused(F.validApng(3), 'image/png', 'MG_IMAGE_TOO_MANY_FRAMES', { ...LIMITS, maxFrames: 2 });
  // acTL lies (says 1) but there are 3 fcTL chunks: the fcTL count is bounded too.
  const lying = F.validApng(3);
  const actl = lying.indexOf('acTL');
  lying.writeUInt32BE(1, actl + 4);
  await refused(lying, 'image/png', 'MG_IMAGE_TOO_MANY_FRAMES', { ...NO_DECODE, maxFrames: 2 });
});

// ------------------------------------------------------------------------------ 6. truncation

test('6. MG_IMAGE_CORRUPT: truncated PNG, JPEG, GIF and WebP (without decoding)', async () => {
  for (const [mime, buf] of [
    ['image/png', await F.validPng(64, 64)], ['image/jpeg', await F.validJpeg(64, 64)],
    ['image/gif', await F.validGif(64, 64)], ['image/webp', await F.validWebp(64, 64)],
  ] as const) {
    for (const fraction of [0.6, 0.9]) {
      const r = await refused(F.truncate(buf, fraction), mime, 'MG_IMAGE_CORRUPT', NO_DECODE);
      assert.match(r.detail ?? '', /truncated|header/, `${mime} ${fraction}: ${r.detail}`);
    }
    // Cut just before the end marker.
    await refused(buf.subarray(0, buf.length - 1), mime, 'MG_IMAGE_CORRUPT', NO_DECODE);
  }
});

test('6. MG_IMAGE_CORRUPT: WebP whose RIFF size is larger than the buffer', async () => {
  const webp = await F.validWebp();
  const bad = Buffer.from(webp);
  bad.writeUInt32LE(webp.length, 4); // claims 8 bytes more than there are
  await refused(bad, 'image/webp', 'MG_IMAGE_CORRUPT', NO_DECODE);
});

// ---------------------------------------------------------------------------- 7. full decode

test('7. MG_IMAGE_CORRUPT from the sharp decode only when verifyDecode is on', async () => {
  // Structure intact, pixel data damaged: the header checks cannot see it, the decoder can.
  const png = await F.validPng(64, 64);
  const idat = png.indexOf('IDAT');
  const bad = Buffer.from(png);
  for (let i = idat + 20; i < idat + 60; i++) bad[i] = 0x5a;
  await accepted(bad, 'image/png', NO_DECODE);
  await refused(bad, 'image/png', 'MG_IMAGE_CORRUPT', LIMITS);
});

// ------------------------------------------------------------------------------------ fuzzing

test('never throws: random byte flips, cuts and insertions of every valid format', async () => {
  const seeds = [
    await F.validPng(16, 16), await F.validJpeg(16, 16), await F.validGif(16, 16), await F.validWebp(16, 16),
    await F.animatedGif(3), await F.animatedWebp(3), F.validApng(2), F.gifFrameBomb(3),
  ];
  const mutation = fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
    cut: fc.option(fc.nat()),
    insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 }))),
    declared: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constantFrom('image/png', 'image/jpeg', 'image/gif', 'image/webp'), weight: 1 }),
  });
  await fc.assert(fc.asyncProperty(mutation, async (m) => {
    let buf = Buffer.from(seeds[m.seed] ?? Buffer.alloc(0));
    for (const [pos, byte] of m.flips) buf[pos % buf.length] = byte;
    if (m.insert) {
      const at = m.insert[0] % (buf.length + 1);
      buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.insert[1]), buf.subarray(at)]);
    }
    if (m.cut !== null) buf = buf.subarray(0, m.cut % (buf.length + 1));
    const r = await inspectImage(buf, m.declared, LIMITS);
    if (isDenial(r)) return;
    assert.ok(r.width > 0 && r.height > 0 && r.frames >= 1 && r.frames <= LIMITS.maxFrames);
  }), { numRuns: 400 });
});

// ------------------------------------------------------------------------------------ timings

test('timings (logged, not asserted)', async () => {
  const png = await F.validPng(224, 224);
  const jpeg = await F.jpeg4mp();
  const limits4mp = { ...LIMITS, maxPixels: 4_000_000 };
  const time = async (buf: Buffer, mime: string, limits: ImageLimits, runs: number): Promise<string> => {
    await accepted(buf, mime, limits); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await inspectImage(buf, mime, limits);
    return ((performance.now() - t0) / runs).toFixed(2);
  };
  console.log(`inspectImage 224x224 PNG (${png.length} B): ${await time(png, 'image/png', { ...limits4mp, verifyDecode: false }, 200)} ms without decode, ${await time(png, 'image/png', limits4mp, 50)} ms with decode`);
  console.log(`inspectImage 2000x2000 JPEG (${jpeg.length} B): ${await time(jpeg, 'image/jpeg', { ...limits4mp, verifyDecode: false }, 50)} ms without decode, ${await time(jpeg, 'image/jpeg', limits4mp, 10)} ms with decode`);
});
