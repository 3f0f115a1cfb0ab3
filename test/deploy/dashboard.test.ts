// The Grafana dashboard (deploy/grafana/modelgate.json): every panel query parses (promtool, as a
// recording rule) and names only metrics modelgate exports or the rules record; it covers the
// signals the issue lists. A query made wrong on purpose fails the checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { exportedNames, metricsIn, PENDING_METRICS } from './metric-names.js';
import { requireTool, run } from './tools.js';

interface Panel { type: string; title: string; targets?: Array<{ expr: string }> }
const dashboard = JSON.parse(readFileSync('deploy/grafana/modelgate.json', 'utf8')) as { uid: string; panels: Panel[] };

/** Grafana's variables replaced by what Prometheus would see. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');
}

function exprs(panels: Panel[]): Array<{ panel: string; expr: string }> {
  return panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: concrete(t.expr) })));
}

const recorded = new Set((parseYaml(readFileSync('deploy/prometheus/modelgate.rules.yml', 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> })
  .groups.flatMap((g) => g.rules.map((r) => r.record)).filter((r): r is string => r !== undefined));

async function unknownMetrics(panels: Panel[]): Promise<string[]> {
  const exported = await exportedNames();
  const out: string[] = [];
  for (const { panel, expr } of exprs(panels)) {
    for (const name of metricsIn(expr)) if (!exported.has(name) && !PENDING_METRICS.has(name)) out.push(`${panel}: ${name}`);
    for (const m of expr.matchAll(/\b([a-z_]+:[a-z0-9_:]+)/g)) if (!recorded.has(m[1] as string)) out.push(`${panel}: recording rule ${m[1]} does not exist`);
  }
  return out;
}

/** promtool check rules on every query as a recording rule: its output, status 0 when all parse. */
function promtoolParse(panels: Panel[]): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-dash-'));
  try {
    const rules = exprs(panels).map(({ expr }, i) => ({ record: `dashboard:panel_${i}`, expr }));
    writeFileSync(join(dir, 'panels.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = run('promtool', ['check', 'rules', join(dir, 'panels.yml')]);
    return { status: r.status, out: r.stdout + r.stderr };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('the dashboard covers requests, rejections, tokens and cost per key, GPU slots and queue, latency, redactions, canary leaks, upstream health', () => {
  assert.equal(dashboard.uid, 'modelgate');
  const used = new Set(exprs(dashboard.panels).flatMap(({ expr }) => metricsIn(expr)));
  for (const m of ['modelgate_requests_total', 'modelgate_rejections_total', 'modelgate_tokens_total', 'modelgate_cost_units_total', 'modelgate_gpu_slots_in_use',
    'modelgate_admission_queue_length', 'modelgate_request_duration_seconds_bucket', 'modelgate_output_redacted_total', 'modelgate_canary_leak_total', 'modelgate_upstream_target_up']) {
    assert.ok(used.has(m), `no panel shows ${m}`);
  }
  for (const p of dashboard.panels) if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`);
});

test('every panel query names only metrics modelgate exports or the rules record', async () => {
  assert.deepEqual(await unknownMetrics(dashboard.panels), []);
});

test('every panel query parses (promtool)', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  const r = promtoolParse(dashboard.panels);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${exprs(dashboard.panels).length} rules found`));
});

test('a panel broken on purpose — a misspelt metric, a query that does not parse — fails the checks', async (t) => {
  const broken = structuredClone(dashboard.panels);
  const target = broken.find((p) => p.title === 'GPU slots in use')?.targets?.[0];
  assert.ok(target !== undefined);
  target.expr = 'sum by (upstream) (modelgate_gpu_slot_in_use)';
  assert.deepEqual(await unknownMetrics(broken), ['GPU slots in use: modelgate_gpu_slot_in_use']);
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  target.expr = 'sum by (upstream (modelgate_gpu_slots_in_use)';
  const r = promtoolParse(broken);
  assert.notEqual(r.status, 0, r.out);
});
