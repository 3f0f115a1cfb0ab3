/**
 * Strict field checking of the manifests: every field of every object must be one its type
 * declares. The kubernetes-models validators check types and required fields but let unknown
 * fields through (a `readOnlyRootFilesytem: true` typo validates, and Kubernetes would drop it
 * silently: the invariant it was meant to set does not hold). The packages' TypeScript
 * declarations do name every field, so the types are read with the TypeScript compiler API and
 * each object is walked against its interface.
 *
 * Hand-written because no npm validator ships the Kubernetes, cert-manager and Prometheus-operator
 * schemas with additionalProperties closed (kubeconform needs its schemas downloaded; kubectl's
 * strict validation needs an API server).
 */
import { join } from 'node:path';
import ts from 'typescript';

/** apiVersion/kind → [module, interface] of its declaration. */
const TYPES: Record<string, [string, string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', 'IHorizontalPodAutoscaler'],
  'networking.k8s.io/v1/NetworkPolicy': ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'INetworkPolicy'],
  'cert-manager.io/v1/Certificate': ['@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate', 'ICertificate'],
  'cert-manager.io/v1/Issuer': ['@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer', 'IIssuer'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor'],
  'monitoring.coreos.com/v1/PrometheusRule': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule'],
};

interface Types { checker: ts.TypeChecker; byKind: Map<string, ts.Type> }
let loaded: Types | null = null;

/** One program over a small virtual file that names each interface (built once: ~1 s). */
function types(): Types {
  if (loaded !== null) return loaded;
  const file = join(process.cwd(), 'test', 'deploy', '__k8s_types__.ts');
  const entries = Object.entries(TYPES);
  const text = entries.map(([, [mod, name]], i) => `import type { ${name} as T${i} } from '${mod}';\nexport type K${i} = T${i};`).join('\n');
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram({ rootNames: [file], options, host });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file) as ts.SourceFile;
  const byKind = new Map<string, ts.Type>();
  let i = 0;
  for (const stmt of source.statements) {
    if (!ts.isTypeAliasDeclaration(stmt)) continue;
    const t = checker.getTypeAtLocation(stmt.name);
    const kind = (entries[i++] as [string, unknown])[0];
    if ((t.flags & ts.TypeFlags.Any) !== 0) throw new Error(`strict schema: the type of ${kind} did not resolve`);
    byKind.set(kind, t);
  }
  loaded = { checker, byKind };
  return loaded;
}

/** The object members of a type: a union's object members merged (null/undefined and primitives dropped). */
function objectParts(t: ts.Type): ts.Type[] {
  const parts = t.isUnion() ? t.types : [t];
  return parts.filter((p) => (p.flags & ts.TypeFlags.Object) !== 0 || (p.flags & ts.TypeFlags.Intersection) !== 0);
}

function walk(c: Types, value: unknown, type: ts.Type, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if ((type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) return;
  const parts = objectParts(type);
  if (parts.length === 0) return;
  if (Array.isArray(value)) {
    const el = parts.map((p) => c.checker.getIndexTypeOfType(p, ts.IndexKind.Number)).find((x) => x !== undefined);
    if (el !== undefined) value.forEach((v, i) => walk(c, v, el, `${path}[${i}]`, out));
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const prop = parts.map((p) => p.getProperty(k)).find((x) => x !== undefined);
    if (prop !== undefined) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      if (decl !== undefined) walk(c, v, c.checker.getTypeOfSymbolAtLocation(prop, decl), `${path}.${k}`, out);
      continue;
    }
    const index = parts.map((p) => c.checker.getIndexTypeOfType(p, ts.IndexKind.String)).find((x) => x !== undefined);
    if (index !== undefined) { walk(c, v, index, `${path}.${k}`, out); continue; }
    out.push(`${path === '' ? '(root)' : path.replace(/^\./, '')}: unknown field "${k}"`);
  }
}

/** Unknown fields of one object ("Kind/name: path: unknown field"); [] for a kind not listed (the validators report those). */
export function unknownFields(o: { apiVersion: string; kind: string; metadata?: { name?: string } }): string[] {
  const c = types();
  const t = c.byKind.get(`${o.apiVersion}/${o.kind}`);
  if (t === undefined) return [];
  const out: string[] = [];
  walk(c, o, t, '', out);
  return out.map((p) => `${o.kind}/${o.metadata?.name ?? '?'}: ${p}`);
}
