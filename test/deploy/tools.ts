/**
 * External tools of the deployment checks (kubectl, promtool, prometheus): found on PATH, or a
 * visible skip — except under CI=true, where a missing tool fails the test (.ci/run installs them).
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

const found = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

/**
 * True when the tool is there. Otherwise: under CI=true, throws (the test fails); elsewhere marks
 * the test skipped with a notice on stderr and returns false.
 */
export function requireTool(t: TestContext, name: string, pkg: string): boolean {
  if (hasTool(name)) return true;
  const why = `${name} not found on PATH (Debian: apt-get install ${pkg})`;
  if (process.env.CI === 'true') throw new Error(`${why}; required under CI=true`);
  process.stderr.write(`\n  NOTICE: skipped "${t.name}": ${why}\n`);
  t.skip(why);
  return false;
}

export interface Run { status: number | null; stdout: string; stderr: string; }

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}` };
}
