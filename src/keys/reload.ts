/**
 * Config reload (SIGHUP, or a change of the file under `start --watch`): the file is read and
 * validated whole; only keys and tiers take effect (everything else needs a restart, and a change
 * there is logged as such). An invalid file changes nothing: every problem is logged with its path.
 * Requests in flight keep the identity and tier they were admitted with; nothing is dropped.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { ModelgateConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { KeyService } from './service.js';

export interface Reloadable { config: ModelgateConfig; keys: KeyService; logger: Logger; }

/** What a restart would take that a reload does not (compared as JSON, secrets never logged). */
function restartOnly(a: ModelgateConfig, b: ModelgateConfig): string[] {
  const sections: (keyof ModelgateConfig)[] = ['server', 'admin', 'store', 'routes', 'perIp', 'logging'];
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x, (_k, v: unknown) => (v instanceof Set ? [...v] : v)) === JSON.stringify(y, (_k, v: unknown) => (v instanceof Set ? [...v] : v));
  const out: string[] = sections.filter((s) => !same(a[s], b[s]));
  if (!same([...a.upstreams.entries()].map(([n, u]) => [n, { ...u, targets: u.targets.map(String) }]), [...b.upstreams.entries()].map(([n, u]) => [n, { ...u, targets: u.targets.map(String) }]))) out.push('upstreams');
  if (a.auth.keyStore !== b.auth.keyStore || a.auth.headers.join() !== b.auth.headers.join()) out.push('auth.headers/keyStore');
  return out;
}

/** Reloads keys and tiers from `file`; false (and nothing changed) when the file is invalid. */
export function reloadConfig(gw: Reloadable, file: string, who: string): boolean {
  let next: ModelgateConfig;
  try {
    next = loadConfigFile(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [{ path: '(file)', message: (err as Error).message }];
    for (const p of problems) gw.logger.error({ file, path: p.path, problem: p.message }, 'config reload refused: invalid configuration; the running one is kept');
    gw.keys.auditLine(who, 'reload', null, { ok: false, problems: problems.length });
    return false;
  }
  const taken = gw.keys.takenByStore(next.auth.keys);
  if (taken.length > 0) {
    for (const id of taken) gw.logger.error({ file, path: `auth.keys[${next.auth.keys.findIndex((k) => k.id === id)}].id`, problem: `id "${id}" belongs to a key in the key store` }, 'config reload refused: invalid configuration; the running one is kept');
    gw.keys.auditLine(who, 'reload', null, { ok: false, problems: taken.length });
    return false;
  }
  const cur = gw.config;
  const before = new Map(cur.auth.keys.map((k) => [k.id, `${k.hash.toString('hex')}|${k.tier}|${JSON.stringify(k.scope ?? null)}`]));
  const after = new Map(next.auth.keys.map((k) => [k.id, `${k.hash.toString('hex')}|${k.tier}|${JSON.stringify(k.scope ?? null)}`]));
  const ignored = restartOnly(cur, next);
  // Tiers first (a new key may name a new tier), in place: the limiter reads this very map.
  for (const name of [...cur.tiers.keys()]) if (!next.tiers.has(name)) cur.tiers.delete(name);
  for (const [name, t] of next.tiers) cur.tiers.set(name, t);
  cur.defaultTier = next.defaultTier;
  cur.auth.keys = next.auth.keys;
  gw.keys.setConfigKeys(next.auth.keys);
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
  gw.keys.auditLine(who, 'reload', null, { ok: true, added, removed, changed, tiers: [...next.tiers.keys()] });
  if (ignored.length > 0) gw.logger.warn({ sections: ignored }, 'config reload: these sections changed and take effect only at a restart');
  return true;
}

/**
 * Reload when the file changes. The directory is watched, not the file: an editor's
 * write-and-rename and a Kubernetes ConfigMap update (a `..data` symlink swap) replace the file.
 */
export function watchConfig(file: string, onChange: () => void): FSWatcher {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  const w = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name && changed !== '..data') return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; onChange(); }, 100);
  });
  w.unref();
  return w;
}
