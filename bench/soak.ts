/**
 * `npm run bench:soak`: modelgate's memory over a long steady load (not part of `npm test`).
 *
 * Starts the simulator and modelgate (the benchmark configuration, bench/chat-config.ts: the chat
 * route with the whole policy set), drives it with `wrk` at a steady closed-loop load for
 * SOAK_SECONDS (default 600), alternating the JSON and the streamed request every SOAK_SWITCH
 * seconds, and samples the gateway's RSS (/proc/<pid>/status VmRSS) every SOAK_SAMPLE seconds.
 * Reports the median and spread of the samples after the first minute (warm-up: JIT, pools and
 * caches filling) and judges "flat": every such sample within ±10% of their median.
 *
 * Environment: SOAK_SECONDS (600), SOAK_SAMPLE (10), SOAK_SWITCH (60), SOAK_CONNECTIONS (8),
 * SOAK_WARMUP (60, seconds whose samples are left out of the verdict).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatBody } from './chat-config.js';
import { startChatGateway } from './chat-gateway.js';
import { envNum, installCleanup, stopAll } from './procs.js';
import { findWrk, runWrk } from './wrk.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const wrk = findWrk();
  if (wrk === null) throw new Error('wrk is not installed (apt-get install wrk, or set BENCH_WRK)');
  installCleanup();
  const seconds = envNum('SOAK_SECONDS', 600, true);
  const sampleS = envNum('SOAK_SAMPLE', 10, true);
  const switchS = envNum('SOAK_SWITCH', 60, true);
  const conns = Math.round(envNum('SOAK_CONNECTIONS', 8, true));
  const warmupS = envNum('SOAK_WARMUP', 60);
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-soak-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  // The access log goes to /dev/null: 10 minutes of it would only fill the disk.
  const { gw, url, headers } = await startChatGateway(dir, '/dev/null');
  const pid = gw.child.pid as number;

  const samples: { t: number; mb: number }[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => samples.push({ t: (performance.now() - t0) / 1000, mb: rssMb(pid) }), sampleS * 1000);
  samples.push({ t: 0, mb: rssMb(pid) });
  let requests = 0;
  let bad = 0;
  for (let k = 0; (performance.now() - t0) / 1000 < seconds - 0.5; k++) {
    const left = seconds - (performance.now() - t0) / 1000;
    const r = await runWrk(wrk, {
      url, connections: conns, seconds: Math.max(1, Math.min(switchS, Math.round(left))), dir, name: 'soak', headers, body: chatBody(k % 2 === 1),
    });
    requests += r.requests;
    bad += r.non2xx + r.errors;
    process.stderr.write(`soak: ${((performance.now() - t0) / 1000).toFixed(0)} s, ${requests} requests, RSS ${samples[samples.length - 1]?.mb.toFixed(1)} MB\n`);
  }
  clearInterval(timer);
  samples.push({ t: (performance.now() - t0) / 1000, mb: rssMb(pid) });
  await stopAll();

  const steady = samples.filter((s) => s.t >= warmupS).map((s) => s.mb);
  const med = median(steady);
  const lo = Math.min(...steady);
  const hi = Math.max(...steady);
  const flat = steady.every((x) => Math.abs(x - med) <= 0.1 * med);
  const out = [
    `# modelgate soak — ${new Date().toISOString()}`,
    '',
    `- ${seconds} s of wrk at ${conns} connections (JSON and streamed chat requests alternating every ${switchS} s), the chat route with the whole policy set; ${requests.toLocaleString('en-US')} requests, ${bad} non-2xx or errors; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `- RSS sampled every ${sampleS} s; after the first ${warmupS} s: median ${med.toFixed(1)} MB, min ${lo.toFixed(1)}, max ${hi.toFixed(1)} (spread ${(((hi - lo) / med) * 100).toFixed(1)}% of the median)`,
    `- flat (every sample within ±10% of the median): ${flat ? 'YES' : 'NO'}`,
    '',
    `samples (s: MB): ${samples.map((s) => `${s.t.toFixed(0)}: ${s.mb.toFixed(1)}`).join(', ')}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (!flat || bad > 0) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
