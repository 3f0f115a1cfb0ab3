// Breakers and health checks with real components: 3 bundled simulators (killed and brought back
// on the same port, or switched to failing modes), a real gateway, steady load from a real HTTP
// client. Every wait is on an event (a metric, a count); durations in the configuration are short
// only where no assertion depends on speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, chat, codeOf, post } from '../helpers.js';
import { waitFor } from '../wait.js';
import { CHAT, SteadyLoad, ejections, isChat, logLines, startBreakerGateway, startControlledUpstream, startFleet, targetUp } from '../breaker-fleet.js';
import type { Admission } from '../../src/upstream/admission.js';

const isHealth = (path: string) => (r: { method: string; path: string }): boolean => r.method === 'GET' && r.path === path;

test('3 targets under steady load, one killed: at most consecutiveGatewayErrors failed requests, ejected, back after it recovers; the others never ejected', async () => {
  const fleet = await startFleet(3);
  const g = await startBreakerGateway(fleet.urls, { upstream: '    breaker: { consecutive5xx: 5, consecutiveGatewayErrors: 3, openFor: 200ms, maxOpenFor: 1s, maxEjectedPercent: 50 }' });
  const load = new SteadyLoad(g.url, g.key, 3);
  const dead = fleet.urls[1] as string;
  try {
    await waitFor(() => [0, 1, 2].every((i) => fleet.received(i, isChat) >= 5), 'traffic on every target');
    const before = load.results.length;
    await fleet.kill(1);
    await waitFor(async () => (await ejections(g.gw, dead)) >= 1, 'the killed target ejected');
    assert.equal(await ejections(g.gw, dead, 'consecutive-gateway-errors'), 1, 'ejected for its refused connections');
    assert.equal(await targetUp(g.gw, dead), 0);
    // While it is down: half-open trials find it refusing, are re-sent elsewhere, and eject it again.
    const down = load.results.length;
    await waitFor(() => load.results.length >= down + 100, 'load while the target is down');
    await fleet.revive(1);
    await waitFor(async () => (await targetUp(g.gw, dead)) === 1, 'the revived target back in rotation');
    const back = fleet.received(1, isChat);
    await waitFor(() => fleet.received(1, isChat) >= back + 10, 'traffic on the revived target');
    await load.stop();
    const failed = load.failures(before);
    assert.ok(failed.length <= 3, `failed requests: ${JSON.stringify(failed)}`);
    for (const f of failed) assert.equal(f.status, 502, 'only requests in flight when it died (reset after sending)');
    for (const i of [0, 2]) {
      assert.equal(await ejections(g.gw, fleet.urls[i] as string), 0, `target ${i} never ejected`);
      assert.equal(await targetUp(g.gw, fleet.urls[i] as string), 1);
    }
    // Every transition logged once: one line per ejection, and the way back.
    g.gw.logger.flush();
    await waitFor(() => logLines(g.logs, 'upstream target back in rotation').length >= 1, 'the restore logged');
    const ejectedLines = logLines(g.logs, 'upstream target ejected').filter((l) => l.target === dead);
    assert.equal(ejectedLines.length, await ejections(g.gw, dead));
    assert.deepEqual(Object.keys(ejectedLines[0] ?? {}).filter((k) => ['upstream', 'target', 'reason', 'forMs'].includes(k)).sort(), ['forMs', 'reason', 'target', 'upstream']);
    assert.equal(logLines(g.logs, 'upstream target ejected').filter((l) => l.target !== dead).length, 0);
  } finally {
    await load.stop();
    await g.close();
    await fleet.close();
  }
});

test('one target answering 500: ejected after exactly consecutive5xx of its answers; nothing is sent twice; the others never ejected', async () => {
  const fleet = await startFleet(3);
  const g = await startBreakerGateway(fleet.urls, { upstream: '    breaker: { consecutive5xx: 5, consecutiveGatewayErrors: 3, openFor: 10m, maxEjectedPercent: 50 }' });
  const load = new SteadyLoad(g.url, g.key, 1);
  const bad = fleet.urls[1] as string;
  try {
    await waitFor(() => [0, 1, 2].every((i) => fleet.received(i, isChat) >= 3), 'traffic on every target');
    const before = load.results.length;
    (fleet.sims[1] as { options: { mode: string } }).options.mode = 'error-500';
    await waitFor(async () => (await ejections(g.gw, bad)) >= 1, 'the failing target ejected');
    const after = load.results.length;
    await waitFor(() => load.results.length >= after + 30, 'load after the ejection');
    await load.stop();
    const failed = load.failures(before);
    assert.equal(failed.length, 5, 'one client failure per 500, then none');
    for (const f of failed) assert.deepEqual([f.status, f.code], [502, 'MG_UPSTREAM_ERROR']);
    assert.equal(await ejections(g.gw, bad, 'consecutive-5xx'), 1);
    for (const i of [0, 2]) assert.equal(await ejections(g.gw, fleet.urls[i] as string), 0);
    // A request that reached a model server is never sent again: one upstream request per answer.
    const sent = [0, 1, 2].reduce((n, i) => n + fleet.received(i, isChat), 0);
    assert.equal(sent, load.results.length);
  } finally {
    await load.stop();
    await g.close();
    await fleet.close();
  }
});

test('a reset after sending is never re-sent; a refused connection is, and the client never sees it', async () => {
  const fleet = await startFleet(2);
  const g = await startBreakerGateway(fleet.urls, { upstream: '    breaker: { enabled: false }' });
  try {
    (fleet.sims[0] as { options: { mode: string } }).options.mode = 'reset';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await post(g.url, CHAT, chat('hi'), bearer(g.key))).status);
    const resets = statuses.filter((s) => s === 502).length;
    assert.equal(resets, 10, 'round robin: every other request went to the resetting target');
    assert.equal(fleet.received(0, isChat), resets, 'each failed request reached it once');
    assert.equal(fleet.received(1, isChat), 20 - resets, 'and was never re-sent to the other');
    await fleet.kill(0);
    for (let i = 0; i < 10; i++) assert.equal((await post(g.url, CHAT, chat('hi'), bearer(g.key))).status, 200);
    assert.equal(fleet.received(1, isChat), 20 - resets + 10);
  } finally {
    await g.close();
    await fleet.close();
  }
});

test('all targets failing, maxEjectedPercent 100: 503 MG_UPSTREAM_UNAVAILABLE with Retry-After at once, nothing charged, the servers receive nothing', async () => {
  const fleet = await startFleet(3, { mode: 'error-500' });
  const g = await startBreakerGateway(fleet.urls, {
    upstream: '    breaker: { consecutive5xx: 2, consecutiveGatewayErrors: 2, openFor: 1m, maxOpenFor: 5m, maxEjectedPercent: 100 }',
    tier: 'limited',
    extraKeys: { ejector: null },
    extra: 'tiers: { limited: { requests: { rate: 3, per: 1h }, cost: { rate: 100000, per: 1h }, budget: { cost: 1000000, per: 1d }, concurrency: 1 } }',
  });
  try {
    for (let i = 0; i < 50; i++) {
      const r = await post(g.url, CHAT, chat('hi'), bearer(g.keys.ejector as string));
      if (r.status === 503) break;
    }
    for (const u of fleet.urls) assert.equal(await targetUp(g.gw, u), 0);
    const sent = [0, 1, 2].map((i) => fleet.received(i));
    // A key allowed 3 requests an hour sends 30: every one is refused as unavailable, none as rate limited.
    for (let i = 0; i < 30; i++) {
      const r = await post(g.url, CHAT, chat('hi'), bearer(g.key));
      assert.equal(r.status, 503);
      assert.equal(codeOf(r), 'MG_UPSTREAM_UNAVAILABLE');
      const ra = Number(r.headers['retry-after']);
      assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 60, `Retry-After ${String(r.headers['retry-after'])}`);
    }
    assert.deepEqual([0, 1, 2].map((i) => fleet.received(i)), sent, 'the model servers received nothing');
    g.gw.logger.flush();
    await waitFor(() => logLines(g.logs, 'request').filter((l) => l.keyId === 'main').length === 30, 'access-log lines');
    for (const l of logLines(g.logs, 'request').filter((x) => x.keyId === 'main')) {
      assert.equal(l.code, 'MG_UPSTREAM_UNAVAILABLE');
      assert.equal(l.cost, undefined, 'no cost reserved or charged');
    }
    assert.equal(g.gw.resources.total(), 0);
  } finally {
    await g.close();
    await fleet.close();
  }
});

test('all targets failing with half-open trials: the servers receive nothing but the trials, one at a time', async () => {
  const fleet = await startFleet(3, { mode: 'error-500' });
  const g = await startBreakerGateway(fleet.urls, { upstream: '    breaker: { consecutive5xx: 1, consecutiveGatewayErrors: 1, openFor: 50ms, maxOpenFor: 150ms, maxEjectedPercent: 100 }' });
  try {
    for (let i = 0; i < 50; i++) if ((await post(g.url, CHAT, chat('hi'), bearer(g.key))).status === 503) break;
    g.gw.logger.flush();
    await waitFor(() => logLines(g.logs, 'upstream target ejected').length >= 3, 'three ejections logged');
    const halfOpenBefore = logLines(g.logs, 'upstream target half-open: one trial request decides').length;
    const sentBefore = [0, 1, 2].reduce((n, i) => n + fleet.received(i, isChat), 0);
    const answers = await Promise.all(Array.from({ length: 8 }, async () => {
      const out: { status: number; code: string | undefined; ra: unknown }[] = [];
      for (let i = 0; i < 25; i++) {
        const r = await post(g.url, CHAT, chat('hi'), bearer(g.key));
        out.push({ status: r.status, code: codeOf(r), ra: r.headers['retry-after'] });
      }
      return out;
    }));
    const all = answers.flat();
    const trials = all.filter((a) => a.status === 502);
    for (const a of all.filter((x) => x.status !== 502)) {
      assert.deepEqual([a.status, a.code], [503, 'MG_UPSTREAM_UNAVAILABLE']);
      assert.match(String(a.ra), /^[1-9][0-9]*$/);
    }
    const sent = [0, 1, 2].reduce((n, i) => n + fleet.received(i, isChat), 0) - sentBefore;
    assert.equal(sent, trials.length, 'every request that reached a server was a trial');
    g.gw.logger.flush();
    await waitFor(() => logLines(g.logs, 'upstream target ejected').length >= 3 + trials.length, 'the failed trials logged');
    const halfOpen = logLines(g.logs, 'upstream target half-open: one trial request decides').length - halfOpenBefore;
    // A half-open period is entered by the breaker's timer: one that began (and was logged) before
    // halfOpenBefore was read, on a busy machine, takes its single trial after it — at most one such
    // period per target (3). Two trials in one period would show on every period, far above that.
    assert.ok(trials.length <= halfOpen + 3, `${trials.length} trials, ${halfOpen} half-open periods (+3 begun before the count): one trial each`);
  } finally {
    await g.close();
    await fleet.close();
  }
});

test('health checks: no traffic before a target passes its first check; a killed target leaves and comes back through its checks', async () => {
  const fleet = await startFleet(3);
  (fleet.sims[2] as { options: { mode: string } }).options.mode = 'error-503';
  const g = await startBreakerGateway(fleet.urls, {
    upstream: `    breaker: { consecutiveGatewayErrors: 3, openFor: 200ms, maxEjectedPercent: 50 }
    healthCheck: { path: /health, interval: 300ms, timeout: 250ms, healthyThreshold: 1, unhealthyThreshold: 2 }`,
  });
  const load = new SteadyLoad(g.url, g.key, 2);
  try {
    assert.ok(fleet.received(2, isHealth('/health')) >= 1, 'checked before the listener opened');
    await waitFor(() => fleet.received(0, isChat) >= 10 && fleet.received(1, isChat) >= 10, 'traffic on the healthy targets');
    assert.equal(fleet.received(2, isChat), 0, 'nothing for a target that never passed a check');
    (fleet.sims[2] as { options: { mode: string } }).options.mode = 'normal';
    await waitFor(async () => (await targetUp(g.gw, fleet.urls[2] as string)) === 1, 'target 2 passes its check');
    await waitFor(() => fleet.received(2, isChat) >= 10, 'traffic on target 2');
    const first = fleet.urls[0] as string;
    await fleet.kill(0);
    await waitFor(async () => (await targetUp(g.gw, first)) === 0, 'the killed target out of rotation');
    await fleet.revive(0);
    await waitFor(async () => (await targetUp(g.gw, first)) === 1, 'the revived target back through its checks');
    const n = fleet.received(0, isChat);
    await waitFor(() => fleet.received(0, isChat) >= n + 10, 'traffic on the revived target');
    await load.stop();
    for (const i of [0, 1, 2]) assert.ok(fleet.received(i, isHealth('/health')) >= 1);
    g.gw.logger.flush();
    await waitFor(() => logLines(g.logs, 'upstream target passes its health check').some((l) => l.target === fleet.urls[2]), 'the pass logged');
  } finally {
    await load.stop();
    await g.close();
    await fleet.close();
  }
});

test('a target ejected while a request waits for a GPU slot: that request gets 503 at forward time and its reservation is refunded', async () => {
  const up = await startControlledUpstream();
  up.hold = true;
  up.status = 500;
  const g = await startBreakerGateway([up.url], {
    upstream: `    maxConcurrent: 1
    queue: { size: 10, timeout: 30s }
    breaker: { consecutive5xx: 1, openFor: 10m, maxEjectedPercent: 100 }`,
    tier: 'limited',
    extra: 'tiers: { limited: { cost: { rate: 1000000, per: 1h } } }',
  });
  try {
    const a = post(g.url, CHAT, chat('first'), bearer(g.key));
    await waitFor(() => up.waiting === 1, 'the first request at the model server');
    const b = post(g.url, CHAT, chat('second'), bearer(g.key));
    const gpu = g.gw.admissions.get('llm') as Admission;
    await waitFor(() => gpu.queueLength === 1, 'the second request queued for the GPU slot');
    up.release();
    assert.equal((await a).status, 502);
    const rb = await b;
    assert.equal(rb.status, 503);
    assert.equal(codeOf(rb), 'MG_UPSTREAM_UNAVAILABLE');
    assert.match(String(rb.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.equal(up.counts.get(`POST ${CHAT}`), 1, 'the second request never reached the model server');
    g.gw.logger.flush();
    const id = String(rb.headers['x-request-id']);
    await waitFor(() => logLines(g.logs, 'request').some((l) => l.reqId === id), 'its access-log line');
    const line = logLines(g.logs, 'request').find((l) => l.reqId === id) as { cost?: { estimate: number; actual: number } };
    assert.ok((line.cost?.estimate ?? 0) > 0, 'it had reserved its cost');
    assert.equal(line.cost?.actual, 0, 'and was refunded');
    await waitFor(() => g.gw.resources.total() === 0, 'nothing held');
  } finally {
    await g.close();
    await up.close();
  }
});
