#!/usr/bin/env node
// Writes deploy/grafana/modelgate.json, the Grafana dashboard (import it, or load it with a
// dashboard provider / the grafana-operator). Edit the panels here, then `npm run deploy:dashboard`;
// test/deploy/dashboard.test.ts checks every query parses and names only exported metrics.
import { writeFileSync } from 'node:fs';

const R = '$__rate_interval';
const rows = [
  ['Traffic', [
    ['Requests by status', `sum by (status) (rate(modelgate_requests_total[${R}]))`, '{{status}}', 'reqps'],
    ['Rejections by code', `sum by (code) (rate(modelgate_rejections_total[${R}]))`, '{{code}}', 'reqps'],
    ['Injection detections by route', `sum by (route, action) (rate(modelgate_injection_detected_total[${R}]))`, '{{route}} {{action}}', 'reqps'],
    ['Injection detections by layer', `sum by (layer) (rate(modelgate_injection_layer_detections_total[${R}]))`, '{{layer}}', 'reqps'],
    ['Injection score p50 / p99 by route (where the threshold cuts)', [
      [`histogram_quantile(0.5, sum by (le, route) (rate(modelgate_injection_score_bucket[${R}])))`, '{{route}} p50'],
      [`histogram_quantile(0.99, sum by (le, route) (rate(modelgate_injection_score_bucket[${R}])))`, '{{route}} p99'],
    ], null, 'short'],
    ['Requests in flight', 'sum(modelgate_requests_in_flight)', 'in flight', 'short'],
  ]],
  ['Cost', [
    ['Tokens per key (top 10)', `topk(10, sum by (key, type) (rate(modelgate_tokens_total[${R}])))`, '{{key}} {{type}}', 'short'],
    ['Cost units per key (top 10)', `topk(10, sum by (key) (rate(modelgate_cost_units_total[${R}])))`, '{{key}}', 'short'],
    ['Completion tokens per key vs 7-day baseline', 'modelgate_key:tokens_completion:rate1h / avg_over_time(modelgate_key:tokens_completion:rate1h[7d])', '{{key}}', 'short'],
  ]],
  ['GPU slots and queue', [
    ['GPU slots in use', 'sum by (upstream) (modelgate_gpu_slots_in_use)', '{{upstream}}', 'short'],
    ['Admission queue length', 'sum by (upstream) (modelgate_admission_queue_length)', '{{upstream}}', 'short'],
    ['Queue refusals', `sum by (code) (rate(modelgate_rejections_total{code=~"MG_QUEUE_FULL|MG_QUEUE_TIMEOUT"}[${R}]))`, '{{code}}', 'reqps'],
  ]],
  ['Latency', [
    ['Latency p50 / p95 / p99 (successful)', [
      [`histogram_quantile(0.5, sum by (le) (rate(modelgate_request_duration_seconds_bucket{outcome="ok"}[${R}])))`, 'p50'],
      [`histogram_quantile(0.95, sum by (le) (rate(modelgate_request_duration_seconds_bucket{outcome="ok"}[${R}])))`, 'p95'],
      [`histogram_quantile(0.99, sum by (le) (rate(modelgate_request_duration_seconds_bucket{outcome="ok"}[${R}])))`, 'p99'],
    ], null, 's'],
    ['Latency p99 by route and outcome', `histogram_quantile(0.99, sum by (le, route, outcome) (rate(modelgate_request_duration_seconds_bucket[${R}])))`, '{{route}} {{outcome}}', 's'],
  ]],
  ['Event loop and scan pool', [
    ['Event-loop delay p99 / max by replica', [
      ['max by (instance) (modelgate_event_loop_delay_seconds{stat="p99"})', '{{instance}} p99'],
      ['max by (instance) (modelgate_event_loop_delay_seconds{stat="max"})', '{{instance}} max'],
    ], null, 's'],
    ['Event-loop utilisation by replica', 'max by (instance) (modelgate_event_loop_utilization_ratio)', '{{instance}}', 'percentunit'],
    ['Scan-pool tasks by outcome', `sum by (outcome) (rate(modelgate_scan_pool_tasks_total[${R}]))`, '{{outcome}}', 'ops'],
    ['Scan-pool tasks pending', 'sum by (instance) (modelgate_scan_pool_pending)', '{{instance}}', 'short'],
    ['Requests waiting a turn of the loop (workers.loopSlice)', [
      [`sum by (instance) (rate(modelgate_inspection_deferred_total[${R}]))`, '{{instance}} deferred/s'],
      ['sum by (instance) (modelgate_inspection_waiting)', '{{instance}} waiting'],
    ], null, 'short'],
  ]],
  ['Output protection', [
    ['Redactions by type', `sum by (pii_type) (rate(modelgate_output_redacted_total[${R}]))`, '{{pii_type}}', 'short'],
    ['Canary leaks (withheld responses)', 'sum by (route, kind) (increase(modelgate_canary_leak_total[1h]))', '{{route}} {{kind}}', 'short'],
    ['Output filter failures', `sum by (route, outcome) (rate(modelgate_output_filter_failures_total[${R}]))`, '{{route}} {{outcome}}', 'short'],
  ]],
  ['Upstream health', [
    ['Targets in rotation (replicas that use each target)', 'sum by (upstream, target) (modelgate_upstream_target_up)', '{{upstream}} {{target}}', 'short'],
    ['Ejections by reason', `sum by (upstream, target, reason) (increase(modelgate_upstream_ejections_total[${R}]))`, '{{target}} {{reason}}', 'short'],
    ['Upstream errors by kind', `sum by (upstream, kind) (rate(modelgate_upstream_errors_total[${R}]))`, '{{upstream}} {{kind}}', 'reqps'],
    ['Limit-store failures by mode', `sum by (mode) (rate(modelgate_store_failures_total[${R}]))`, '{{mode}}', 'short'],
  ]],
];

const panels = [];
let id = 1;
let y = 0;
for (const [title, items] of rows) {
  panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
  y += 1;
  items.forEach(([ptitle, q, legend, unit], i) => {
    const queries = Array.isArray(q) ? q : [[q, legend]];
    panels.push({
      id: id++,
      type: 'timeseries',
      title: ptitle,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit }, overrides: [] },
      options: { legend: { displayMode: 'table', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: queries.map(([expr, lg], j) => ({ refId: String.fromCharCode(65 + j), expr, legendFormat: lg, datasource: { type: 'prometheus', uid: '${datasource}' } })),
    });
  });
  y += Math.ceil(items.length / 2) * 8;
}

const dashboard = {
  title: 'modelgate',
  uid: 'modelgate',
  description: 'modelgate: requests and rejections, tokens and cost per key, GPU slots and queue, latency, redactions and canary leaks, upstream health. Runbooks: docs/operations.md.',
  tags: ['modelgate'],
  timezone: 'utc',
  schemaVersion: 39,
  version: 1,
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
  annotations: { list: [] },
  panels,
};
writeFileSync('deploy/grafana/modelgate.json', `${JSON.stringify(dashboard, null, 2)}\n`);
