// readMultipart / buildMultipart: round trips of every valid format through small chunks, the
// file size enforced while streaming (a 50 MB upload stops right after maxBytes), one file only,
// field caps, malformed bodies, and a re-serialised body that parses back to the same parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { buildMultipart, inspectImage, readMultipart, MAX_FIELDS, MAX_FIELD_BYTES, type ImageLimits, type MultipartImage } from '../../src/protocols/image/index.js';
import { isDenial, type Denial, type ErrorCode } from '../../src/errors.js';
import * as F from '../image-files.js';

const LIMITS: ImageLimits = F.testLimits({ maxBytes: 1024 * 1024, verifyDecode: true });

/** A Readable that yields `buf` in chunks of `size` bytes. */
function chunked(buf: Buffer, size = 7): Readable {
  let pos = 0;
  return new Readable({
    read() {
      if (pos >= buf.length) { this.push(null); return; }
      this.push(buf.subarray(pos, pos + size));
      pos += size;
    },
  });
}

async function parsed(body: Buffer, contentType: string, chunk = 7, limits = LIMITS): Promise<MultipartImage> {
  const r = await readMultipart(chunked(body, chunk), contentType, limits);
  assert.ok(!isDenial(r), `expected parts, got ${JSON.stringify(r)}`);
  return r;
}

async function refused(body: Buffer | Readable, contentType: string, code: ErrorCode, limits = LIMITS): Promise<Denial> {
  const r = await readMultipart(Buffer.isBuffer(body) ? chunked(body, 1000) : body, contentType, limits);
  assert.ok(isDenial(r), `expected ${code}, got parts`);
  assert.equal(r.code, code, r.detail);
  return r;
}

test('round trip: every valid format through buildMultipart, 7-byte chunks, readMultipart, inspectImage', async () => {
  for (const [mime, buf] of [
    ['image/png', await F.validPng(224, 224)], ['image/jpeg', await F.validJpeg(224, 224)],
    ['image/gif', await F.validGif(224, 224)], ['image/webp', await F.validWebp(224, 224)], ['image/gif', await F.animatedGif(3)],
  ] as const) {
    const fields: Array<[string, string]> = [['model', 'dall-e-2'], ['prompt', 'a cat, "quoted"\r\nsecond line ✓'], ['n', '1']];
    const { body, contentType } = buildMultipart({ file: buf, fileType: mime, filename: 'cat.bin', fieldName: 'image', fields });
    const r = await parsed(body, contentType);
    assert.ok(r.file.equals(buf));
    assert.equal(r.fileType, mime);
    assert.equal(r.filename, 'cat.bin');
    assert.equal(r.fieldName, 'image');
    assert.deepEqual(r.fields, fields);
    const info = await inspectImage(r.file, r.fileType, LIMITS);
    assert.ok(!isDenial(info), JSON.stringify(info));
    // And again, re-serialised from what was parsed: identical parts.
    const again = buildMultipart({ ...r, fileType: r.fileType ?? mime });
    const r2 = await parsed(again.body, again.contentType, 1);
    assert.deepEqual({ ...r2, file: r2.file.toString('base64') }, { ...r, file: r.file.toString('base64') });
  }
});

test('a client-written body parses; 1-byte chunks; a typed part without filename is the file', async () => {
  const png = await F.validPng();
  const { body, contentType } = F.multipartBody([
    { name: 'prompt', data: 'hello' },
    { name: 'image', filename: 'C:\\Users\\me\\cat.png', type: 'image/png', data: png },
  ]);
  const r = await parsed(body, contentType, 1);
  assert.ok(r.file.equals(png));
  assert.equal(r.filename, 'cat.png'); // path stripped
  assert.deepEqual(r.fields, [['prompt', 'hello']]);
  const noName = F.multipartBody([{ name: 'image', type: 'image/png', data: png }]);
  const r2 = await parsed(noName.body, noName.contentType);
  assert.equal(r2.filename, null);
  assert.ok(r2.file.equals(png));
});

test('fileType is null when the part says nothing useful (absent, octet-stream)', async () => {
  const png = await F.validPng();
  for (const type of [undefined, 'application/octet-stream']) {
    const { body, contentType } = F.multipartBody([{ name: 'image', filename: 'x', ...(type ? { type } : {}), data: png }]);
    const r = await parsed(body, contentType);
    assert.equal(r.fileType, null);
    assert.ok(!isDenial(await inspectImage(r.file, r.fileType, LIMITS)));
  }
});

test('MG_IMAGE_TOO_LARGE while streaming: a 50 MB upload stops right after maxBytes', async () => {
  const head = Buffer.from('--b\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n');
  const total = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let yielded = 0;
  const stream = new Readable({
    read() {
      if (yielded >= total) { this.push(null); return; }
      const piece = yielded === 0 ? Buffer.concat([head, chunk]) : chunk;
      yielded += piece.length;
      this.push(piece);
    },
  });
  const started = performance.now();
  const r = await refused(stream, 'multipart/form-data; boundary=b', 'MG_IMAGE_TOO_LARGE');
  assert.match(r.detail ?? '', /above/);
  await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more is pulled afterwards
  console.log(`50 MB upload refused after the stream yielded ${yielded} bytes (maxBytes ${LIMITS.maxBytes}) in ${(performance.now() - started).toFixed(1)} ms`);
  assert.ok(yielded > LIMITS.maxBytes);
  assert.ok(yielded < LIMITS.maxBytes + 256 * 1024, `read ${yielded} bytes`);
  assert.ok(stream.isPaused());
});

test('file of exactly maxBytes is accepted, one byte more is refused', async () => {
  const limits = { ...LIMITS, maxBytes: 5000 };
  const at = F.multipartBody([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.alloc(5000, 1) }]);
  const r = await parsed(at.body, at.contentType, 1000, limits);
  assert.equal(r.file.length, 5000);
  const over = F.multipartBody([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.alloc(5001, 1) }]);
  await refused(over.body, over.contentType, 'MG_IMAGE_TOO_LARGE', limits);
});

test('MG_TOO_MANY_IMAGES: a second file part', async () => {
  const png = await F.validPng();
  const { body, contentType } = F.multipartBody([
    { name: 'image', filename: 'a.png', type: 'image/png', data: png },
    { name: 'mask', filename: 'b.png', type: 'image/png', data: png },
  ]);
  await refused(body, contentType, 'MG_TOO_MANY_IMAGES');
});

test('MG_REQUEST_INVALID: no file part, too many fields, a field too large, bad names, transfer encodings', async () => {
  const png = await F.validPng();
  const file = { name: 'image', filename: 'a.png', type: 'image/png', data: png };
  const noFile = F.multipartBody([{ name: 'prompt', data: 'hi' }]);
  await refused(noFile.body, noFile.contentType, 'MG_REQUEST_INVALID');
  const many = (n: number): F.TestPart[] => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, data: 'v' }));
  const ok = F.multipartBody([...many(MAX_FIELDS), file]);
  assert.equal((await parsed(ok.body, ok.contentType, 500)).fields.length, MAX_FIELDS);
  const tooMany = F.multipartBody([...many(MAX_FIELDS + 1), file]);
  await refused(tooMany.body, tooMany.contentType, 'MG_REQUEST_INVALID');
  const bigField = F.multipartBody([{ name: 'prompt', data: 'x'.repeat(MAX_FIELD_BYTES + 1) }, file]);
  await refused(bigField.body, bigField.contentType, 'MG_REQUEST_INVALID');
  const maxField = F.multipartBody([{ name: 'prompt', data: 'x'.repeat(MAX_FIELD_BYTES) }, file]);
  assert.equal((await parsed(maxField.body, maxField.contentType, 4096)).fields[0]?.[1].length, MAX_FIELD_BYTES);
  const longName = F.multipartBody([{ name: 'n'.repeat(1000), data: 'v' }, file]);
  await refused(longName.body, longName.contentType, 'MG_REQUEST_INVALID');
  const b64 = F.multipartBody([{ ...file, data: png.toString('base64'), headers: ['Content-Transfer-Encoding: base64'] }]);
  await refused(b64.body, b64.contentType, 'MG_REQUEST_INVALID');
});

test('MG_REQUEST_INVALID: malformed multipart (no boundary, truncated body, garbage)', async () => {
  const png = await F.validPng();
  const good = F.multipartBody([{ name: 'image', filename: 'a.png', type: 'image/png', data: png }]);
  await refused(good.body, 'multipart/form-data', 'MG_REQUEST_INVALID');
  await refused(good.body.subarray(0, good.body.length - 40), good.contentType, 'MG_REQUEST_INVALID');
  await refused(good.body.subarray(0, good.body.length - 10), good.contentType, 'MG_REQUEST_INVALID');
  await refused(Buffer.from('this is not multipart at all'), good.contentType, 'MG_REQUEST_INVALID');
  await refused(Buffer.alloc(0), good.contentType, 'MG_REQUEST_INVALID');
});

test('MG_UNSUPPORTED_MEDIA_TYPE: not multipart/form-data', async () => {
  await refused(Buffer.from('a=1&b=2'), 'application/x-www-form-urlencoded', 'MG_UNSUPPORTED_MEDIA_TYPE');
  await refused(Buffer.from('{}'), 'application/json', 'MG_UNSUPPORTED_MEDIA_TYPE');
  await refused(Buffer.from('--b--'), 'multipart/mixed; boundary=b', 'MG_UNSUPPORTED_MEDIA_TYPE');
});

test('MG_BODY_TOO_LARGE: junk outside the file (ignored parts, preamble) is capped too', async () => {
  const limits = { ...LIMITS, maxBytes: 10_000 };
  const junk = Buffer.alloc(3 * 1024 * 1024, 0x62);
  const skipped = Buffer.concat([Buffer.from('--b\r\nX-Junk: 1\r\n\r\n'), junk, Buffer.from('\r\n--b--\r\n')]);
  await refused(skipped, 'multipart/form-data; boundary=b', 'MG_BODY_TOO_LARGE', limits);
  const preamble = Buffer.concat([junk, Buffer.from('\r\n--b--\r\n')]);
  await refused(preamble, 'multipart/form-data; boundary=b', 'MG_BODY_TOO_LARGE', limits);
});

test('MG_BODY_INCOMPLETE: the source stream fails mid-body', async () => {
  const good = F.multipartBody([{ name: 'image', filename: 'a.png', type: 'image/png', data: await F.validPng() }]);
  let sent = false;
  const stream = new Readable({
    read() {
      if (!sent) { sent = true; this.push(good.body.subarray(0, 100)); return; }
      this.destroy(new Error('ECONNRESET'));
    },
  });
  await refused(stream, good.contentType, 'MG_BODY_INCOMPLETE');
});

test('MG_BODY_INCOMPLETE: a stream that was already consumed', async () => {
  const stream = Readable.from([Buffer.from('x')]);
  for await (const _chunk of stream) { /* drain */ }
  await refused(stream, 'multipart/form-data; boundary=b', 'MG_BODY_INCOMPLETE');
});

test('never throws or hangs: random byte flips, cuts and chunkings of a valid body', async () => {
  const png = await F.validPng();
  const { body, contentType } = F.multipartBody([{ name: 'prompt', data: 'hello' }, { name: 'image', filename: 'a.png', type: 'image/png', data: png }]);
  const mutation = fc.record({
    flips: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
    cut: fc.option(fc.nat()),
    chunk: fc.integer({ min: 1, max: 600 }),
  });
  await fc.assert(fc.asyncProperty(mutation, async (m) => {
    let buf = Buffer.from(body);
    for (const [pos, byte] of m.flips) buf[pos % buf.length] = byte;
    if (m.cut !== null) buf = buf.subarray(0, m.cut % (buf.length + 1));
    let timer: NodeJS.Timeout | undefined;
    // A cap that only a real hang reaches (a parse takes milliseconds, even on a loaded machine).
    const hang = new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), 10_000); });
    const r = await Promise.race([readMultipart(chunked(buf, m.chunk), contentType, LIMITS), hang]);
    clearTimeout(timer);
    assert.notEqual(r, 'hang');
    if (!isDenial(r) && r !== 'hang') assert.ok(r.file.length <= LIMITS.maxBytes);
  }), { numRuns: 300 });
});

test('buildMultipart: fresh random boundary, escaped names, default filename, no header injection', async () => {
  const png = await F.validPng();
  const a = buildMultipart({ file: png, fileType: 'image/png', filename: null, fieldName: 'im"age\r\nX: y', fields: [['a"b', 'v']] });
  const b = buildMultipart({ file: png, fileType: 'image/png', filename: null, fieldName: 'image', fields: [] });
  assert.notEqual(a.contentType, b.contentType);
  const head = a.body.subarray(0, a.body.indexOf(F.PNG_SIGNATURE)).toString('latin1');
  assert.match(head, /name="im%22age%0D%0AX: y"; filename="image\.png"\r\nContent-Type: image\/png\r\n\r\n$/);
  assert.ok(!head.includes('\r\nX: y'));
  const r = await parsed(a.body, a.contentType);
  assert.equal(r.fieldName, 'im%22age%0D%0AX: y');
  assert.equal(r.filename, 'image.png');
  assert.deepEqual(r.fields, [['a%22b', 'v']]);
  assert.throws(() => buildMultipart({ file: png, fileType: 'image/png\r\nX-Evil: 1', filename: null, fieldName: 'image', fields: [] }), TypeError);
});
