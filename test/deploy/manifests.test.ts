// The Kubernetes manifests: every overlay builds with `kubectl kustomize`, every object validates
// against its schema, and the invariants hold (test/deploy/policy.ts). Each invariant is then
// broken on purpose — on the built objects, and once in a copy of the source tree — and the
// checks must fail. Without kubectl the tests are skipped with a notice (under CI=true they fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOverlay, find, OVERLAYS, schemaProblems, scratchCopy, type K8sObject, type Overlay } from './k8s.js';
import { policyProblems } from './policy.js';
import { requireTool } from './tools.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutating free-form manifests
type Any = any;

const built = new Map<Overlay, K8sObject[]>();
function objects(overlay: Overlay): K8sObject[] {
  let o = built.get(overlay);
  if (o === undefined) { o = buildOverlay(overlay); built.set(overlay, o); }
  return structuredClone(o);
}

function deployment(objs: K8sObject[]): Any { return find(objs, 'Deployment', 'modelgate')[0]; }
function container(objs: K8sObject[]): Any { return deployment(objs).spec.template.spec.containers[0]; }
function policy(objs: K8sObject[], name: string): Any {
  const np = find(objs, 'NetworkPolicy', name)[0];
  assert.ok(np !== undefined, `NetworkPolicy ${name}`);
  return np;
}
function configMap(objs: K8sObject[]): Any { return find(objs, 'ConfigMap').find((c) => c.metadata.name.startsWith('modelgate-config')); }

for (const overlay of OVERLAYS) {
  test(`overlay ${overlay}: builds, every object validates against its schema, every invariant holds`, (t) => {
    if (!requireTool(t, 'kubectl', 'kubectl (or kubernetes-client)')) return;
    const objs = objects(overlay);
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['Deployment', 'Service', 'ConfigMap', 'NetworkPolicy', 'Certificate', 'Issuer', 'ServiceMonitor', 'PrometheusRule', 'ServiceAccount']) assert.ok(kinds.has(k), `${overlay} has a ${k}`);
    assert.deepEqual(schemaProblems(objs), []);
    assert.deepEqual(policyProblems(objs, overlay), []);
  });
}

test('overlay single: one replica on the memory store, no HPA or PDB; production: 3 replicas on Redis with HPA and PDB', (t) => {
  if (!requireTool(t, 'kubectl', 'kubectl')) return;
  const single = objects('single');
  assert.equal(deployment(single).spec.replicas, 1);
  assert.equal(find(single, 'HorizontalPodAutoscaler').length, 0);
  assert.equal(find(single, 'PodDisruptionBudget').length, 0);
  assert.match(configMap(single).data['modelgate.yaml'], /kind: memory/);
  const prod = objects('production');
  assert.equal(deployment(prod).spec.replicas, 3);
  assert.equal(find(prod, 'HorizontalPodAutoscaler')[0]?.spec.minReplicas, 3);
  assert.equal(find(prod, 'PodDisruptionBudget')[0]?.spec.minAvailable, 2);
  assert.match(configMap(prod).data['modelgate.yaml'], /kind: redis/);
  assert.ok(container(prod).env.some((e: Any) => e.name === 'REDIS_URL' && e.valueFrom.secretKeyRef.name === 'modelgate-secrets'));
});

/** Each mutation breaks one invariant; the checks must name it. */
const MUTATIONS: Array<[string, (o: K8sObject[]) => void, RegExp]> = [
  ['runs as root', (o) => { const d = deployment(o); d.spec.template.spec.securityContext.runAsUser = 0; container(o).securityContext.runAsUser = 0; }, /runAsUser/],
  ['runAsNonRoot dropped', (o) => { delete deployment(o).spec.template.spec.securityContext.runAsNonRoot; delete container(o).securityContext.runAsNonRoot; }, /runAsNonRoot/],
  ['writable root filesystem', (o) => { container(o).securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem/],
  ['privilege escalation', (o) => { delete container(o).securityContext.allowPrivilegeEscalation; }, /allowPrivilegeEscalation/],
  ['a capability kept', (o) => { container(o).securityContext.capabilities = { drop: ['NET_RAW'] }; }, /drop ALL/],
  ['seccomp unconfined', (o) => { deployment(o).spec.template.spec.securityContext.seccompProfile.type = 'Unconfined'; container(o).securityContext.seccompProfile.type = 'Unconfined'; }, /seccomp/],
  ['image :latest', (o) => { container(o).image = 'modelgate:latest'; }, /fixed tag/],
  ['liveness on the public port', (o) => { container(o).livenessProbe.httpGet.port = 'http'; }, /livenessProbe: port/],
  ['readiness on /healthz', (o) => { container(o).readinessProbe.httpGet.path = '/healthz'; }, /readinessProbe: path/],
  ['grace period shorter than the shutdown', (o) => { deployment(o).spec.template.spec.terminationGracePeriodSeconds = 30; }, /terminationGracePeriodSeconds 30/],
  ['shutdown timeout raised past the grace period', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace('timeout: 30s }', 'timeout: 60s }'); }, /terminationGracePeriodSeconds 45 is not above/],
  ['config that fails check-config', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] += 'bogus: 1\n'; }, /fails check-config/],
  ['admin on loopback', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace(/admin:\n {2}host: 0\.0\.0\.0/, 'admin:\n  host: 127.0.0.1'); }, /loopback/],
  ['admin token as a value', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace('${MODELGATE_ADMIN_TOKEN}', 'an-admin-token-in-clear-text'); }, /admin\.token is a value/],
  ['a secret env value', (o) => { container(o).env = [{ name: 'MODELGATE_ADMIN_TOKEN', value: 'x'.repeat(32) }]; }, /secretKeyRef/],
  ['a Secret object', (o) => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'modelgate-secrets', namespace: 'modelgate' }, stringData: { 'admin-token': 'x' } }); }, /a Secret in the manifests/],
  ['a key pasted into an annotation', (o) => { deployment(o).metadata.annotations = { note: 'mg_0123456789abcdefghijklmnop' }; }, /a modelgate API key/],
  ['a password in a URL', (o) => { container(o).args.push('--x=redis://:hunter2@redis:6379'); }, /credentials in a URL/],
  ['model-server policy admits a whole namespace', (o) => { delete policy(o, 'model-server-only-from-modelgate').spec.ingress[0].from[0].podSelector; }, /none of the gateway pods/],
  ['model-server policy admits any namespace', (o) => { policy(o, 'model-server-only-from-modelgate').spec.ingress[0].from[0].namespaceSelector = {}; }, /namespace any/],
  ['model-server policy admits everyone', (o) => { delete policy(o, 'model-server-only-from-modelgate').spec.ingress[0].from; }, /admits everyone/],
  ['model-server policy selects other pods', (o) => { policy(o, 'model-server-only-from-modelgate').spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'tgi'; }, /no Ingress NetworkPolicy selects the model-server pods/],
  ['model-server policy names labels the gateway lacks', (o) => { policy(o, 'model-server-only-from-modelgate').spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component'] = 'proxy'; }, /admits the gateway pods|none of the gateway pods/],
  ['model-server policy admits an ipBlock', (o) => { policy(o, 'model-server-only-from-modelgate').spec.ingress[0].from.push({ ipBlock: { cidr: '0.0.0.0/0' } }); }, /ipBlock/],
  ['gateway admin port open to the ingress controller', (o) => { policy(o, 'modelgate-ingress').spec.ingress[0].ports.push({ port: 9090, protocol: 'TCP' }); }, /modelgate-ingress: rule 0/],
  ['gateway ingress from anywhere', (o) => { policy(o, 'modelgate-ingress').spec.ingress.push({ ports: [{ port: 8080 }] }); }, /admits everyone/],
  ['gateway ingress policy gone', (o) => { o.splice(o.indexOf(policy(o, 'modelgate-ingress')), 1); }, /no Ingress NetworkPolicy selects the gateway pods/],
  ['gateway egress to the internet', (o) => { policy(o, 'modelgate-egress').spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }); }, /ipBlock/],
  ['gateway egress to any port', (o) => { delete policy(o, 'modelgate-egress').spec.egress[0].ports; }, /every port/],
  // Unknown fields: Kubernetes drops them silently, so a typo unsets what it meant to set (strict.ts).
  ['a typo in the security context', (o) => { container(o).securityContext.readOnlyRootFilesytem = true; }, /securityContext: unknown field "readOnlyRootFilesytem"/],
  ['a probe field one level too high', (o) => { container(o).timeoutSeconds = 5; }, /containers\[0\]: unknown field "timeoutSeconds"/],
  ['a typo in a NetworkPolicy', (o) => { const np = policy(o, 'model-server-only-from-modelgate'); np.spec.ingres = np.spec.ingress; }, /NetworkPolicy\/model-server-only-from-modelgate: spec: unknown field "ingres"/],
  ['a typo in a Certificate', (o) => { (find(o, 'Certificate', 'modelgate-serving')[0] as Any).spec.renewBefor = '720h'; }, /Certificate\/modelgate-serving: spec: unknown field "renewBefor"/],
  ['a typo in the ServiceMonitor', (o) => { (find(o, 'ServiceMonitor', 'modelgate')[0] as Any).spec.endpoints[0].intreval = '15s'; }, /endpoints\[0\]: unknown field "intreval"/],
  ['a typo in an alert rule', (o) => { (find(o, 'PrometheusRule', 'modelgate')[0] as Any).spec.groups[0].rules[0].labelz = { severity: 'page' }; }, /rules\[0\]: unknown field "labelz"/],
  ['an unknown top-level field', (o) => { configMap(o).dataa = {}; }, /ConfigMap\/modelgate-config.*\(root\): unknown field "dataa"/],
];

for (const [what, mutate, expect] of MUTATIONS) {
  test(`broken on purpose — ${what}: the checks fail`, (t) => {
    if (!requireTool(t, 'kubectl', 'kubectl')) return;
    for (const overlay of OVERLAYS) {
      const objs = objects(overlay);
      mutate(objs);
      const ps = [...policyProblems(objs, overlay), ...schemaProblems(objs)];
      assert.ok(ps.some((p) => expect.test(p)), `${overlay}: expected a problem matching ${expect}, got:\n${ps.join('\n')}`);
    }
  });
}

const PRODUCTION_MUTATIONS: Array<[string, (o: K8sObject[]) => void, RegExp]> = [
  ['2 replicas', (o) => { deployment(o).spec.replicas = 2; }, /2 replicas, at least 3/],
  ['no PDB', (o) => { o.splice(o.indexOf(find(o, 'PodDisruptionBudget')[0] as K8sObject), 1); }, /no PodDisruptionBudget/],
  ['PDB that blocks every drain', (o) => { (find(o, 'PodDisruptionBudget')[0] as Any).spec.minAvailable = 3; }, /PDB must keep/],
  ['HPA down to 1', (o) => { (find(o, 'HorizontalPodAutoscaler')[0] as Any).spec.minReplicas = 1; }, /minReplicas 1/],
  ['no spread across nodes', (o) => { deployment(o).spec.template.spec.topologySpreadConstraints = []; }, /spread across nodes/],
  ['memory store with 3 replicas', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace(/store:\n {2}kind: redis\n {2}url: .*\n {2}onError: local.*\n {2}replicas: 3\n {2}timeout: 250ms\n/, 'store:\n  kind: memory\n'); }, /store memory needs exactly one replica/],
  ['Redis open to every pod', (o) => { delete policy(o, 'redis-only-from-modelgate').spec.ingress[0].from[0].podSelector; }, /redis-only-from-modelgate/],
  ['Redis URL without its Secret', (o) => { container(o).env = container(o).env.filter((e: Any) => e.name !== 'REDIS_URL'); }, /REDIS_URL/],
  ['a Redis password in the config', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace('${REDIS_URL}', 'redis://:pw@redis:6379'); }, /credentials in a URL|store\.url is a value/],
  ['a schema violation', (o) => { container(o).ports[0].containerPort = 'eighty'; }, /containerPort must be integer/],
  ['serving TLS off', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace(/ {2}tls:.*\n {4}cert: .*\n {4}key: .*\n/, ''); }, /server\.tls is not set/],
  ['serving certificate from a path no Secret is mounted at', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace('/etc/modelgate/tls/tls.crt', '/etc/modelgate/certs/tls.crt'); }, /server\.tls\.cert.*(no such file|not tls\.crt of a mounted Secret|ENOENT|cannot be read)/],
  ['serving key of another Secret', (o) => { const cm = configMap(o); cm.data['modelgate.yaml'] = cm.data['modelgate.yaml'].replace('/etc/modelgate/tls/tls.key', '/etc/modelgate/upstream/tls.key'); }, /server\.tls\.key .* is not tls\.key of the Secret modelgate-tls|does not match|belong/],
  ['serving certificate from a hand-made Secret', (o) => { deployment(o).spec.template.spec.volumes.find((v: Any) => v.name === 'tls').secret.secretName = 'my-tls'; }, /Secret my-tls is issued by no cert-manager Certificate/],
  ['serving Certificate without the Service name', (o) => { const cert = find(o, 'Certificate', 'modelgate-serving')[0] as Any; cert.spec.dnsNames = ['modelgate.example.com']; }, /does not name the Service/],
];

for (const [what, mutate, expect] of PRODUCTION_MUTATIONS) {
  test(`broken on purpose (production) — ${what}: the checks fail`, (t) => {
    if (!requireTool(t, 'kubectl', 'kubectl')) return;
    const objs = objects('production');
    mutate(objs);
    const ps = [...policyProblems(objs, 'production'), ...schemaProblems(objs)];
    assert.ok(ps.some((p) => expect.test(p)), `expected a problem matching ${expect}, got:\n${ps.join('\n')}`);
  });
}

test('broken in the source tree — an overlay patch that removes readOnlyRootFilesystem and a rules file edited without its PrometheusRule: the checks fail', (t) => {
  if (!requireTool(t, 'kubectl', 'kubectl')) return;
  const scratch = scratchCopy();
  try {
    const k = join(scratch.root, 'overlays', 'production', 'kustomization.yaml');
    writeFileSync(k, `${readFileSync(k, 'utf8')}patchesJson6902:
  - target: { group: apps, version: v1, kind: Deployment, name: modelgate, namespace: modelgate }
    path: writable-root.yaml
`);
    writeFileSync(join(scratch.root, 'overlays', 'production', 'writable-root.yaml'), `- op: replace
  path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem
  value: false
`);
    const pr = join(scratch.root, 'base', 'prometheusrule.yaml');
    writeFileSync(pr, readFileSync(pr, 'utf8').replace('severity: page', 'severity: info'));
    const ps = policyProblems(buildOverlay('production', scratch.root), 'production');
    assert.ok(ps.some((p) => /readOnlyRootFilesystem/.test(p)), ps.join('\n'));
    assert.ok(ps.some((p) => /PrometheusRule modelgate differs/.test(p)), ps.join('\n'));
  } finally { scratch.done(); }
});

test('broken in the source tree — an overlay patch with a misspelt field: kustomize keeps it, the strict check fails', (t) => {
  if (!requireTool(t, 'kubectl', 'kubectl')) return;
  const scratch = scratchCopy();
  try {
    const k = join(scratch.root, 'overlays', 'production', 'kustomization.yaml');
    writeFileSync(k, readFileSync(k, 'utf8').replace(/patchesStrategicMerge:\n/, 'patchesStrategicMerge:\n  - typo.yaml\n'));
    writeFileSync(join(scratch.root, 'overlays', 'production', 'typo.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata: { name: modelgate, namespace: modelgate }
spec:
  template:
    spec:
      terminationGracePeriodSecond: 20
`);
    const ps = schemaProblems(buildOverlay('production', scratch.root));
    assert.ok(ps.some((p) => /Deployment\/modelgate: spec\.template\.spec: unknown field "terminationGracePeriodSecond"/.test(p)), ps.join('\n'));
  } finally { scratch.done(); }
});

test('a broken kustomization fails the build with kubectl\'s message', (t) => {
  if (!requireTool(t, 'kubectl', 'kubectl')) return;
  const scratch = scratchCopy();
  try {
    const k = join(scratch.root, 'base', 'kustomization.yaml');
    writeFileSync(k, readFileSync(k, 'utf8').replace('  - service.yaml\n', '  - service.yaml\n  - missing.yaml\n'));
    assert.throws(() => buildOverlay('single', scratch.root), /kubectl kustomize .* failed: .*missing\.yaml/s);
  } finally { scratch.done(); }
});
