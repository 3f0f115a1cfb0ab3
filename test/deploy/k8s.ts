/**
 * Building the kustomize overlays (kubectl kustomize) and validating every object against its
 * schema (kubernetes-models, @kubernetes-models/cert-manager, @kubernetes-models/prometheus-operator).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { run } from './tools.js';
import { unknownFields } from './strict.js';

export const OVERLAYS = ['single', 'production'] as const;
export type Overlay = typeof OVERLAYS[number];
export const KUSTOMIZE_ROOT = 'deploy/kubernetes';

/** A Kubernetes object as kustomize emits it, read loosely (the policy checks read what they need). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form YAML documents
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

interface Validatable { validate(): void }
type ModelClass = new (data: never) => Validatable;

/** Every kind the manifests may hold, by apiVersion and kind. Anything else is a problem. */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as ModelClass,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as ModelClass,
  'cert-manager.io/v1/Certificate': Certificate as unknown as ModelClass,
  'cert-manager.io/v1/Issuer': Issuer as unknown as ModelClass,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
};

/**
 * Schema problems of each object: "Kind/name: message"; an unknown apiVersion/kind is one too, and
 * so is a field its type does not declare (strict.ts: a typo Kubernetes would drop silently).
 */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    const id = `${o.kind}/${o.metadata?.name ?? '?'}`;
    if (Model === undefined) { out.push(`${id}: no schema known for ${o.apiVersion} ${o.kind}`); continue; }
    try { new Model(o as never).validate(); } catch (err) { out.push(`${id}: ${(err as Error).message}`); }
    out.push(...unknownFields(o));
  }
  return out;
}

/** `kubectl kustomize <dir>`: the objects, or an Error with kubectl's message. */
export function kustomize(dir: string): K8sObject[] {
  const r = run('kubectl', ['kustomize', dir]);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  for (const d of docs) if (d.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${d.errors[0]?.message}`);
  return docs.map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

export function buildOverlay(overlay: Overlay, root = KUSTOMIZE_ROOT): K8sObject[] {
  return kustomize(join(root, 'overlays', overlay));
}

/** A scratch copy of deploy/kubernetes to break on purpose; `done` removes it. */
export function scratchCopy(): { root: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-k8s-'));
  const root = join(dir, 'kubernetes');
  cpSync(KUSTOMIZE_ROOT, root, { recursive: true });
  return { root, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export function find(objects: readonly K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}
