// Logs that are never lost: at low traffic a request's access-log line reaches stdout promptly
// (buffered writes are flushed by a timer, not only when 4 KB have piled up), a process killed
// with SIGKILL 1.5 s after a request has already written its line, and a crash flushes before
// the process exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { sim } from '../simulator/started.js';
import { cliConfig, startCli, type CliGateway } from './cli-process.js';

async function chat(gw: CliGateway): Promise<string> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  await res.text();
  return res.headers.get('x-request-id') as string;
}

test('one request at low traffic: its access-log line reaches stdout without any other traffic', async (t) => {
  const s = await sim();
  const gw = await startCli(cliConfig(s.url));
  try {
    const id = await chat(gw);
    const answered = process.hrtime.bigint();
    const line = await gw.waitLine((l) => l.msg === 'request' && l.reqId === id, 'the access-log line');
    assert.equal(line.status, 200);
    assert.equal(line.keyId, 'test-key');
    // A measurement for the notes, not an assertion (the timer flushes every 250 ms).
    t.diagnostic(`access-log line on stdout ${(Number(process.hrtime.bigint() - answered) / 1e6).toFixed(0)} ms after the response`);
  } finally {
    gw.child.kill('SIGKILL');
  }
});

test('SIGKILL 1.5 s after a request: its line had been written', async () => {
  const s = await sim();
  const gw = await startCli(cliConfig(s.url));
  const id = await chat(gw);
  // The scenario itself: the process lives on, idle, for 1.5 s, then dies without any chance to flush.
  await sleep(1500);
  gw.child.kill('SIGKILL');
  assert.equal(await gw.exited, 'SIGKILL');
  await gw.outputEnded;
  assert.ok(gw.lines.some((l) => l.msg === 'request' && l.reqId === id), 'the access-log line is on stdout');
});

/** A child process that logs through modelgate's logger, installs the CLI's crash handlers, then fails. */
function crash(how: 'throw' | 'reject'): Promise<{ code: number | null; lines: { msg: string; level: number; stack?: string }[] }> {
  const script = `
    import { createLogger } from './dist/src/observability/logger.js';
    import { exitOnCrash } from './dist/src/cli/process.js';
    const logger = createLogger('info');
    exitOnCrash(logger);
    logger.info('before the crash');
    ${how === 'throw' ? "setImmediate(() => { throw new Error('boom'); });" : "Promise.reject(new Error('boom'));"}
    // Keeps the process alive: only the crash handler ends it.
    setInterval(() => undefined, 60_000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += String(d); });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, lines: out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string; level: number }) }));
  });
}

test('an uncaught exception or an unhandled rejection: the buffered lines and a fatal line are written, exit 1', async () => {
  for (const [how, msg] of [['throw', 'uncaught exception'], ['reject', 'unhandled rejection']] as const) {
    const r = await crash(how);
    assert.equal(r.code, 1, how);
    assert.deepEqual(r.lines.map((l) => l.msg), ['before the crash', msg]);
    const fatal = r.lines[1] as { level: number; stack?: string };
    assert.equal(fatal.level, 60);
    assert.match(fatal.stack ?? '', /Error: boom/);
  }
});
