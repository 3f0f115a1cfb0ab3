// The Dockerfile's invariants, read from the file (no container engine runs in CI): multi-stage;
// the final stage runs as a fixed non-root UID, gets only production dependencies (from a stage
// that ran `npm ci --omit=dev`) and the compiled code, runs node directly; nothing writes outside
// /tmp. Each invariant is then broken on purpose and the check must fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

interface Stage { from: string; name: string | null; lines: string[]; }

/** Instructions by stage (continuation lines joined, comments dropped). */
export function stages(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of joined) {
    const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (m !== null) out.push({ from: m[1] as string, name: m[2] ?? null, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

export function dockerfileProblems(text: string): string[] {
  const ps: string[] = [];
  const all = stages(text);
  if (all.length < 2) return ['not a multi-stage build'];
  const final = all.at(-1) as Stage;
  const instr = (s: Stage, op: string): string[] => s.lines.filter((l) => l.toUpperCase().startsWith(`${op} `)).map((l) => l.slice(op.length + 1).trim());
  // Non-root, fixed UID: the last USER of the final stage is numeric and not 0.
  const user = instr(final, 'USER').at(-1);
  if (user === undefined) ps.push('the final stage has no USER (it would run as root)');
  else if (!/^[1-9][0-9]*(:[1-9][0-9]*)?$/.test(user)) ps.push(`USER ${user} is not a fixed non-root numeric UID[:GID]`);
  // Production dependencies only.
  for (const run of instr(final, 'RUN')) if (/\bnpm (ci|install|i)\b/.test(run) && !/--omit=dev/.test(run)) ps.push(`the final stage installs packages with dev dependencies: ${run}`);
  const copies = instr(final, 'COPY');
  for (const c of copies) {
    const from = /--from=(\S+)/.exec(c)?.[1];
    if (/\bnode_modules\b/.test(c)) {
      const src = all.find((s) => s.name === from);
      const ci = src === undefined ? [] : instr(src, 'RUN').filter((r) => /\bnpm ci\b/.test(r));
      if (src === undefined || ci.length === 0 || !ci.every((r) => /--omit=dev\b/.test(r))) ps.push(`node_modules copied from "${from ?? 'the build context'}", not from a stage that ran npm ci --omit=dev`);
    }
    if (from === undefined && /^(\.|\.\/)\s/.test(c)) ps.push('the final stage copies the whole build context');
    if (from !== undefined && /dist(\/|\s|$)/.test(c) && !/dist\/src\b/.test(c)) ps.push(`the final stage copies compiled tests or benchmarks: ${c}`);
  }
  if (!all.some((s) => instr(s, 'RUN').some((r) => /\bnpm ci\b[^&|;]*--omit=dev\b/.test(r)))) ps.push('no stage runs npm ci --omit=dev');
  // Node as PID 1, exec form (signals reach it).
  const entry = instr(final, 'ENTRYPOINT').at(-1);
  if (entry === undefined || !/^\["node",/.test(entry)) ps.push('ENTRYPOINT is not the exec form ["node", ...] (SIGTERM must reach node)');
  if (/:latest\b/.test(final.from) || (!/:/.test(final.from) && !/^\$\{/.test(final.from))) ps.push(`the final base image ${final.from} has no fixed tag`);
  const arg = /ARG NODE_IMAGE=(\S+)/.exec(text)?.[1];
  if (arg !== undefined && (!/:20[.-]/.test(arg) || /:latest\b/.test(arg))) ps.push(`NODE_IMAGE ${arg} is not a pinned Node 20 image`);
  if (!/^ENV NODE_ENV=production$/m.test(final.lines.map((l) => l).join('\n'))) ps.push('NODE_ENV=production is not set in the final stage');
  for (const e of instr(final, 'ENV')) if (/(TOKEN|KEY|SECRET|PASSWORD)=/i.test(e)) ps.push(`a secret in ENV: ${e}`);
  return ps;
}

const DOCKERFILE = readFileSync('Dockerfile', 'utf8');

test('the Dockerfile holds its invariants', () => {
  assert.deepEqual(dockerfileProblems(DOCKERFILE), []);
  const final = stages(DOCKERFILE).at(-1);
  assert.ok(final !== undefined && final.lines.includes('USER 10001:10001'), 'the UID the manifests run as (runAsUser 10001)');
  assert.match(readFileSync('.dockerignore', 'utf8'), /^node_modules$/m);
});

const BROKEN: Array<[string, (s: string) => string, RegExp]> = [
  ['no USER', (s) => s.replace(/^USER .*$/m, ''), /no USER/],
  ['USER root', (s) => s.replace(/^USER .*$/m, 'USER root'), /not a fixed non-root/],
  ['USER 0', (s) => s.replace(/^USER .*$/m, 'USER 0:0'), /not a fixed non-root/],
  ['USER by name', (s) => s.replace(/^USER .*$/m, 'USER node'), /not a fixed non-root/],
  ['dev dependencies in the deps stage', (s) => s.replace('npm ci --omit=dev', 'npm ci'), /node_modules copied from "deps"|no stage runs npm ci --omit=dev/],
  ['node_modules from the build stage', (s) => s.replace('COPY --from=deps /app/node_modules', 'COPY --from=build /src/node_modules'), /node_modules copied from "build"/],
  ['npm install in the final stage', (s) => s.replace('WORKDIR /app\nCOPY --from=deps', 'WORKDIR /app\nRUN npm install\nCOPY --from=deps'), /installs packages with dev dependencies/],
  ['the whole context copied', (s) => s.replace('COPY package.json ./\nCOPY schema', 'COPY . .\nCOPY schema'), /whole build context/],
  ['compiled tests copied', (s) => s.replace('COPY --from=build /src/dist/src ./dist/src', 'COPY --from=build /src/dist ./dist'), /compiled tests/],
  ['shell-form entrypoint', (s) => s.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT node dist/src/cli/main.js'), /ENTRYPOINT/],
  ['latest base image', (s) => s.replace('node:20-bookworm-slim', 'node:latest'), /pinned Node 20/],
  ['a secret baked in', (s) => s.replace('ENV NODE_ENV=production', 'ENV NODE_ENV=production\nENV MODELGATE_ADMIN_TOKEN=abc'), /a secret in ENV/],
  ['single stage', (s) => s.replace(/FROM \$\{NODE_IMAGE\} AS (build|deps)\n/g, ''), /multi-stage/],
];

for (const [what, breakIt, expect] of BROKEN) {
  test(`Dockerfile broken on purpose — ${what}: the check fails`, () => {
    const broken = breakIt(DOCKERFILE);
    assert.notEqual(broken, DOCKERFILE, 'the mutation applies');
    const ps = dockerfileProblems(broken);
    assert.ok(ps.some((p) => expect.test(p)), `expected ${expect}, got: ${ps.join('; ')}`);
  });
}
