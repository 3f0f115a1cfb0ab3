#!/usr/bin/env node
// Writes deploy/kubernetes/base/prometheusrule.yaml: the PrometheusRule holding the groups of
// deploy/prometheus/modelgate.rules.yml (the one source; a test checks the two are equal).
// Usage: npm run deploy:rules
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const rules = parse(readFileSync('deploy/prometheus/modelgate.rules.yml', 'utf8'));
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
