// decodeDataUrl: size checked from the base64 length before decoding, strict base64, image
// types only; the decoded bytes then go through inspectImage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataUrl, inspectImage, type ImageLimits } from '../../src/protocols/image/index.js';
import { isDenial, type ErrorCode } from '../../src/errors.js';
import * as F from '../image-files.js';

const LIMITS: ImageLimits = F.testLimits();

function refused(url: string, code: ErrorCode, limits: ImageLimits = LIMITS): void {
  const r = decodeDataUrl(url, limits);
  assert.ok(isDenial(r), `expected ${code}, got bytes`);
  assert.equal(r.code, code, r.detail);
}

test('decodes a valid data URL of each allowed type, and the bytes pass inspectImage', async () => {
  for (const [mime, buf] of [
    ['image/png', await F.validPng()], ['image/jpeg', await F.validJpeg()], ['image/gif', await F.validGif()], ['image/webp', await F.validWebp()],
  ] as const) {
    const r = decodeDataUrl(F.dataUrl(buf, mime), LIMITS);
    assert.ok(!isDenial(r));
    assert.equal(r.mime, mime);
    assert.ok(r.bytes.equals(buf));
    assert.ok(!isDenial(await inspectImage(r.bytes, r.mime, LIMITS)));
  }
});

test('accepts unpadded base64', async () => {
  const png = await F.validPng();
  const r = decodeDataUrl(`data:image/png;base64,${png.toString('base64').replace(/=+$/, '')}`, LIMITS);
  assert.ok(!isDenial(r));
  assert.ok(r.bytes.equals(png));
});

test('accepts image/jpg, upper case and extra parameters', async () => {
  const jpeg = await F.validJpeg();
  const r = decodeDataUrl(`DATA:Image/JPG;name=x.jpg;BASE64,${jpeg.toString('base64')}`, LIMITS);
  assert.ok(!isDenial(r));
  assert.equal(r.mime, 'image/jpeg');
});

test('MG_IMAGE_TOO_LARGE from the base64 length, before decoding (data-URL bomb)', () => {
  const bomb = F.dataUrlBomb(50);
  refused(bomb, 'MG_IMAGE_TOO_LARGE'); // first call flattens the test's concatenated string (JSON.parse makes flat ones)
  const started = performance.now();
  refused(bomb, 'MG_IMAGE_TOO_LARGE');
  console.log(`50 MiB data-URL bomb refused in ${(performance.now() - started).toFixed(3)} ms`);
  // Proof that nothing was scanned or decoded first (no timing needed): a payload that is not
  // base64 at all would be MG_IMAGE_CORRUPT if it were looked at before the size check.
  const notBase64 = `data:image/png;base64,${'!'.repeat(bomb.length - 22)}`;
  refused(notBase64, 'MG_IMAGE_TOO_LARGE');
  refused(`data:image/png;base64,${'!'.repeat(400)}`, 'MG_IMAGE_CORRUPT'); // the same payload, small: it is looked at
  // Exactly at the limit is accepted, one byte over is not.
  const at = `data:image/png;base64,${Buffer.alloc(3000).toString('base64')}`;
  assert.ok(!isDenial(decodeDataUrl(at, { ...LIMITS, maxBytes: 3000 })));
  refused(at, 'MG_IMAGE_TOO_LARGE', { ...LIMITS, maxBytes: 2999 });
  const padded = `data:image/png;base64,${Buffer.alloc(3001).toString('base64')}`;
  assert.equal((decodeDataUrl(padded, { ...LIMITS, maxBytes: 3001 }) as { bytes: Buffer }).bytes.length, 3001);
  refused(padded, 'MG_IMAGE_TOO_LARGE', { ...LIMITS, maxBytes: 3000 });
});

test('MG_IMAGE_TYPE_NOT_ALLOWED: not base64, not an image, type not in the list', async () => {
  const png = (await F.validPng()).toString('base64');
  refused(`data:image/png,${encodeURIComponent('\x89PNG')}`, 'MG_IMAGE_TYPE_NOT_ALLOWED');
  refused(`data:text/html;base64,${Buffer.from(F.HTML_TEXT).toString('base64')}`, 'MG_IMAGE_TYPE_NOT_ALLOWED');
  refused(`data:image/svg+xml;base64,${Buffer.from(F.SVG_TEXT).toString('base64')}`, 'MG_IMAGE_TYPE_NOT_ALLOWED');
  refused(`data:;base64,${png}`, 'MG_IMAGE_TYPE_NOT_ALLOWED');
  refused(`data:image/png;base64,${png}`, 'MG_IMAGE_TYPE_NOT_ALLOWED', { ...LIMITS, types: ['image/jpeg'] });
});

test('MG_IMAGE_CORRUPT: malformed data URLs', async () => {
  const png = (await F.validPng()).toString('base64');
  refused('http://example.com/a.png', 'MG_IMAGE_CORRUPT');
  refused(`data:image/png;base64${png}`, 'MG_IMAGE_CORRUPT'); // no comma
  refused('data:image/png;base64,', 'MG_IMAGE_CORRUPT'); // empty
  refused(`data:image/png;base64,${png.slice(0, 10)} ${png.slice(10)}`, 'MG_IMAGE_CORRUPT'); // whitespace
  refused(`data:image/png;base64,${png.replace(/\+/g, '-').replace(/\//g, '_')}-_`, 'MG_IMAGE_CORRUPT'); // base64url
  const bare = png.replace(/=+$/, '');
  refused(`data:image/png;base64,${bare}${'A'.repeat((5 - (bare.length % 4)) % 4)}`, 'MG_IMAGE_CORRUPT'); // length % 4 === 1
  refused(`data:image/png;base64,AB=C`, 'MG_IMAGE_CORRUPT'); // '=' inside
  refused(`data:image/png;base64,ABC=D===`, 'MG_IMAGE_CORRUPT');
  refused(`data:image/png;base64,${png}%3D`, 'MG_IMAGE_CORRUPT'); // URL escape
  // A comma far from the start is not searched for.
  refused(`data:image/png;${'x'.repeat(300)};base64,${png}`, 'MG_IMAGE_CORRUPT');
});
