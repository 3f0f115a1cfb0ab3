/**
 * Shutdown and log-latency figures of the real CLI process (numbers for docs/benchmarks.md):
 *
 * - SIGTERM during 20 streams: time from SIGTERM to /readyz answering 503, streams ending with
 *   [DONE], exit code, time to exit, access-log lines written.
 * - Low traffic: time from a response to its access-log line on stdout, over N single requests
 *   spaced apart (nothing else writes in between).
 *
 *   node dist/bench/shutdown.js          (MG_BENCH_LOG_SAMPLES=20 by default)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator } from '../src/simulator/index.js';
import { cliConfig, startCli } from '../test/e2e/cli-process.js';
import { envNum } from './procs.js';

const CHAT = '/v1/chat/completions';
const sim = await startSimulator({ slots: 32, eventDelayMs: 100 });

async function stream(url: string, key: string): Promise<{ first: Promise<void>; done: Promise<string> }> {
  let seen!: () => void;
  const first = new Promise<void>((r) => { seen = r; });
  const res = await fetch(url + CHAT, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stream: true, max_tokens: 40, messages: [{ role: 'user', content: 'a story' }] }),
  });
  const done = (async () => {
    let text = '';
    const dec = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += dec.decode(chunk, { stream: true });
      seen();
    }
    return text;
  })();
  return { first, done };
}

{
  const gw = await startCli(cliConfig(sim.url, { server: 'shutdown: { delay: 2s, timeout: 30s }' }));
  const runs = await Promise.all(Array.from({ length: 20 }, () => stream(gw.url, gw.key)));
  await Promise.all(runs.map((r) => r.first));
  const t0 = process.hrtime.bigint();
  gw.child.kill('SIGTERM');
  while ((await fetch(`${gw.adminUrl}/readyz`)).status !== 503) { /* poll */ }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const bodies = await Promise.all(runs.map((r) => r.done));
  const code = await gw.exited;
  const exitMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await gw.outputEnded;
  const done = bodies.filter((b) => b.endsWith('data: [DONE]\n\n')).length;
  const logged = gw.lines.filter((l) => l.msg === 'request').length;
  console.log(`SIGTERM during 20 streams: /readyz 503 after ${readyMs.toFixed(1)} ms; ${done}/20 streams ended with [DONE]; exit code ${code} after ${exitMs.toFixed(0)} ms (delay 2 s); ${logged}/20 access-log lines`);
}

{
  const samples = envNum('MG_BENCH_LOG_SAMPLES', 20, true);
  const gw = await startCli(cliConfig(sim.url));
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    const res = await fetch(gw.url + CHAT, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    const t = process.hrtime.bigint();
    const id = res.headers.get('x-request-id');
    await gw.waitLine((l) => l.msg === 'request' && l.reqId === id, 'access line');
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    await sleep(300); // low traffic: nothing else is written between two requests
  }
  gw.child.kill('SIGKILL');
  lat.sort((a, b) => a - b);
  const q = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number).toFixed(0);
  console.log(`low traffic, response → access-log line on stdout (${samples} requests): median ${q(0.5)} ms, max ${q(1)} ms (flush timer 250 ms)`);
}
await sim.close();
process.exit(0);
