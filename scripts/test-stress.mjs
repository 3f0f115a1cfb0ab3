#!/usr/bin/env node
// `npm run test:stress`: the test suite must stay green on a busy machine. Starts
// `stress-ng --cpu 2` (two CPU hogs beside the tests), runs `node scripts/run-tests.mjs` N times
// (default 5; `--runs N`), reports pass/fail per run and exits non-zero if any run failed.
// stress-ng is stopped on every exit path (success, failure, Ctrl-C, SIGTERM, crash).
// Not part of `npm test` / CI: it takes N full suite runs.
import { spawn, spawnSync } from 'node:child_process';

function parseRuns(argv) {
  const i = argv.indexOf('--runs');
  if (i === -1) return 5;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`test-stress: --runs needs a positive integer, got ${argv[i + 1] ?? '(nothing)'}`);
    process.exit(2);
  }
  return n;
}

const runs = parseRuns(process.argv.slice(2));
const testArgs = process.argv.slice(2).filter((a, i, all) => a !== '--runs' && all[i - 1] !== '--runs');

if (spawnSync('stress-ng', ['--version'], { stdio: 'ignore' }).error) {
  console.error('test-stress: stress-ng is not installed (Debian/Ubuntu: apt-get install stress-ng; macOS: brew install stress-ng).');
  process.exit(2);
}

// Its own process group (detached), so the hogs it forks are stopped with it.
const stress = spawn('stress-ng', ['--cpu', '2', '--timeout', '0', '--quiet'], { stdio: 'ignore', detached: true });
let stressExited = false;
stress.on('exit', () => { stressExited = true; });
function stopStress() {
  if (stressExited || stress.pid === undefined) return;
  try { process.kill(-stress.pid, 'SIGTERM'); } catch { /* already gone */ }
  stressExited = true;
}
process.on('exit', stopStress);
/** The suite run in progress, stopped with us when we are interrupted. */
let suite = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    stopStress();
    if (suite?.pid !== undefined) {
      try { process.kill(-suite.pid, sig); } catch { /* already gone */ }
    }
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => { stopStress(); console.error(err); process.exit(1); });

function runSuite() {
  return new Promise((resolve) => {
    // Its own process group too, so an interruption reaches the test runner it spawns.
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...testArgs], { stdio: 'inherit', detached: true });
    suite = child;
    child.on('exit', (code, signal) => { suite = null; resolve(code ?? (signal === null ? 1 : 128)); });
  });
}

const results = [];
for (let i = 1; i <= runs; i++) {
  if (stressExited) {
    console.error('test-stress: stress-ng stopped unexpectedly; the load is gone, so this check would mean nothing.');
    process.exit(1);
  }
  console.log(`\n=== test-stress: run ${i} of ${runs}, with stress-ng --cpu 2 ===`);
  const started = Date.now();
  const code = await runSuite();
  results.push({ run: i, ok: code === 0, seconds: Math.round((Date.now() - started) / 1000) });
  console.log(`=== test-stress: run ${i} ${code === 0 ? 'passed' : `FAILED (exit ${code})`} ===`);
}
stopStress();

console.log('\ntest-stress summary (stress-ng --cpu 2 beside the suite):');
for (const r of results) console.log(`  run ${r.run}: ${r.ok ? 'pass' : 'FAIL'} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(failed === 0 ? `all ${runs} runs green` : `${failed} of ${runs} runs failed`);
process.exit(failed === 0 ? 0 : 1);
