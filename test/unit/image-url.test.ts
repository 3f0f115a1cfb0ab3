// checkImageUrl: scheme, allow list, metadata names, IP literals in every spelling, and every
// resolved address (injected lookup, no real DNS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImageUrl, isForbiddenAddress, type HostLookup } from '../../src/protocols/image/index.js';
import { isDenial } from '../../src/errors.js';

function resolvesTo(...addresses: string[]): HostLookup & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string): Promise<Array<{ address: string; family: number }>> => {
    calls.push(host);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

async function forbidden(url: string, allow: readonly string[], lookup: HostLookup = resolvesTo('93.184.216.34'), why?: RegExp): Promise<void> {
  const r = await checkImageUrl(url, allow, lookup);
  assert.ok(isDenial(r), `${url} should be refused`);
  assert.equal(r.code, 'MG_IMAGE_URL_FORBIDDEN');
  if (why) assert.match(r.detail ?? '', why, url);
}

async function allowed(url: string, allow: readonly string[], lookup: HostLookup = resolvesTo('93.184.216.34')): Promise<void> {
  assert.equal(await checkImageUrl(url, allow, lookup), undefined, `${url} should be allowed`);
}

test('a public address is allowed when the host is listed (case-insensitive, trailing dot)', async () => {
  const lookup = resolvesTo('93.184.216.34');
  await allowed('https://images.example.com/cat.png', ['images.example.com'], lookup);
  await allowed('http://IMAGES.Example.COM./cat.png?x=1', ['Images.example.com'], lookup);
  assert.deepEqual(lookup.calls, ['images.example.com', 'images.example.com']);
  await allowed('https://images.example.com:8443/a.png', ['images.example.com'], resolvesTo('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'));
});

test('a host not on the list is refused, without any lookup; an empty list refuses everything', async () => {
  const lookup = resolvesTo('93.184.216.34');
  await forbidden('https://evil.example.net/a.png', ['images.example.com'], lookup);
  await forbidden('https://images.example.com.evil.net/a.png', ['images.example.com'], lookup);
  await forbidden('https://sub.images.example.com/a.png', ['images.example.com'], lookup);
  await forbidden('https://images.example.com/a.png', [], lookup);
  // userinfo tricks: the real host is evil.net
  await forbidden('https://images.example.com@evil.net/a.png', ['images.example.com'], lookup);
  assert.deepEqual(lookup.calls, []);
});

test('only http and https', async () => {
  for (const url of ['ftp://images.example.com/a.png', 'file:///etc/passwd', 'gopher://images.example.com/', 'data:image/png;base64,AAAA', 'javascript:alert(1)', 'not a url']) {
    await forbidden(url, ['images.example.com']);
  }
});

test('credentials in the URL are refused', async () => {
  await forbidden('https://user:pass@images.example.com/a.png', ['images.example.com']);
});

test('a listed host resolving to a private, loopback, link-local or mapped address is refused', async () => {
  const allow = ['images.example.com'];
  for (const addr of ['169.254.169.254', '127.0.0.1', '::ffff:10.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '100.64.0.1', '0.0.0.0', '::', '::1', 'fe80::1', 'fd00::1', 'fc00::1', '224.0.0.1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1',
    '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', '255.255.255.255', '192.0.0.192']) {
    await forbidden('https://images.example.com/a.png', allow, resolvesTo(addr), /resolves to/);
  }
  // One bad address among good ones is enough.
  await forbidden('https://images.example.com/a.png', allow, resolvesTo('93.184.216.34', '10.0.0.1'));
});

test('lookup failures and empty answers are refused (fail closed)', async () => {
  await forbidden('https://images.example.com/a.png', ['images.example.com'], async () => { throw new Error('ENOTFOUND'); });
  await forbidden('https://images.example.com/a.png', ['images.example.com'], resolvesTo());
});

test('IP literals are checked directly, even when listed: metadata, loopback, decimal/octal/hex forms', async () => {
  const noLookup: HostLookup = async () => { throw new Error('must not resolve an IP literal'); };
  const addr = /^address /;
  await forbidden('http://169.254.169.254/latest/meta-data', ['169.254.169.254'], noLookup, /address 169\.254\.169\.254/);
  await forbidden('http://169.254.169.254/latest/meta-data', [], noLookup, /not allowed/);
  await forbidden('http://[::1]/', ['[::1]'], noLookup, /address ::1/);
  await forbidden('http://[::1]/', ['::1'], noLookup, /address ::1/);
  await forbidden('http://2852039166/', ['169.254.169.254'], noLookup, /address 169\.254\.169\.254/); // decimal form
  await forbidden('http://2852039166/', ['2852039166'], noLookup, /address 169\.254\.169\.254/);
  await forbidden('http://2852039166/', [], noLookup, /not allowed/);
  await forbidden('http://0xA9FEA9FE/', ['169.254.169.254'], noLookup, addr);
  await forbidden('http://0251.0376.0251.0376/', ['169.254.169.254'], noLookup, addr);
  await forbidden('http://127.1/', ['127.0.0.1'], noLookup, addr);
  await forbidden('http://[::ffff:127.0.0.1]/', ['[::ffff:7f00:1]'], noLookup, addr);
  await forbidden('http://[::ffff:a9fe:a9fe]/', ['::ffff:169.254.169.254'], noLookup, addr);
  await allowed('http://93.184.216.34/a.png', ['93.184.216.34'], noLookup);
});

test('metadata and local hostnames are refused even when listed and resolving publicly', async () => {
  for (const host of ['metadata.google.internal', 'metadata', 'localhost', 'foo.localhost', 'printer.local', 'instance-data.ec2.internal']) {
    await forbidden(`http://${host}/computeMetadata/v1/`, [host], resolvesTo('93.184.216.34'), /local or metadata/);
  }
});

test('isForbiddenAddress', () => {
  assert.equal(isForbiddenAddress('93.184.216.34'), false);
  assert.equal(isForbiddenAddress('2606:2800:220:1:248:1893:25c8:1946'), false);
  assert.equal(isForbiddenAddress('::ffff:93.184.216.34'), false);
  assert.equal(isForbiddenAddress('8.8.8.8'), false);
  assert.equal(isForbiddenAddress('172.32.0.1'), false);
  assert.equal(isForbiddenAddress('100.128.0.1'), false);
  assert.equal(isForbiddenAddress('fe80::1%eth0'), true);
  assert.equal(isForbiddenAddress('not-an-ip'), true);
  assert.equal(isForbiddenAddress('172.15.255.255'), false);
  assert.equal(isForbiddenAddress('172.16.0.0'), true);
});
