// Installed like a tool: `npm pack`, then `npm install -g` of the tarball into a scratch prefix,
// and the installed `modelgate` works with no build step on the user's machine: --version,
// check-config, and the demo answering a real request (its console assets are in the package).
// The tarball holds the compiled code, the console page, the schema and the docs, and no tests,
// TypeScript sources or secrets. Installing must print no engine warning on this Node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const dir = mkdtempSync(join(tmpdir(), 'mg-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Caps for a hung npm only: an install from the registry takes a minute or more on a busy machine.
const LONG = 600_000;

test('npm pack + npm install -g: a working CLI with no build step', { timeout: LONG * 2 }, async () => {
  // dist/ is fresh (npm test builds first), so packing skips the prepare script's rebuild.
  const pack = spawnSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { encoding: 'utf8', timeout: LONG });
  assert.equal(pack.status, 0, pack.stderr);
  const info = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0];
  assert.ok(info !== undefined);
  const paths = info.files.map((f) => f.path);
  for (const p of ['dist/src/cli/main.js', 'console/index.html', 'console/app.js', 'schema/modelgate.schema.json', 'README.md', 'package.json']) assert.ok(paths.includes(p), `${p} is packed`);
  for (const p of paths) {
    assert.ok(!p.startsWith('dist/test/') && !p.startsWith('test/') && !p.startsWith('src/') && !p.startsWith('bench/'), `${p} must not be packed`);
    assert.ok(!/\.ts$/.test(p) || p.endsWith('.d.ts'), `${p}: no TypeScript sources`);
    assert.ok(!/\.(pem|key|env)$/.test(p), `${p}: no secrets`);
  }
  const prefix = join(dir, 'prefix');
  const install = spawnSync(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], { encoding: 'utf8', timeout: LONG });
  assert.equal(install.status, 0, install.stderr);
  assert.doesNotMatch(install.stderr, /EBADENGINE/, 'no engine warning on this Node');
  const bin = join(prefix, 'bin', 'modelgate');
  assert.ok(readdirSync(join(prefix, 'bin')).includes('modelgate'));
  const env = { PATH: process.env.PATH, HOME: dir };
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8', env, cwd: dir, timeout: LONG });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^modelgate \d+\.\d+\.\d+/);
  const cfg = join(dir, 'm.yaml');
  writeFileSync(cfg, `auth: { keys: [ { id: k, hash: "sha256:${'a'.repeat(64)}" } ] }\nupstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }\nroutes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]\n`);
  const check = spawnSync(bin, ['check-config', '--config', cfg], { encoding: 'utf8', env, cwd: dir, timeout: LONG });
  assert.equal(check.status, 0, check.stderr);

  // The demo from the installed package, outside the checkout.
  const demo = spawn(bin, ['demo', '--port', '0', '--admin-port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => demo.on('exit', (code) => r(code)));
  try {
    const seen = await new Promise<{ base: string; key: string; admin: string }>((resolve, reject) => {
      let base = '';
      let key = '';
      createInterface({ input: demo.stdout }).on('line', (l) => {
        base ||= /the gateway at (http:\/\/\S+)/.exec(l)?.[1] ?? '';
        key ||= /^\s+(mg_[A-Za-z0-9_-]{43})$/.exec(l)?.[1] ?? '';
        const admin = /curl -s (http:\/\/\S+)\/metrics/.exec(l)?.[1];
        if (admin !== undefined && base !== '' && key !== '') resolve({ base, key, admin });
      });
      demo.on('exit', () => reject(new Error('the demo exited before printing its key')));
    });
    const r = await fetch(`${seen.base}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${seen.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sim-llm', messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 3 }) });
    assert.equal(r.status, 200);
    assert.equal((await fetch(`${seen.admin}/console/app.js`)).status, 200, 'the console assets are in the package');
  } finally {
    demo.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
