#!/usr/bin/env node
// Writes deploy/kubernetes/base/prometheusrule.yaml: the PrometheusRule holding the groups of
// deploy/prometheus/modelgate.rules.yml (the one source; a test checks the two are equal).
//
// With `--runbook-base URL` (or RUNBOOK_BASE=URL) it first sets where the runbooks live: every
// `runbook_url` of the rules and of their promtool tests becomes URL#<section>. URL is the
// absolute address of docs/operations.md where you host it (a wiki, your Git server's file view).
// Usage: npm run deploy:rules [-- --runbook-base https://git.example.org/acme/modelgate/blob/main/docs/operations.md]
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const RULES = 'deploy/prometheus/modelgate.rules.yml';
const WITH_RUNBOOKS = [RULES, 'deploy/prometheus/modelgate.rules.test.yml', 'deploy/prometheus/modelgate.rules.cost.test.yml'];

const at = process.argv.indexOf('--runbook-base');
const base = at >= 0 ? process.argv[at + 1] : process.env.RUNBOOK_BASE;
if (base !== undefined) {
  if (!/^https?:\/\/[^\s#'"]+$/.test(base)) {
    console.error(`--runbook-base must be an absolute http(s) URL without a fragment, got ${JSON.stringify(base)}`);
    process.exit(2);
  }
  for (const f of WITH_RUNBOOKS) {
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.replace(/(runbook_url: )[^\s#]+#([A-Za-z0-9_-]+)/g, `$1${base}#$2`));
  }
}

const rules = parse(readFileSync(RULES, 'utf8'));
const doc = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: {
    name: 'modelgate',
    namespace: 'modelgate',
    labels: { 'app.kubernetes.io/name': 'modelgate', release: 'prometheus' },
  },
  spec: { groups: rules.groups },
};
const header = '# Generated from deploy/prometheus/modelgate.rules.yml by `npm run deploy:rules`; do not edit.\n';
writeFileSync('deploy/kubernetes/base/prometheusrule.yaml', header + stringify(doc, { lineWidth: 0 }));
