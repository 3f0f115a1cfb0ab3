/**
 * External programs tests need (redis-server, chromium, kubectl, promtool...): found on PATH, or
 * — when missing — a visible skip outside CI and a failure under CI=true (CI installs them all,
 * see .ci/run), never a silent pass.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findBinary(...names: string[]): string | null {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** The binary's path; null (the caller then skips with `notice`, and warns) where it is missing outside CI; throws under CI. */
export function binaryOrSkip(notice: string, ...names: string[]): string | null {
  const bin = findBinary(...names);
  if (bin === null && process.env.CI === 'true') throw new Error(`${notice} (CI=true: refusing to skip)`);
  if (bin === null) console.warn(`SKIPPED: ${notice}`);
  return bin;
}
