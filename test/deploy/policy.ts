/**
 * What the built manifests must guarantee, as a list of problems (empty = fine). The checks read
 * the objects kustomize emitted, not the source files, so a patch in an overlay that breaks an
 * invariant is caught too. test/deploy/manifests.test.ts runs them and breaks each on purpose.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertDir } from '../certs.js';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadConfigText } from '../../src/config/load.js';
import type { ModelgateConfig } from '../../src/config/types.js';
import { find, type K8sObject, type Overlay } from './k8s.js';

/** The neighbours the NetworkPolicies name (docs/deploy.md tells how to change them). */
export const NEIGHBOURS = {
  gatewayNamespace: 'modelgate',
  modelServer: { namespace: 'inference', labels: { 'app.kubernetes.io/name': 'vllm' } },
  ingress: { namespace: 'ingress-nginx' },
  prometheus: { namespace: 'monitoring' },
  dns: { namespace: 'kube-system', port: 53 },
  redis: { namespace: 'redis', labels: { 'app.kubernetes.io/name': 'redis' }, port: 6379 },
} as const;

const NS_LABEL = 'kubernetes.io/metadata.name';
/** Env names that hold secrets: only from secretKeyRef, never a value. */
const SECRET_ENV = /TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL|REDIS|DSN/i;
/** Secret material that must never appear in any manifest. */
const SECRET_TEXT: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a PEM private key'],
  [/\bmg_[A-Za-z0-9_-]{16,}/, 'a modelgate API key'],
  [/\bsk-[A-Za-z0-9_-]{16,}/, 'an OpenAI-style API key'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i, 'credentials in a URL'],
];

type Labels = Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest fragments
type Any = any;

/** Does a label selector (matchLabels + matchExpressions) select these labels? */
export function selects(selector: Any, labels: Labels): boolean {
  if (selector === undefined || selector === null) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    if (e.operator === 'In' && !(has && e.values.includes(val))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(val)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The namespace a peer's namespaceSelector pins by name, null when it could match others too. */
function pinnedNamespace(peer: Any, policyNs: string | undefined): string | null {
  if (peer.namespaceSelector === undefined) return policyNs ?? null; // no namespaceSelector: the policy's own namespace
  const name = peer.namespaceSelector?.matchLabels?.[NS_LABEL];
  return typeof name === 'string' ? name : null;
}

/** A peer's podSelector requires every one of these labels (so it admits only such pods). */
function requiresLabels(peer: Any, labels: Labels): boolean {
  const ml = peer.podSelector?.matchLabels ?? {};
  return Object.entries(labels).every(([k, v]) => ml[k] === v) && (peer.podSelector?.matchExpressions ?? []).length === 0;
}

function portsOf(rule: Any): number[] {
  return (rule.ports ?? []).map((p: Any) => p.port);
}

interface Ctx { objects: readonly K8sObject[]; problems: string[]; }

function gatewayParts(c: Ctx): { deploy: K8sObject; pod: Any; container: Any; podLabels: Labels } | null {
  const deploys = find(c.objects, 'Deployment', 'modelgate');
  if (deploys.length !== 1) { c.problems.push(`expected one Deployment modelgate, found ${deploys.length}`); return null; }
  const deploy = deploys[0] as K8sObject;
  const pod = deploy.spec?.template?.spec ?? {};
  const container = (pod.containers ?? []).find((x: Any) => x.name === 'modelgate');
  if (container === undefined) { c.problems.push('Deployment modelgate has no container "modelgate"'); return null; }
  return { deploy, pod, container, podLabels: deploy.spec?.template?.metadata?.labels ?? {} };
}

/** Placeholder values for the ${VARS} the config names, so check-config can resolve it offline. */
function placeholder(name: string): string {
  return /URL/.test(name) ? 'redis://redis.redis.svc:6379' : `placeholder-${name.toLowerCase()}-0123456789abcdef`;
}

let standIn: string | null = null;
/**
 * A directory holding what a cert-manager Secret volume holds (tls.crt, tls.key, ca.crt: a real
 * EC pair from openssl, made once per process), standing in for every mounted Secret when the
 * config is loaded: a certificate path that is not under a mounted Secret still fails to load.
 */
function secretStandIn(): string {
  if (standIn !== null) return standIn;
  const d = new CertDir();
  const ca = d.ca('ca');
  const leaf = d.server('leaf', ca);
  copyFileSync(leaf.certFile, join(d.dir, 'tls.crt'));
  copyFileSync(leaf.keyFile, join(d.dir, 'tls.key'));
  copyFileSync(ca.certFile, join(d.dir, 'ca.crt'));
  process.once('exit', () => d.close());
  standIn = d.dir;
  return standIn;
}

/** Mount paths of Secret volumes in the container, with the Secret's name. */
function secretMounts(pod: Any, container: Any): Array<{ path: string; secret: string }> {
  const out: Array<{ path: string; secret: string }> = [];
  for (const m of container.volumeMounts ?? []) {
    const v = (pod.volumes ?? []).find((x: Any) => x.name === m.name);
    if (typeof v?.secret?.secretName === 'string' && m.subPath === undefined) out.push({ path: String(m.mountPath).replace(/\/$/, ''), secret: v.secret.secretName });
  }
  return out;
}

/** The mounted configuration: loaded like `modelgate check-config` does; null (with problems) if it fails. */
function gatewayConfig(c: Ctx, pod: Any, container: Any): { config: ModelgateConfig; raw: string } | null {
  const args: string[] = container.args ?? [];
  const at = args.indexOf('--config');
  const path = at >= 0 ? args[at + 1] : undefined;
  if (path === undefined) { c.problems.push('the container is not started with --config <file>'); return null; }
  const mount = (container.volumeMounts ?? []).find((m: Any) => m.mountPath === path || path.startsWith(`${m.mountPath}/`));
  const volume = (pod.volumes ?? []).find((v: Any) => v.name === mount?.name);
  const cmName = volume?.configMap?.name;
  const cm = find(c.objects, 'ConfigMap', cmName)[0];
  const fileKey = mount?.subPath ?? path.slice((mount?.mountPath ?? '').length + 1);
  const raw: unknown = cm?.data?.[fileKey];
  if (typeof raw !== 'string') { c.problems.push(`--config ${path} is not a key of a mounted ConfigMap`); return null; }
  const env: Record<string, string> = {};
  const defined = new Set((container.env ?? []).map((e: Any) => e.name));
  const values: Array<[string, string]> = [];
  walkStrings(parseYaml(raw), 'config', values); // values, not comments: what interpolation reads
  for (const m of values.map(([, v]) => v).join('\n').matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:-[^}]*)?\}/g)) {
    const name = m[1] as string;
    if (!defined.has(name) && m[2] === undefined) c.problems.push(`the config names \${${name}}, which the container's env does not define`);
    env[name] = placeholder(name);
  }
  // Files under a mounted Secret (certificates) are read from the stand-in, like the pod would.
  let loadable = raw;
  const secrets = secretMounts(pod, container);
  if (secrets.length > 0) {
    const dir = secretStandIn();
    for (const s of secrets) loadable = loadable.split(`${s.path}/`).join(`${dir}/`);
  }
  try {
    return { config: loadConfigText(loadable, env), raw };
  } catch (err) {
    const ps = (err as { problems?: Array<{ path: string; message: string }> }).problems;
    c.problems.push(`the ConfigMap's config fails check-config: ${ps?.map((p) => `${p.path}: ${p.message}`).join('; ') ?? (err as Error).message}`);
    return null;
  }
}

function checkSecurity(c: Ctx, pod: Any, container: Any): void {
  const psc = pod.securityContext ?? {};
  const csc = container.securityContext ?? {};
  const p = (m: string): void => { c.problems.push(`security: ${m}`); };
  if (psc.runAsNonRoot !== true && csc.runAsNonRoot !== true) p('runAsNonRoot is not true');
  const uid = csc.runAsUser ?? psc.runAsUser;
  if (!Number.isInteger(uid) || uid === 0) p(`runAsUser is not a fixed non-root UID (${uid})`);
  if (csc.readOnlyRootFilesystem !== true) p('readOnlyRootFilesystem is not true');
  if (csc.allowPrivilegeEscalation !== false) p('allowPrivilegeEscalation is not false');
  if (csc.privileged === true) p('privileged');
  if (!(csc.capabilities?.drop ?? []).includes('ALL')) p('capabilities do not drop ALL');
  if ((csc.capabilities?.add ?? []).length > 0) p('capabilities are added');
  if ((csc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault') p('seccompProfile is not RuntimeDefault');
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) p('host namespaces');
  if (pod.automountServiceAccountToken !== false) p('the service account token is mounted');
  const r = container.resources ?? {};
  if (r.requests?.cpu === undefined || r.requests?.memory === undefined || r.limits?.memory === undefined) p('cpu/memory requests and a memory limit are required');
  if (typeof container.image !== 'string' || /:latest$|^[^:]+$/.test(container.image)) p(`image "${container.image}" has no fixed tag`);
  // With a read-only root, /tmp must be a mounted volume.
  if (!(container.volumeMounts ?? []).some((m: Any) => m.mountPath === '/tmp')) p('no writable /tmp volume');
}

function containerPort(container: Any, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((x: Any) => x.name === port)?.containerPort;
}

function checkProbes(c: Ctx, container: Any, config: ModelgateConfig): void {
  for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
    const get = container[probe]?.httpGet;
    if (get === undefined) { c.problems.push(`${probe}: missing (expected GET ${path} on the admin port)`); continue; }
    if (get.path !== path) c.problems.push(`${probe}: path ${get.path}, expected ${path}`);
    const port = containerPort(container, get.port);
    if (port !== config.admin.port) c.problems.push(`${probe}: port ${get.port} (${port}) is not the admin port ${config.admin.port}`);
  }
  if (config.admin.host === '127.0.0.1' || config.admin.host === 'localhost') c.problems.push('admin.host is loopback: probes and Prometheus cannot reach it');
  if (containerPort(container, 'http') !== config.server.port) c.problems.push(`container port "http" is not server.port ${config.server.port}`);
  if (containerPort(container, 'admin') !== config.admin.port) c.problems.push(`container port "admin" is not admin.port ${config.admin.port}`);
}

function checkShutdown(c: Ctx, pod: Any, config: ModelgateConfig): void {
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  const need = (config.server.shutdown.delayMs + config.server.shutdown.timeoutMs) / 1000;
  if (!(grace > need)) c.problems.push(`terminationGracePeriodSeconds ${grace} is not above shutdown delay + timeout (${need} s)`);
}

function checkReplicas(c: Ctx, overlay: Overlay, deploy: K8sObject, podLabels: Labels, config: ModelgateConfig): void {
  const replicas = deploy.spec?.replicas ?? 1;
  const hpas = find(c.objects, 'HorizontalPodAutoscaler').filter((h) => h.spec?.scaleTargetRef?.name === 'modelgate');
  const pdbs = find(c.objects, 'PodDisruptionBudget').filter((p) => selects(p.spec?.selector, podLabels));
  if (config.store.kind === 'memory') {
    // Limits live in the process: more than one replica would each enforce the full limits.
    if (replicas !== 1 || hpas.length > 0) c.problems.push(`store memory needs exactly one replica and no HPA (replicas ${replicas}, HPAs ${hpas.length})`);
    if (pdbs.some((p) => (p.spec?.minAvailable ?? 0) >= replicas)) c.problems.push('a PDB with minAvailable ≥ replicas blocks every drain');
  }
  if (overlay === 'production') {
    if (config.store.kind !== 'redis') c.problems.push('production: store is not redis');
    if (replicas < 3) c.problems.push(`production: ${replicas} replicas, at least 3 required`);
    const hpa = hpas[0];
    if (hpa === undefined) c.problems.push('production: no HorizontalPodAutoscaler for Deployment modelgate');
    else if ((hpa.spec?.minReplicas ?? 1) < 3) c.problems.push(`production: HPA minReplicas ${hpa.spec?.minReplicas}, at least 3 required`);
    const pdb = pdbs[0];
    if (pdb === undefined) c.problems.push('production: no PodDisruptionBudget selecting the gateway pods');
    else {
      const min = pdb.spec?.minAvailable;
      if (!(Number.isInteger(min) && min >= 2 && min < replicas) && pdb.spec?.maxUnavailable !== 1) c.problems.push(`production: PDB must keep ≥ 2 of ${replicas} pods and allow one drain (minAvailable ${min})`);
    }
    const spread = deploy.spec?.template?.spec?.topologySpreadConstraints ?? [];
    if (!spread.some((s: Any) => s.topologyKey === 'kubernetes.io/hostname' && selects(s.labelSelector, podLabels))) c.problems.push('production: no topology spread across nodes');
    if (!spread.some((s: Any) => s.topologyKey === 'topology.kubernetes.io/zone' && selects(s.labelSelector, podLabels))) c.problems.push('production: no topology spread across zones');
  }
}

/** NetworkPolicies of a namespace that select pods with these labels, for a direction. */
function policiesFor(c: Ctx, namespace: string, labels: Labels, type: 'Ingress' | 'Egress'): K8sObject[] {
  return find(c.objects, 'NetworkPolicy').filter((np) => np.metadata.namespace === namespace
    && selects(np.spec?.podSelector, labels) && (np.spec?.policyTypes ?? ['Ingress']).includes(type));
}

interface Allowed { what: string; namespace: string; labels?: Labels; ports: number[]; }

/** Every rule names peers and ports, and each peer is one of `allowed` (namespace pinned, labels required, ports within). */
function checkRules(c: Ctx, np: K8sObject, rules: Any[], key: 'from' | 'to', allowed: Allowed[]): void {
  const id = `NetworkPolicy ${np.metadata.namespace}/${np.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    const peers: Any[] = rule[key] ?? [];
    if (peers.length === 0) { c.problems.push(`${id}: rule ${i} has no "${key}": it admits everyone`); continue; }
    const ports = portsOf(rule);
    if (ports.length === 0) { c.problems.push(`${id}: rule ${i} names no ports: it admits every port`); continue; }
    for (const peer of peers) {
      if (peer.ipBlock !== undefined) { c.problems.push(`${id}: rule ${i} admits an ipBlock`); continue; }
      const ns = pinnedNamespace(peer, np.metadata.namespace);
      const match = allowed.find((a) => a.namespace === ns && (a.labels === undefined || requiresLabels(peer, a.labels)) && ports.every((p) => a.ports.includes(p)));
      if (match === undefined) c.problems.push(`${id}: rule ${i} admits a peer that is none of ${allowed.map((a) => a.what).join(', ')} (namespace ${ns ?? 'any'}, ports ${ports.join(',')})`);
    }
  }
}

function upstreamPorts(config: ModelgateConfig): number[] {
  const ports = new Set<number>();
  for (const u of config.upstreams.values()) for (const t of u.targets) ports.add(Number(new URL(t.origin).port || (t.origin.startsWith('https') ? 443 : 80)));
  return [...ports];
}

function checkNetworkPolicies(c: Ctx, podLabels: Labels, selectorLabels: Labels, config: ModelgateConfig): void {
  const n = NEIGHBOURS;
  const gw = n.gatewayNamespace;
  const modelPorts = upstreamPorts(config);
  // 1. The model servers accept only the gateway pods.
  const model = policiesFor(c, n.modelServer.namespace, n.modelServer.labels, 'Ingress');
  if (model.length === 0) c.problems.push(`no Ingress NetworkPolicy selects the model-server pods (${n.modelServer.namespace}, ${JSON.stringify(n.modelServer.labels)})`);
  for (const np of model) checkRules(c, np, np.spec?.ingress ?? [], 'from', [{ what: 'the gateway pods', namespace: gw, labels: selectorLabels, ports: modelPorts }]);
  if (!model.some((np) => (np.spec?.ingress ?? []).some((r: Any) => (r.from ?? []).some((p: Any) => pinnedNamespace(p, np.metadata.namespace) === gw && selects(p.podSelector, podLabels))))) {
    c.problems.push('no model-server NetworkPolicy admits the gateway pods (their labels do not match)');
  }
  // 2. The gateway accepts only the ingress controller (public port) and Prometheus (admin port).
  const ingress = policiesFor(c, gw, podLabels, 'Ingress');
  if (ingress.length === 0) c.problems.push('no Ingress NetworkPolicy selects the gateway pods');
  for (const np of ingress) {
    checkRules(c, np, np.spec?.ingress ?? [], 'from', [
      { what: 'the ingress controller', namespace: n.ingress.namespace, ports: [config.server.port] },
      { what: 'Prometheus', namespace: n.prometheus.namespace, ports: [config.admin.port] },
    ]);
  }
  // 3. The gateway reaches only the model servers, DNS and (with store redis) Redis.
  const egress = policiesFor(c, gw, podLabels, 'Egress');
  if (egress.length === 0) c.problems.push('no Egress NetworkPolicy selects the gateway pods');
  const out: Allowed[] = [
    { what: 'the model servers', namespace: n.modelServer.namespace, labels: n.modelServer.labels, ports: modelPorts },
    { what: 'DNS', namespace: n.dns.namespace, ports: [n.dns.port] },
  ];
  if (config.store.kind === 'redis') out.push({ what: 'Redis', namespace: n.redis.namespace, labels: n.redis.labels, ports: [n.redis.port] });
  for (const np of egress) checkRules(c, np, np.spec?.egress ?? [], 'to', out);
  if (config.store.kind === 'redis') {
    const redis = policiesFor(c, n.redis.namespace, n.redis.labels, 'Ingress');
    if (redis.length === 0) c.problems.push('no Ingress NetworkPolicy selects the Redis pods');
    for (const np of redis) checkRules(c, np, np.spec?.ingress ?? [], 'from', [{ what: 'the gateway pods', namespace: gw, labels: selectorLabels, ports: [n.redis.port] }]);
  }
}

function walkStrings(v: unknown, path: string, out: Array<[string, string]>): void {
  if (typeof v === 'string') out.push([path, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, `${path}.${k}`, out);
}

function checkNoSecrets(c: Ctx, container: Any, rawConfig: string | null): void {
  for (const o of c.objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Secret') c.problems.push(`${id}: a Secret in the manifests (secrets are created out of band)`);
    const strings: Array<[string, string]> = [];
    walkStrings(o, id, strings);
    for (const [path, s] of strings) for (const [re, what] of SECRET_TEXT) if (re.test(s)) c.problems.push(`${path}: ${what}`);
  }
  for (const e of container.env ?? []) {
    if (SECRET_ENV.test(e.name) && e.valueFrom?.secretKeyRef === undefined) c.problems.push(`env ${e.name}: a secret must come from a secretKeyRef`);
  }
  if (rawConfig !== null) {
    const doc = parseYaml(rawConfig) as Any;
    const onlyVar = (v: unknown): boolean => typeof v === 'string' && /^\$\{[A-Z_][A-Z0-9_]*\}$/.test(v);
    if (doc?.admin?.token !== undefined && !onlyVar(doc.admin.token)) c.problems.push('config admin.token is a value, not ${VAR}');
    for (const [i, k] of (doc?.auth?.keys ?? []).entries()) if (k.key !== undefined && !onlyVar(k.key)) c.problems.push(`config auth.keys[${i}].key is a value, not \${VAR}`);
    if (doc?.store?.url !== undefined && !onlyVar(doc.store.url)) c.problems.push('config store.url is a value, not ${VAR} (it carries the Redis password)');
  }
}

function checkWiring(c: Ctx, pod: Any, container: Any, podLabels: Labels): void {
  const svc = find(c.objects, 'Service', 'modelgate')[0];
  if (svc === undefined || !selects({ matchLabels: svc.spec?.selector }, podLabels)) c.problems.push('Service modelgate does not select the gateway pods');
  const sm = find(c.objects, 'ServiceMonitor', 'modelgate')[0];
  if (sm === undefined) c.problems.push('no ServiceMonitor');
  else {
    if (svc !== undefined && !selects(sm.spec?.selector, svc.metadata.labels ?? {})) c.problems.push('the ServiceMonitor does not select Service modelgate');
    const ep = sm.spec?.endpoints?.[0];
    const sp = (svc?.spec?.ports ?? []).find((p: Any) => p.name === ep?.port);
    if (ep?.path !== '/metrics' || sp === undefined || containerPort(container, sp.targetPort) !== containerPort(container, 'admin')) c.problems.push('the ServiceMonitor does not scrape /metrics on the admin port');
  }
  const certs = find(c.objects, 'Certificate');
  const issuers = find(c.objects, 'Issuer');
  for (const v of pod.volumes ?? []) {
    const name = v.secret?.secretName;
    if (name === undefined) continue;
    const cert = certs.find((x) => x.spec?.secretName === name);
    if (cert === undefined) c.problems.push(`volume ${v.name}: Secret ${name} is issued by no cert-manager Certificate`);
    else if (!issuers.some((i) => i.metadata.name === cert.spec?.issuerRef?.name && i.metadata.namespace === cert.metadata.namespace)) c.problems.push(`Certificate ${cert.metadata.name}: its Issuer is not in the manifests`);
  }
  const rule = find(c.objects, 'PrometheusRule', 'modelgate')[0];
  const file = parseYaml(readFileSync('deploy/prometheus/modelgate.rules.yml', 'utf8')) as { groups: unknown };
  if (rule === undefined || !isDeepStrictEqual(rule.spec?.groups, file.groups)) c.problems.push('PrometheusRule modelgate differs from deploy/prometheus/modelgate.rules.yml (npm run deploy:rules)');
}

/**
 * production serves TLS on the public listener (the hop from the ingress controller is encrypted
 * too): server.tls names tls.crt / tls.key of a mounted Secret that a cert-manager Certificate
 * issues for the Service's DNS name, with server auth usage. (check-config has loaded the pair
 * from the stand-in: a path outside the mount already failed there.)
 */
function checkServingTls(c: Ctx, overlay: Overlay, pod: Any, container: Any, rawConfig: string): void {
  if (overlay !== 'production') return;
  const tls = (parseYaml(rawConfig) as Any)?.server?.tls;
  if (tls === undefined || tls === null) { c.problems.push('production: server.tls is not set (the public listener must serve TLS)'); return; }
  const mount = secretMounts(pod, container).find((m) => tls.cert === `${m.path}/tls.crt`);
  if (mount === undefined) { c.problems.push(`production: server.tls.cert ${tls.cert} is not tls.crt of a mounted Secret`); return; }
  if (tls.key !== `${mount.path}/tls.key`) c.problems.push(`production: server.tls.key ${tls.key} is not tls.key of the Secret ${mount.secret}`);
  const cert = find(c.objects, 'Certificate').find((x) => x.spec?.secretName === mount.secret);
  const svc = find(c.objects, 'Service', 'modelgate')[0];
  const svcName = `${svc?.metadata.name}.${svc?.metadata.namespace}.svc`;
  if (cert === undefined) c.problems.push(`production: the serving Secret ${mount.secret} is issued by no cert-manager Certificate`);
  else {
    if (!(cert.spec?.dnsNames ?? []).includes(svcName)) c.problems.push(`production: Certificate ${cert.metadata.name} does not name the Service (${svcName})`);
    if (!(cert.spec?.usages ?? []).includes('server auth')) c.problems.push(`production: Certificate ${cert.metadata.name} lacks the server auth usage`);
  }
}

/** Every problem of an overlay's built objects; [] when all invariants hold. */
export function policyProblems(objects: readonly K8sObject[], overlay: Overlay): string[] {
  const c: Ctx = { objects, problems: [] };
  const parts = gatewayParts(c);
  if (parts === null) return c.problems;
  const { deploy, pod, container, podLabels } = parts;
  const selectorLabels: Labels = deploy.spec?.selector?.matchLabels ?? {};
  if (!selects(deploy.spec?.selector, podLabels)) c.problems.push('the Deployment selector does not match its pod labels');
  checkSecurity(c, pod, container);
  const loaded = gatewayConfig(c, pod, container);
  checkNoSecrets(c, container, loaded?.raw ?? null);
  checkWiring(c, pod, container, podLabels);
  if (loaded === null) return c.problems;
  const { config } = loaded;
  checkProbes(c, container, config);
  checkShutdown(c, pod, config);
  checkReplicas(c, overlay, deploy, podLabels, config);
  checkNetworkPolicies(c, podLabels, selectorLabels, config);
  checkServingTls(c, overlay, pod, container, loaded.raw);
  return c.problems;
}
