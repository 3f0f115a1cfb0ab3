// abuse: defaults (those of the design's example), every key resolved, rules turned off with
// `false`, bad values refused with their YAML path — by the loader and by `check-config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigText } from '../../src/config/load.js';
import { ABUSE_DEFAULTS } from '../../src/config/abuse.js';

const base = (abuse: string): string => `
auth: { keys: [ { id: k, hash: "sha256:${'0'.repeat(64)}" } ] }
upstreams: { llm: { targets: ["http://127.0.0.1:8000"] } }
routes: [ { path: /v1/chat/completions, protocol: openai-chat, upstream: llm } ]
${abuse}
`;

function problems(abuse: string): string[] {
  try {
    loadConfigText(base(abuse), {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('no abuse section: abuse detection is off', () => {
  assert.equal(loadConfigText(base(''), {}).abuse, null);
});

test('abuse: {} runs every rule with the defaults of the example configuration', () => {
  const a = loadConfigText(base('abuse: {}'), {}).abuse;
  assert.deepEqual(a, {
    authFailures: { threshold: 20, windowMs: 60_000, action: 'ban', banForMs: 900_000 },
    errorRate: { threshold: 0.8, minRequests: 20, windowMs: 300_000, action: 'ban', banForMs: 900_000 },
    payloadEscalation: { steps: 8, minGrowth: 1.1, action: 'flag', banForMs: 900_000 },
    regularIntervals: { requests: 20, maxJitter: 0.05, minIntervalMs: 0, action: 'flag', banForMs: 900_000 },
    keySpread: { ips: 50, windowMs: 60_000, by: 'ip', action: 'flag', banForMs: 900_000 },
    maxTracked: 100_000,
    pollIntervalMs: 500,
  });
  assert.equal(ABUSE_DEFAULTS.authFailures.threshold, 20);
});

test('every key resolved; a rule set to false is off', () => {
  const a = loadConfigText(base(`abuse:
  authFailures: { threshold: 5, window: 30s, action: flag, banFor: 1h }
  errorRate: false
  payloadEscalation: { steps: 4, minGrowth: 1.5, action: ban, banFor: 10m }
  regularIntervals: { requests: 10, maxJitter: 0.1, minInterval: 2s }
  keySpread: { ips: 10, window: 5m, by: prefix, action: suspend, banFor: 2h }
  maxTracked: 5000
  pollInterval: 250ms`), {}).abuse;
  assert.deepEqual(a?.authFailures, { threshold: 5, windowMs: 30_000, action: 'flag', banForMs: 3_600_000 });
  assert.equal(a?.errorRate, null);
  assert.deepEqual(a?.payloadEscalation, { steps: 4, minGrowth: 1.5, action: 'ban', banForMs: 600_000 });
  assert.deepEqual(a?.regularIntervals, { requests: 10, maxJitter: 0.1, minIntervalMs: 2000, action: 'flag', banForMs: 900_000 });
  assert.deepEqual(a?.keySpread, { ips: 10, windowMs: 300_000, by: 'prefix', action: 'suspend', banForMs: 7_200_000 });
  assert.equal(a?.maxTracked, 5000);
  assert.equal(a?.pollIntervalMs, 250);
});

test('bad values are refused with their path', () => {
  const ps = problems(`abuse:
  authFailures: { threshold: 0, window: 0s, action: suspend, banFor: 0ms }
  errorRate: { threshold: 1.5, bogus: 1 }
  keySpread: { action: ban }
  regularIntervals: true
  pollInterval: 0s`);
  const has = (re: RegExp): void => assert.ok(ps.some((p) => re.test(p)), `${re} not in:\n${ps.join('\n')}`);
  has(/^abuse\.authFailures\.threshold: /);
  has(/^abuse\.authFailures\.action: /);
  has(/^abuse\.errorRate\.threshold: /);
  has(/^abuse\.errorRate\.bogus: unknown key/);
  has(/^abuse\.keySpread\.action: /);
  has(/^abuse\.regularIntervals: /);
  // Values the schema takes but resolution refuses (durations of zero) name their path too.
  const zero = problems('abuse: { authFailures: { window: 0s, banFor: 0ms }, pollInterval: 0s }');
  assert.ok(zero.includes('abuse.authFailures.window: must be longer than 0'), zero.join('\n'));
  assert.ok(zero.includes('abuse.authFailures.banFor: must be longer than 0'), zero.join('\n'));
  assert.ok(zero.includes('abuse.pollInterval: must be longer than 0'), zero.join('\n'));
});

test('check-config prints each abuse problem with its path, and accepts a valid section', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-abuse-cfg-'));
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(good, base('abuse: { authFailures: { threshold: 20, window: 1m, action: ban, banFor: 15m }, keySpread: { ips: 50, window: 1m, action: suspend } }'));
  writeFileSync(bad, base('abuse: { authFailures: { threshold: -1 }, keySpread: { window: 0s, ips: 1 } }'));
  const run = (f: string) => spawnSync(process.execPath, ['dist/src/cli/main.js', 'check-config', f], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 120_000 });
  const ok = run(good);
  assert.equal(ok.status, 0, ok.stderr);
  const r = run(bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /abuse\.authFailures\.threshold: /);
  assert.match(r.stderr, /abuse\.keySpread\.ips: /);
});
