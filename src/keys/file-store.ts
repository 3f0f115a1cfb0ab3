/**
 * The key store of a single replica (store.kind: memory): records in this process, persisted to
 * `auth.keyStore` after every change. The file is replaced atomically (written to a temp file in
 * the same directory, fsynced, renamed over the old one), so a crash leaves the old or the new
 * file, never half of one. Without `auth.keyStore` the records live in memory only (lost at exit).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CasResult, KeyBackend } from './types.js';

interface FileShape { version: number; keys: Record<string, unknown>; lastUsed?: Record<string, number>; }

/** Reads the file (absent: empty). Throws on a file that exists but cannot be parsed. */
function readStoreFile(file: string): { version: number; keys: Map<string, string>; lastUsed: Map<string, number> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 0, keys: new Map(), lastUsed: new Map() };
    throw err;
  }
  const doc = JSON.parse(text) as FileShape;
  if (typeof doc !== 'object' || doc === null || typeof doc.version !== 'number' || typeof doc.keys !== 'object' || doc.keys === null) {
    throw new Error(`${file}: not a modelgate key store file`);
  }
  return {
    version: doc.version,
    keys: new Map(Object.entries(doc.keys).map(([id, rec]) => [id, JSON.stringify(rec)])),
    lastUsed: new Map(Object.entries(doc.lastUsed ?? {})),
  };
}

export function writeFileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  // The rename itself is durable once the directory is synced.
  try {
    const dfd = openSync(dirname(file), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

export function createFileKeyStore(file: string | null): KeyBackend {
  const initial = file === null ? { version: 0, keys: new Map<string, string>(), lastUsed: new Map<string, number>() } : readStoreFile(file);
  let version = initial.version;
  const keys = initial.keys;
  const used = initial.lastUsed;
  let usedDirty = false;
  const persist = (): void => {
    if (file === null) return;
    usedDirty = false;
    const doc: FileShape = {
      version,
      keys: Object.fromEntries([...keys].map(([id, json]) => [id, JSON.parse(json) as unknown])),
      lastUsed: Object.fromEntries([...used].filter(([id]) => keys.has(id))),
    };
    writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
  };
  return {
    kind: file === null ? 'memory' : 'file',
    load: async () => ({ keys: new Map(keys), version }),
    version: async () => version,
    get: async (id) => keys.get(id) ?? null,
    async cas(id, expect, next): Promise<CasResult> {
      const cur = keys.get(id) ?? null;
      if (expect === null && cur !== null) return { ok: false, reason: 'exists' };
      if (expect === '*' ? cur === null : expect !== null && cur !== expect) return { ok: false, reason: 'changed' };
      const before = { version, cur };
      if (next === null) keys.delete(id);
      else keys.set(id, next);
      version++;
      try {
        persist();
      } catch (err) {
        // Not on disk: not done.
        version = before.version;
        if (before.cur === null) keys.delete(id);
        else keys.set(id, before.cur);
        throw err;
      }
      return { ok: true, version };
    },
    subscribe: () => undefined,
    async recordUse(seen) {
      for (const [id, t] of seen) {
        if (t > (used.get(id) ?? 0)) {
          used.set(id, t);
          usedDirty = true;
        }
      }
    },
    lastUsed: async () => new Map(used),
    connected: () => true,
    async close() {
      // Last-used instants are written with the next change, or here.
      if (!usedDirty) return;
      try { persist(); } catch { /* best effort */ }
    },
  };
}
