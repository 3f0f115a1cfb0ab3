// Configuration loading: every example in docs/configuration.md loads; unknown keys, wildcard
// CORS, missing environment variables and not-yet-supported keys fail with their YAML path;
// the emitted JSON Schema is in sync with the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { schemaText } from '../../src/cli/schema.js';
import { durationMs, sizeBytes } from '../../src/config/units.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** The variables the documentation's examples name. */
const DOC_ENV = { MODELGATE_ADMIN_TOKEN: 'a'.repeat(32), BATCH_KEY: 'b'.repeat(32), GUARD_API_KEY: 'g'.repeat(32) };

const MINIMAL = `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
`;

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfigText(yaml, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('every yaml example in docs/configuration.md loads', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  assert.ok(blocks.length >= 3, 'the doc has examples');
  for (const b of blocks) assert.deepEqual(problems(b, DOC_ENV), [], b.slice(0, 80));
});

test('the design example (test/fixtures copy) is the current contract in shared/design, when that is present', (t) => {
  const shared = new URL('../../../../shared/design/modelgate.example.yaml', import.meta.url);
  if (!existsSync(shared)) return t.skip('shared/design is not beside this checkout');
  assert.equal(readFileSync('test/fixtures/modelgate.example.yaml', 'utf8'), readFileSync(shared, 'utf8'));
  return undefined;
});

test('the design example loads with every key it shows supported: only its certificate files are missing', () => {
  const text = readFileSync('test/fixtures/modelgate.example.yaml', 'utf8');
  const all = problems(text, DOC_ENV);
  // server.tls is supported: the example's certificate files do not exist on this machine, and
  // exactly those three "cannot read" problems are reported.
  const tlsFiles = all.filter((p) => p.startsWith('server.tls'));
  assert.deepEqual(tlsFiles, [
    'server.tls.cert: cannot read /etc/modelgate/tls/tls.crt (ENOENT)',
    'server.tls.key: cannot read /etc/modelgate/tls/tls.key (ENOENT)',
    'server.tls.clientCA: cannot read /etc/modelgate/tls/ca.crt (ENOENT)',
  ]);
  const ps = all.filter((p) => !p.startsWith('server.tls'));
  // Every key the example shows is implemented (injection.external and output.links were the last).
  assert.deepEqual(ps, []);
  // Without its certificate files (and the mTLS identities that need them) the example loads, with every key resolved.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a free-form YAML document edited in place
  const doc = parseYaml(text) as Record<string, any>;
  delete doc.server.tls; delete doc.server.http2; delete doc.auth.clients; delete doc.metrics;
  delete doc.upstreams.llm.tls;
  const c = loadConfigText(stringifyYaml(doc), DOC_ENV);
  assert.equal(c.server.sendTimeoutMs, 30_000);
  assert.equal(c.server.maxHeaders, 100);
  assert.deepEqual(c.server.shutdown, { delayMs: 5_000, timeoutMs: 30_000 });
  assert.equal(c.upstreams.get('llm')?.maxResponseBytes, 16 * 1024 * 1024);
  assert.deepEqual(c.upstreams.get('llm')?.breaker, { consecutive5xx: 5, consecutiveGatewayErrors: 3, successRate: null, openForMs: 30_000, maxOpenForMs: 300_000, maxEjectedPercent: 50 });
  assert.deepEqual(c.upstreams.get('llm')?.healthCheck, { path: '/health', intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 1, unhealthyThreshold: 2 });
  assert.deepEqual(c.routes[0]?.forwardHeaders, ['x-request-priority']);
  assert.equal(c.routes[0]?.forwardQuery, false);
  const ext = c.routes[0]?.injection.external;
  assert.equal(ext?.url.href, 'https://guard.example.com/v2/guard');
  assert.equal(ext?.format, 'lakera-v2');
  assert.equal(ext?.timeoutMs, 300);
  assert.equal(ext?.onError, 'fail-open');
  assert.deepEqual(ext?.headers, { authorization: `Bearer ${DOC_ENV.GUARD_API_KEY}` });
  assert.deepEqual(c.routes[0]?.output?.links, { allow: ['example.com'], action: 'strip', images: true, links: true });
  assert.equal(c.abuse?.authFailures?.threshold, 20);
  assert.equal(c.abuse?.keySpread?.action, 'flag');
  assert.equal(c.auth.keyStore, '/var/lib/modelgate/keys.json');
  assert.deepEqual(c.auth.keys.find((k) => k.id === 'partner-eu')?.scope, { expiresAt: Date.UTC(2027, 5, 30), routes: ['/v1/chat/completions'], models: ['llama-3-8b'], allowedCidrs: ['203.0.113.0/24'] });
});

test('metrics.maxKeySeries: default 1000, an integer ≥ 0, unknown metrics keys refused', () => {
  assert.equal(loadConfigText(MINIMAL, {}).metrics.maxKeySeries, 1000);
  assert.equal(loadConfigText(`${MINIMAL}metrics: { maxKeySeries: 5 }\n`, {}).metrics.maxKeySeries, 5);
  assert.ok(problems(`${MINIMAL}metrics: { maxKeySeries: -1 }\n`).some((p) => p.startsWith('metrics.maxKeySeries')));
  assert.ok(problems(`${MINIMAL}metrics: { maxKeySeries: 1.5 }\n`).some((p) => p.startsWith('metrics.maxKeySeries')));
  assert.ok(problems(`${MINIMAL}metrics: { perKey: true }\n`).some((p) => p.startsWith('metrics')));
});

test('forwardHeaders naming a header that is never forwarded is an error with its path', () => {
  const ps = problems(MINIMAL.replace('protocol: openai-chat', 'protocol: openai-chat, forwardHeaders: [X-Tenant, Authorization, X-Forwarded-User, X-HTTP-Method-Override, x-api-key, Connection]'), {});
  for (const [i, h] of [[1, 'Authorization'], [2, 'X-Forwarded-User'], [3, 'X-HTTP-Method-Override'], [4, 'x-api-key'], [5, 'Connection']] as const) {
    assert.ok(ps.some((p) => p.startsWith(`routes[0].forwardHeaders[${i}]: ${h} is never forwarded`)), ps.join('\n'));
  }
  assert.equal(ps.length, 5, ps.join('\n'));
});

test('defaults are filled in', () => {
  const c = loadConfigText(MINIMAL, {});
  assert.equal(c.server.port, 8080);
  assert.equal(c.admin.host, '127.0.0.1');
  const r = c.routes[0];
  assert.ok(r);
  assert.equal(r.limits.maxBodyBytes, 100 * 1024);
  assert.equal(r.limits.maxTokens, 4096);
  assert.equal(r.limits.maxMessages, 50);
  assert.equal(r.limits.maxJsonDepth, 32);
  assert.equal(r.injection.action, 'block');
  assert.deepEqual(r.methods, ['POST']);
});

test('an unknown key is an error naming its path', () => {
  const ps = problems(MINIMAL.replace('targets:', 'bogusKey: 1, targets:'));
  assert.deepEqual(ps, ['upstreams.llm.bogusKey: unknown key']);
  assert.deepEqual(problems(`${MINIMAL}\nextra: 1`), ['extra: unknown key']);
  assert.deepEqual(problems(MINIMAL.replace('upstream: llm }', 'upstream: llm, limits: { maxTokenz: 5 } }')), ['routes[0].limits.maxTokenz: unknown key']);
});

test('a wildcard CORS origin is an error', () => {
  assert.deepEqual(problems(`${MINIMAL}\nserver: { cors: { origins: ["*"] } }`), ['server.cors.origins[0]: a wildcard origin is not allowed; list exact origins']);
  assert.equal(problems(`${MINIMAL}\nserver: { cors: { origins: ["https://*.example.com"] } }`).length, 1);
});

test('a missing environment variable names the variable and the path', () => {
  const yaml = MINIMAL.replace('hash: "sha256:' + '0'.repeat(64) + '"', 'key: "${MY_SECRET_KEY}"');
  assert.deepEqual(problems(yaml, {}), ['auth.keys[0].key: environment variable MY_SECRET_KEY is not set']);
  assert.deepEqual(problems(yaml, { MY_SECRET_KEY: 'k'.repeat(20) }), []);
  assert.deepEqual(problems(MINIMAL.replace('8000', '${PORT:-9000}'), {}), []);
  const c = loadConfigText(`${MINIMAL}\nserver: { port: "\${P:-7000}" }`, {});
  assert.equal(c.server.port, 7000);
});

test('semantic errors: unknown upstream, duplicate routes, bad CIDR, bad target, key given twice', () => {
  assert.deepEqual(problems(MINIMAL.replace('upstream: llm', 'upstream: nope')), ['routes[0].upstream: no upstream named "nope"']);
  assert.ok(problems(MINIMAL.replace('routes: [', 'routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm },')).some((p) => /duplicate route/.test(p)));
  assert.deepEqual(problems(`${MINIMAL}\nserver: { trustedProxies: [10.0.0.0/33] }`), ['server.trustedProxies[0]: not an IP address or CIDR range']);
  assert.equal(problems(MINIMAL.replace('http://127.0.0.1:8000', 'http://127.0.0.1:8000/v1')).length, 1);
  assert.deepEqual(problems(MINIMAL.replace('{ id: k, hash', '{ id: k, key: "abcdefghijklmnopq", hash')), ['auth.keys[0]: exactly one of hash, key, keyFile is required']);
});

test('type errors name the path; enums list their values', () => {
  assert.ok(problems(MINIMAL.replace('upstream: llm }', 'upstream: llm, limits: { maxBodyBytes: lots } }'))[0]?.startsWith('routes[0].limits.maxBodyBytes'));
  const ps = problems(MINIMAL.replace('upstream: llm }', 'upstream: llm, injection: { action: shout } }'));
  assert.deepEqual(ps, ['routes[0].injection.action: must be one of "block", "flag", "off"']);
});

test('YAML errors and aliases bombs are refused', () => {
  assert.match(problems('a: [')[0] ?? '', /^\(yaml\)/);
  const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]`;
  assert.match(problems(bomb)[0] ?? '', /^\(yaml\)/);
});

test('units', () => {
  assert.equal(durationMs('250ms'), 250);
  assert.equal(durationMs('1.5s'), 1500);
  assert.equal(durationMs('1d'), 86_400_000);
  assert.equal(sizeBytes('100kb'), 102_400);
  assert.equal(sizeBytes('10mb'), 10 * 1024 * 1024);
  assert.equal(sizeBytes(512), 512);
});

test('schema/modelgate.schema.json is in sync with the code (run `npm run schema` after changing it)', async () => {
  assert.equal(readFileSync('schema/modelgate.schema.json', 'utf8'), await schemaText());
});

test('tiers: keys must name existing tiers; exempt tiers have no limits; redis needs a url', () => {
  const withTier = MINIMAL.replace('{ id: k, hash', '{ id: k, tier: gold, hash');
  assert.deepEqual(problems(withTier), ['auth.keys[0].tier: no tier named "gold" under tiers']);
  assert.deepEqual(problems(`${withTier}\ntiers: { gold: { requests: { rate: 10, per: 1m } } }`), []);
  assert.deepEqual(problems(`${MINIMAL}\ntiers: { default: nope }`), ['tiers.default: no tier named "nope"']);
  assert.deepEqual(problems(`${MINIMAL}\ntiers: { x: { exempt: true, concurrency: 2 } }`), ['tiers.x: an exempt tier has no limits; remove them or exempt']);
  assert.deepEqual(problems(`${MINIMAL}\nstore: { kind: redis }`), ['store.url: required when kind is redis']);
  assert.deepEqual(problems(`${MINIMAL}\ntiers: { x: { requests: { rate: 10, per: 1m, burstt: 1 } } }`), ['tiers.x.requests.burstt: unknown key']);
  const c = loadConfigText(`${withTier}\ntiers: { gold: { cost: { rate: 100, per: 1m }, budget: { cost: 1000, per: 1d } } }`, {});
  assert.deepEqual(c.tiers.get('gold')?.cost, { rate: 100, periodMs: 60_000, burst: 100, algorithm: 'gcra' });
  assert.deepEqual(c.tiers.get('gold')?.budget, { cost: 1000, periodMs: 86_400_000 });
  assert.equal(c.store.kind, 'memory');
  assert.equal(c.store.timeoutMs, 500);
});

test('output protection: keys resolved, and wrong combinations fail with their path', () => {
  const ok = loadConfigText(MINIMAL.replace('upstream: llm }', 'upstream: llm, output: { redact: [email, api_key], allow: [help@acme.example], canary: { fragments: ["You are the ACME helpdesk"] } } }'), {});
  const o = ok.routes[0]?.output;
  assert.deepEqual(o?.types, ['email', 'api_key']);
  assert.equal(o?.action, 'redact');
  assert.equal(o?.onError, 'fail-closed');
  assert.match(o?.canary?.wording ?? '', /\{canary\}/);
  assert.deepEqual(o?.fragments, ['You are the ACME helpdesk']);
  assert.equal(loadConfigText(MINIMAL, {}).routes[0]?.output, null);
  const bad = (route: string): string[] => problems(MINIMAL.replace('routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]', `routes: [ ${route} ]`));
  assert.ok(bad('{ path: /v1/embeddings, protocol: openai-embeddings, upstream: llm, output: { redact: [email] } }').some((p) => p.startsWith('routes[0].output:')));
  assert.ok(bad('{ path: /v1/completions, protocol: openai-completions, upstream: llm, output: { canary: true } }').some((p) => p.startsWith('routes[0].output.canary:')));
  assert.ok(bad('{ path: /c, protocol: openai-chat, upstream: llm, output: { canary: { wording: "no marker here" } } }').some((p) => p.startsWith('routes[0].output.canary.wording:')));
  assert.ok(bad('{ path: /c, protocol: openai-chat, upstream: llm, output: { redact: [passport] } }').some((p) => p.startsWith('routes[0].output.redact')));
  assert.ok(bad('{ path: /c, protocol: openai-chat, upstream: llm, output: { action: drop } }').some((p) => p.startsWith('routes[0].output.action')));
  assert.ok(bad('{ path: /c, protocol: openai-chat, upstream: llm, output: { links: { action: remove } } }').some((p) => p.startsWith('routes[0].output.links.action')));
  assert.ok(bad('{ path: /c, protocol: openai-chat, upstream: llm, output: { links: { allow: ["evil.test/path"] } } }').some((p) => p.startsWith('routes[0].output.links.allow')));
});

test('output.links: defaults strip images and links; off (or neither kind) filters nothing', () => {
  const route = (links: string): unknown => loadConfigText(MINIMAL.replace('upstream: llm }', `upstream: llm, output: { links: ${links} } }`), {}).routes[0]?.output;
  assert.deepEqual((route('{ allow: [example.com] }') as { links: unknown }).links, { allow: ['example.com'], action: 'strip', images: true, links: true });
  assert.deepEqual((route('{ action: block, images: false }') as { links: unknown }).links, { allow: [], action: 'block', images: false, links: true });
  // systemPromptLeak is on by default on chat routes, so the output block itself stays.
  assert.equal((route('{ action: off }') as { links: unknown }).links, null);
  assert.equal((route('{ images: false, links: false }') as { links: unknown }).links, null);
});

test('tensor and image routes: keys resolved with protocol defaults; wrong declarations fail with their path', () => {
  const routes = (r: string): string => MINIMAL.replace('routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]', `routes: [ ${r} ]`);
  const c = loadConfigText(routes('{ path: "/v2/models/{model}/infer", protocol: kserve-v2, upstream: llm, models: { m: { inputs: [ { name: x, datatype: FP32, shape: [-1, 3] } ], maxBatch: 4 } } }, { path: /up, protocol: image-upload, upstream: llm, limits: { maxBytes: 1mb } }'), {});
  assert.equal(c.routes[0]?.limits.maxBodyBytes, 64 * 1024 * 1024);
  assert.equal(c.routes[0]?.injection.action, 'off');
  assert.deepEqual(c.routes[0]?.models?.m?.inputs[0]?.shape, [-1, 3]);
  assert.equal(c.routes[1]?.limits.maxBodyBytes, 1024 * 1024 + 64 * 1024);
  assert.deepEqual(c.routes[1]?.limits.decompress, []);
  const bad = (r: string): string[] => problems(routes(r));
  assert.ok(bad('{ path: "/v2/models/{model}/infer", protocol: kserve-v2, upstream: llm }').some((p) => p.startsWith('routes[0].models:')));
  assert.ok(bad('{ path: "/v2/models/{model}/infer", protocol: kserve-v2, upstream: llm, models: { m: { inputs: [ { name: x, datatype: FP32, shape: [-2] } ] } } }').some((p) => p.startsWith('routes[0].models')));
  assert.ok(bad('{ path: "/v2/models/{model}/infer", protocol: kserve-v2, upstream: llm, models: { m: { inputs: [ { name: x, datatype: FLOAT, shape: [1] } ] } } }').some((p) => p.startsWith('routes[0].models')));
  assert.ok(bad('{ path: /v2/models/x/infer, protocol: kserve-v2, upstream: llm, models: { a: { inputs: [ { name: x, datatype: FP32, shape: [1] } ] }, b: { inputs: [ { name: x, datatype: FP32, shape: [1] } ] } } }').some((p) => p.startsWith('routes[0].models:')));
  assert.ok(bad('{ path: "/models/{model}", protocol: torchserve, upstream: llm }').some((p) => p.startsWith('routes[0].path:')));
  assert.ok(bad('{ path: "/v2/models/{model}", protocol: kserve-v2, upstream: llm, methods: [GET] }').some((p) => p.startsWith('routes[0].models:')), 'a path that names a model declares the models');
  assert.deepEqual(bad('{ path: /v2/repository/index, protocol: kserve-v2, upstream: llm }'), [], 'a server-wide endpoint declares none');
  assert.ok(bad('{ path: /up, protocol: image-upload, upstream: llm, limits: { types: [image/svg+xml] } }').some((p) => p.startsWith('routes[0].limits.types:')));
  assert.ok(bad('{ path: /v1/chat/completions, protocol: openai-chat, upstream: llm, models: { m: {} } }').some((p) => p.startsWith('routes[0].models:')));
});
