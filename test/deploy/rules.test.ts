// The alert rules (deploy/prometheus/modelgate.rules.yml): `promtool check rules` passes;
// `promtool test rules` passes, and covers every alert with a case where it fires and one where it
// must not; a rule made wrong on purpose fails those tests; every alert links a runbook section
// of docs/operations.md by an absolute URL under one configurable base; every metric a rule names is one modelgate exports.
// Without promtool the promtool tests are skipped with a notice (under CI=true they fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { exportedNames, metricsIn, PENDING_METRICS } from './metric-names.js';
import { requireTool, run } from './tools.js';

const DIR = 'deploy/prometheus';
const RULES = `${DIR}/modelgate.rules.yml`;
const TESTS = [`${DIR}/modelgate.rules.test.yml`, `${DIR}/modelgate.rules.cost.test.yml`];

interface Rule { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }
const groups = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert !== undefined);

/** GitHub-style heading anchors of a Markdown file. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add((m[1] as string).trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return out;
}

test('the alerts the issue asks for are there', () => {
  const names = alerts.map((a) => a.alert);
  for (const n of ['ModelgateCostSpike', 'ModelgateInjectionSpike', 'ModelgateRejectionRateSpike', 'ModelgateCanaryLeak', 'ModelgateUpstreamTargetEjected',
    'ModelgateUpstreamAllEjected', 'ModelgateStoreFailures', 'ModelgateQueueSaturation', 'ModelgateLatencyBudgetBurnFast', 'ModelgateLatencyBudgetBurnSlow', 'ModelgateCertificateExpiring', 'ModelgateEventLoopLag']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(alerts.find((a) => a.alert === 'ModelgateCanaryLeak')?.expr.includes('for:'), false);
});

/**
 * Problems of the alerts' runbook links: each is absolute (Alertmanager and Grafana show it as a
 * link, which a relative path is not), all share one base (what `--runbook-base` sets), and its
 * fragment is a section of docs/operations.md.
 */
function runbookProblems(list: readonly Rule[]): string[] {
  const have = anchors('docs/operations.md');
  const out: string[] = [];
  const bases = new Set<string>();
  for (const a of list) {
    const url = a.annotations?.runbook_url ?? '';
    const m = /^(https?:\/\/[^\s#]+)#(.+)$/.exec(url);
    if (m === null) { out.push(`${a.alert}: runbook_url ${JSON.stringify(url)} is not an absolute URL with a section`); continue; }
    bases.add(m[1] as string);
    if (!have.has(m[2] as string)) out.push(`${a.alert}: docs/operations.md has no section #${m[2]}`);
    if ((a.annotations?.summary ?? '') === '') out.push(`${a.alert}: no summary`);
  }
  if (bases.size > 1) out.push(`runbook links use ${bases.size} different bases: ${[...bases].join(', ')}`);
  return out;
}

test('every alert links its runbook section in docs/operations.md by an absolute URL, all under one base', () => {
  assert.deepEqual(runbookProblems(alerts), []);
});

test('runbook links broken on purpose — relative, another base, a missing section: the check fails', () => {
  const first = alerts[0] as Rule;
  const url = first.annotations?.runbook_url as string;
  const section = url.slice(url.indexOf('#'));
  const withUrl = (u: string): Rule[] => [{ ...first, annotations: { ...first.annotations, runbook_url: u } }, ...alerts.slice(1)];
  assert.match(runbookProblems(withUrl(`docs/operations.md${section}`)).join('\n'), /not an absolute URL/);
  assert.match(runbookProblems(withUrl(`https://elsewhere.example.org/ops.md${section}`)).join('\n'), /2 different bases/);
  assert.match(runbookProblems(withUrl(`${url.slice(0, url.indexOf('#'))}#no-such-section`)).join('\n'), /no section #no-such-section/);
  assert.match(runbookProblems(withUrl(url.slice(0, url.indexOf('#')))).join('\n'), /not an absolute URL with a section/);
});

test('npm run deploy:rules -- --runbook-base URL moves every runbook link (rules, promtool tests, PrometheusRule); promtool still passes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-runbooks-'));
  try {
    cpSync('deploy', join(dir, 'deploy'), { recursive: true });
    const base = 'https://wiki.example.org/sre/modelgate/operations';
    const r = run(process.execPath, [join(process.cwd(), 'scripts', 'prometheusrule.mjs'), '--runbook-base', base], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const moved = (parseYaml(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules).filter((x) => x.alert !== undefined);
    assert.deepEqual(runbookProblems(moved), []);
    for (const a of moved) assert.ok(a.annotations?.runbook_url?.startsWith(`${base}#`), `${a.alert}: ${a.annotations?.runbook_url}`);
    const pr = readFileSync(join(dir, 'deploy/kubernetes/base/prometheusrule.yaml'), 'utf8');
    assert.equal(pr.match(new RegExp(`runbook_url: ${base}#`, 'g'))?.length, moved.length);
    for (const f of TESTS) assert.ok(!readFileSync(join(dir, f), 'utf8').includes('runbook_url: https://modelgate.'), `${f}: every expected link moved`);
    assert.notEqual(run(process.execPath, [join(process.cwd(), 'scripts', 'prometheusrule.mjs'), '--runbook-base', 'docs/operations.md'], { cwd: dir }).status, 0, 'a relative base is refused');
    if (!requireTool(t, 'promtool', 'prometheus')) return;
    const p = run('promtool', ['test', 'rules', ...TESTS], { cwd: dir });
    assert.equal(p.status, 0, p.stdout + p.stderr);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('every metric the rules name is one modelgate exports (or one the TLS work adds)', async () => {
  const exported = await exportedNames();
  for (const r of rules) for (const name of metricsIn(r.expr)) {
    assert.ok(exported.has(name) || PENDING_METRICS.has(name), `${r.alert ?? r.record}: ${name} is not exported`);
  }
});

test('every alert has a promtool case where it fires and one where it must not', () => {
  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const file of TESTS) {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> };
    for (const t of doc.tests) for (const c of t.alert_rule_test ?? []) ((c.exp_alerts ?? []).length > 0 ? fires : silent).add(c.alertname);
  }
  for (const a of alerts) {
    assert.ok(fires.has(a.alert as string), `${a.alert}: no case where it fires`);
    assert.ok(silent.has(a.alert as string), `${a.alert}: no case where it must not fire`);
  }
});

test('promtool check rules passes on the rules file', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  const r = run('promtool', ['check', 'rules', RULES]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('promtool test rules: every case passes', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  const r = run('promtool', ['test', 'rules', ...TESTS]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.match(/SUCCESS/g)?.length, TESTS.length, r.stdout);
});

/** Rules made wrong on purpose (every occurrence replaced): promtool's cases must catch each. */
const BROKEN: Array<[string, string, string]> = [
  ['the injection threshold raised', 'rate(modelgate_injection_detected_total[5m])) > 0.1', 'rate(modelgate_injection_detected_total[5m])) > 10'],
  ['the canary leak without its first-leak term', `          or sum by (route, kind) (modelgate_canary_leak_total unless modelgate_canary_leak_total offset 10m) > 0\n`, ''],
  ['all-ejected computed with min (one replica is enough)', 'max by (upstream) (modelgate_upstream_target_up) == 0', 'min by (upstream) (modelgate_upstream_target_up) == 0'],
  ['the rejection volume floor dropped', '          and sum by (route) (rate(modelgate_requests_total[5m])) > 1\n', ''],
  ['the cost baseline of one day, not several', 'avg_over_time(modelgate_key:tokens_completion:rate1h[7d])', 'avg_over_time(modelgate_key:tokens_completion:rate1h[1d])'],
  ['the cost spike against a fixed threshold', '> 5 * avg_over_time(modelgate_key:tokens_completion:rate1h[7d])', '> 5'],
  ['the latency SLO on every outcome', '_count{outcome="ok"}', '_count'],
  ['the queue alert on every refusal', 'code=~"MG_QUEUE_FULL|MG_QUEUE_TIMEOUT"', 'code=~".+"'],
  ['certificates warned a year ahead', '< 14 * 86400', '< 365 * 86400'],
];

for (const [what, from, to] of BROKEN) {
  test(`rules broken on purpose — ${what}: promtool test rules fails`, (t) => {
    if (!requireTool(t, 'promtool', 'prometheus')) return;
    const text = readFileSync(RULES, 'utf8');
    assert.ok(text.includes(from), `the mutation applies: ${from}`);
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-rules-'));
    try {
      writeFileSync(join(dir, 'modelgate.rules.yml'), text.split(from).join(to));
      for (const f of TESTS) copyFileSync(f, join(dir, f.split('/').pop() as string));
      const r = run('promtool', ['test', 'rules', ...TESTS.map((f) => f.split('/').pop() as string)], { cwd: dir });
      assert.notEqual(r.status, 0, `promtool accepted the broken rule:\n${r.stdout}`);
      assert.match(r.stdout + r.stderr, /FAILED/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
}
