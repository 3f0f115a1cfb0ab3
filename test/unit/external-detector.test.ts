// The external injection detector client (src/policies/external-detector.ts) against a real local
// HTTP service (test/guard-service.ts): both formats, every failure reason, the verdict cache
// (TTL on an injected clock, failures never cached), calls shared while in flight; and the
// configuration of injection.external (defaults, onError inheritance, headers from ${ENV},
// refused values, /admin/config redaction).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGuardService, type GuardService } from '../guard-service.js';
import { createExternalDetector, externalInspection, guardMessages, ExternalDetectorError, type GuardMessage } from '../../src/policies/external-detector.js';
import { EXTERNAL_DEFAULTS, externalPublicView, resolveExternal, type ExternalDetectorConfig } from '../../src/config/injection.js';
import type { Registry } from 'prom-client';
import { createMetrics } from '../../src/observability/metrics.js';
import { createTelemetry } from '../../src/observability/telemetry.js';
import { createLogger } from '../../src/observability/logger.js';
import type { EventBus, EventOf } from '../../src/observability/events.js';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { isDenial } from '../../src/errors.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { waitFor } from '../wait.js';
import { riskyWarnings, routeProtections } from '../../src/server/banner.js';

let g: GuardService;
before(async () => { g = await startGuardService(); });
after(async () => { await g.close(); });
beforeEach(() => { g.calls.length = 0; g.mode = 'clean'; g.queue.length = 0; g.decide = null; g.release(); });

function cfg(over: Partial<ExternalDetectorConfig> = {}): ExternalDetectorConfig {
  return { url: new URL(`${g.url}/v2/guard`), format: 'generic', timeoutMs: 10_000, onError: 'fail-closed', headers: { authorization: 'Bearer t0ken' }, cacheTtlMs: 60_000, cacheSize: 100, ...over };
}
/** The telemetry bus a gateway wires, with its metrics (the detector reports there). */
function telemetry(): { events: EventBus; reg: Registry } {
  const m = createMetrics({ defaultMetrics: false });
  return { events: createTelemetry(m, createLogger('silent')), reg: m.registry };
}
const MSGS: GuardMessage[] = [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'Hello there' }];

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ExternalDetectorError, String(err));
    return err.reason;
  }
  return 'no failure';
}

test('generic: the messages as sent, the headers, and the verdict with its score', async () => {
  const d = createExternalDetector(cfg());
  g.mode = 'flagged';
  assert.deepEqual(await d.check(MSGS), { flagged: true, score: 0.9, cached: false });
  g.mode = 'clean';
  assert.deepEqual(await d.check([{ role: 'tool', content: 'x' }]), { flagged: false, score: 0.25, cached: false });
  assert.equal(g.calls.length, 2);
  assert.deepEqual(g.calls[0]?.body, { messages: MSGS });
  assert.equal(g.calls[0]?.path, '/v2/guard');
  assert.equal(g.calls[0]?.headers.authorization, 'Bearer t0ken');
  assert.equal(g.calls[0]?.headers['content-type'], 'application/json');
  assert.deepEqual(g.calls[1]?.body.messages, [{ role: 'tool', content: 'x' }]);
  await d.close();
});

test('lakera-v2: roles mapped to system/user/assistant; the score is 1 or 0 from flagged', async () => {
  const d = createExternalDetector(cfg({ format: 'lakera-v2' }));
  g.mode = 'flagged';
  const msgs = [{ role: 'developer', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }, { role: 'tool', content: 'd' }];
  assert.deepEqual(await d.check(msgs), { flagged: true, score: 1, cached: false });
  assert.deepEqual(g.calls[0]?.body.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
  await d.close();
});

test('failures: 500 → status, not JSON → bad-response, no answer in time → timeout, nobody listening → unreachable', async () => {
  const d = createExternalDetector(cfg({ cacheSize: 0 }));
  g.mode = '500';
  assert.equal(await reason(d.check(MSGS)), 'status');
  g.mode = 'bad-json';
  assert.equal(await reason(d.check(MSGS)), 'bad-response');
  await d.close();
  // The service holds the call until released; the client's timeout fires first.
  const slow = createExternalDetector(cfg({ timeoutMs: 50 }));
  g.mode = 'slow';
  assert.equal(await reason(slow.check(MSGS)), 'timeout');
  g.release();
  await slow.close();
  const port = await new Promise<number>((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => r(p)); }); });
  const down = createExternalDetector(cfg({ url: new URL(`http://127.0.0.1:${port}/`) }));
  assert.equal(await reason(down.check(MSGS)), 'unreachable');
  await down.close();
});

test('a generic score out of [0, 1] is a bad response (lakera-v2 ignores the field)', async () => {
  g.flaggedScore = 1.5;
  g.mode = 'flagged';
  try {
    const d = createExternalDetector(cfg({ cacheSize: 0 }));
    assert.equal(await reason(d.check(MSGS)), 'bad-response');
    await d.close();
    const l = createExternalDetector(cfg({ cacheSize: 0, format: 'lakera-v2' }));
    assert.deepEqual(await l.check(MSGS), { flagged: true, score: 1, cached: false });
    await l.close();
  } finally {
    g.flaggedScore = 0.9;
  }
});

test('cache: the same messages reuse the verdict until the TTL passes (injected clock); other messages do not', async () => {
  let now = 1_000;
  const { events, reg } = telemetry();
  const d = createExternalDetector(cfg({ cacheTtlMs: 60_000 }), { now: () => now, events });
  g.mode = 'flagged';
  assert.equal((await d.check(MSGS)).cached, false);
  g.mode = 'clean';
  assert.deepEqual(await d.check(MSGS), { flagged: true, score: 0.9, cached: true });
  assert.equal(g.calls.length, 1);
  assert.equal((await d.check([{ role: 'user', content: 'other' }])).cached, false);
  assert.equal(g.calls.length, 2);
  now += 60_001;
  assert.deepEqual(await d.check(MSGS), { flagged: false, score: 0.25, cached: false });
  assert.equal(g.calls.length, 3);
  const text = await reg.metrics();
  assert.match(text, /modelgate_injection_external_cache_hits_total 1\n/);
  assert.match(text, /modelgate_injection_external_requests_total\{outcome="flagged"\} 1\n/);
  assert.match(text, /modelgate_injection_external_requests_total\{outcome="clean"\} 2\n/);
  assert.match(text, /modelgate_injection_external_request_seconds_count 3\n/);
  await d.close();
});

test('failures are never cached: the next request asks again', async () => {
  const d = createExternalDetector(cfg());
  g.queue.push('500');
  assert.equal(await reason(d.check(MSGS)), 'status');
  assert.deepEqual(await d.check(MSGS), { flagged: false, score: 0.25, cached: false });
  assert.equal(g.calls.length, 2);
  await d.close();
});

test('concurrent checks of the same messages share one call', async () => {
  const { events, reg } = telemetry();
  const d = createExternalDetector(cfg(), { events });
  g.mode = 'slow';
  const a = d.check(MSGS);
  await waitFor(() => g.hanging === 1, 'the first call held');
  const b = d.check(MSGS);
  g.release();
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(g.calls.length, 1);
  assert.deepEqual([ra.cached, rb.cached].sort(), [false, true]);
  assert.match(await reg.metrics(), /modelgate_injection_external_cache_hits_total 1\n/);
  await d.close();
});

test('cacheSize 0: every check calls the service', async () => {
  const d = createExternalDetector(cfg({ cacheSize: 0 }));
  await d.check(MSGS);
  await d.check(MSGS);
  assert.equal(g.calls.length, 2);
  await d.close();
});

function ctxOf(body: unknown, texts: string[] = []): RequestContext {
  return { id: 'r1', route: { path: '/v1/chat/completions' }, body, inspection: { texts } } as unknown as RequestContext;
}

test('guardMessages: chat roles, content parts joined, tool-call arguments; other protocols: the inspected texts as user messages', () => {
  const body = {
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:' } }, { type: 'text', text: 'here' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }] },
      { role: 'tool', content: 'result' },
      { role: 'user', content: '' },
    ],
  };
  assert.deepEqual(guardMessages(ctxOf(body)), [
    { role: 'system', content: 'sys' }, { role: 'user', content: 'look\nhere' }, { role: 'assistant', content: '{"q":1}' }, { role: 'tool', content: 'result' },
  ]);
  assert.deepEqual(guardMessages(ctxOf({ prompt: 'p' }, ['p', '', 'q'])), [{ role: 'user', content: 'p' }, { role: 'user', content: 'q' }]);
});

test('externalInspection: fail-closed → 503 MG_INPUT_CHECK_UNAVAILABLE with Retry-After; fail-open → clean; both counted by reason, reported with the request id and route', async () => {
  const { events, reg } = telemetry();
  const failed: EventOf<'injection.external-failed'>[] = [];
  events.subscribe((e) => { if (e.type === 'injection.external-failed') failed.push(e); }, 'recorder');
  const d = createExternalDetector(cfg({ cacheSize: 0 }), { events });
  g.mode = '500';
  const closed = await externalInspection(d, 'fail-closed', events)(ctxOf({ messages: MSGS }));
  assert.ok(isDenial(closed));
  assert.equal(closed.code, 'MG_INPUT_CHECK_UNAVAILABLE');
  assert.equal(closed.headers?.['retry-after'], '2');
  g.mode = 'bad-json';
  assert.deepEqual(await externalInspection(d, 'fail-open', events)(ctxOf({ messages: MSGS })), { flagged: false, score: 0, cached: false });
  const text = await reg.metrics();
  assert.match(text, /modelgate_injection_external_failures_total\{reason="status"\} 1\n/);
  assert.match(text, /modelgate_injection_external_failures_total\{reason="bad-response"\} 1\n/);
  assert.match(text, /modelgate_injection_external_requests_total\{outcome="error"\} 2\n/);
  assert.deepEqual(failed.map((e) => [e.reqId, e.route, e.reason, e.failOpen]), [['r1', '/v1/chat/completions', 'status', false], ['r1', '/v1/chat/completions', 'bad-response', true]]);
  // Nothing to check: no call at all.
  const calls = g.calls.length;
  assert.deepEqual(await externalInspection(d, 'fail-closed', events)(ctxOf({ messages: [] })), { flagged: false, score: 0, cached: false });
  assert.equal(g.calls.length, calls);
  await d.close();
});

// ---- configuration ----

const yaml = (injection: string): string => `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:1"] } }
routes:
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    injection: ${injection}
`;

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfigText(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

test('config: defaults, headers from ${ENV} (names lowercased), onError inherited from the route, else fail-closed', () => {
  const c = loadConfigText(yaml('{ action: block, external: { url: "https://guard.example/v2/guard", headers: { Authorization: "Bearer ${GK}", X-Tenant: acme } } }'), { GK: 'secret-1' });
  const e = c.routes[0]?.injection.external;
  assert.deepEqual(e, { url: new URL('https://guard.example/v2/guard'), format: EXTERNAL_DEFAULTS.format, timeoutMs: 500, onError: 'fail-closed', headers: { authorization: 'Bearer secret-1', 'x-tenant': 'acme' }, cacheTtlMs: 60_000, cacheSize: 10_000 });
  assert.equal(c.routes[0]?.injection.debugHeader, false);
  const open = loadConfigText(yaml('{ action: flag, onError: fail-open, debugHeader: true, external: { url: "http://127.0.0.1:9/x", format: generic, timeout: 2s, cacheTtl: 0, cacheSize: 5 } }'));
  assert.equal(open.routes[0]?.injection.external?.onError, 'fail-open');
  assert.equal(open.routes[0]?.injection.external?.timeoutMs, 2000);
  assert.equal(open.routes[0]?.injection.external?.cacheTtlMs, 0);
  assert.equal(open.routes[0]?.injection.debugHeader, true);
  const own = loadConfigText(yaml('{ action: block, onError: fail-open, external: { url: "http://127.0.0.1:9/x", onError: fail-closed } }'));
  assert.equal(own.routes[0]?.injection.external?.onError, 'fail-closed');
  assert.equal(loadConfigText(yaml('{ action: block }')).routes[0]?.injection.external, null);
});

test('config: refused values, each with its path', () => {
  const base = 'routes[0].injection.external';
  assert.deepEqual(problems(yaml('{ action: block, external: { url: "https://guard.example", headers: { X-K: "${GK}" } } }')), [`${base}.headers.X-K: environment variable GK is not set`]);
  assert.deepEqual(problems(yaml('{ action: block, external: { url: "https://guard.example", headers: { X-K: "${GK}" } } }'), { GK: 'a\r\nX-Evil: 1' }), [`${base}.headers.X-K: contains a line break or NUL`]);
  assert.deepEqual(problems(yaml('{ action: block, external: { url: "https://guard.example", headers: { Host: evil } } }')), [`${base}.headers.Host: set by modelgate itself`]);
  assert.deepEqual(problems(yaml('{ action: block, external: { url: "https://u:p@guard.example" } }')), [`${base}.url: credentials go in headers (from \${ENV}), not in the URL`]);
  assert.deepEqual(problems(yaml('{ action: block, external: { url: "https://guard.example", timeout: 0 } }')), [`${base}.timeout: must be longer than 0`]);
  assert.equal(problems(yaml('{ action: block, external: { url: "ftp://guard.example" } }')).length, 1);
  assert.equal(problems(yaml('{ action: block, external: { url: "https://guard.example", format: lakera-v1 } }')).length, 1);
  assert.equal(problems(yaml('{ action: block, external: { url: "https://guard.example", retries: 2 } }')).length, 1);
});

test('config: /admin/config view shows header names only and the URL without its query', () => {
  const raw = resolveExternal({ url: 'https://guard.example/v2/guard?api_key=s3cr3t#frag', headers: { Authorization: 'Bearer s3cr3t' } }, undefined, 'x', []);
  const view = JSON.stringify(externalPublicView(raw));
  assert.ok(!view.includes('s3cr3t'), view);
  assert.match(view, /"url":"https:\/\/guard.example\/v2\/guard\?\[redacted\]"/);
  assert.match(view, /"authorization":"\[redacted\]"/);
  assert.equal(externalPublicView(null), null);
});

test('banner: the route shows +external; fail-open and the debug header are warned about', () => {
  const c = loadConfigText(yaml('{ action: block, debugHeader: true, external: { url: "http://127.0.0.1:9/x", onError: fail-open } }'));
  const r = c.routes[0];
  assert.ok(r !== undefined);
  assert.ok(routeProtections(r).includes('injection:block+external'), routeProtections(r).join(' '));
  const w = riskyWarnings(c, '127.0.0.1:9090').join('\n');
  assert.match(w, /injection\.external\.onError is fail-open/);
  assert.match(w, /injection\.debugHeader is on/);
  const quiet = riskyWarnings(loadConfigText(yaml('{ action: block, external: { url: "http://127.0.0.1:9/x" } }')), '127.0.0.1:9090').join('\n');
  assert.doesNotMatch(quiet, /injection/);
});
