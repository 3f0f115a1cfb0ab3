// Throughput of the output-protection recognizers (scan + redact) and the
// per-event cost of the reference streaming redactor.
//
//   npm run build && node dist/bench/pii-speed.js [--seconds S]
//
// Texts: 4 KB windows of the benign prompt corpus
// (test/fixtures/corpora/benign/benign.jsonl, presidio-derived records
// excluded), kept only when the scanner finds nothing in them ("clean": prose,
// code, numbers, no PII); "with PII": the same windows with one synthetic
// value (e-mail, phone, card, SSN, IBAN, IP, API key, JWT) spliced in every
// ~400 characters. Each measurement runs for S seconds (default 2) on one core.
//
// Streaming: every clean+PII window is encoded with gpt-tokenizer
// (o200k_base) and decoded one token at a time, which gives the chunks a
// model server streams; each chunk is pushed through PiiRedactStream and the
// wall time of each push is recorded (µs, p50/p99/max), plus the output is
// checked against the batch result.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { encode, decode } from 'gpt-tokenizer';
import { createPiiScanner, PiiRedactStream, PII_TYPES, redact, type PiiScanner } from '../src/detectors/pii/index.js';

const WINDOW = 4096;

function parseSeconds(argv: string[]): number {
  const i = argv.indexOf('--seconds');
  const v = i >= 0 ? Number(argv[i + 1]) : 2;
  return Number.isFinite(v) && v > 0 ? v : 2;
}

export function cleanWindows(scanner: PiiScanner): string[] {
  const lines = readFileSync('test/fixtures/corpora/benign/benign.jsonl', 'utf8').split('\n');
  let all = '';
  for (const line of lines) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line) as { text: string; source: string };
    if (rec.source.includes('presidio')) continue;
    all += rec.text + '\n\n';
  }
  const out: string[] = [];
  for (let i = 0; i + WINDOW <= all.length; i += WINDOW) {
    const w = all.slice(i, i + WINDOW);
    if (scanner.scan(w).length === 0) out.push(w);
  }
  return out;
}

const SAMPLES = [
  'jane.doe@example.com',
  '(415) 555-0132',
  '+44 20 7946 0958',
  '4111 1111 1111 1111',
  '078-05-1120',
  'GB82 WEST 1234 5698 7654 32',
  '192.168.10.24',
  'sk-proj-Tq3vN8xYb2Lm5Kp9Rw1Zc4Hd7Fg0Js6Ua',
  'AKIAIOSFODNN7EXAMPLE',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
];

export function withPii(w: string, seed: number): string {
  let out = '';
  let k = seed;
  for (let i = 0; i < w.length; i += 400) {
    out += w.slice(i, i + 400) + ' ' + (SAMPLES[k++ % SAMPLES.length] ?? '') + ' ';
  }
  return out.slice(0, WINDOW);
}

function throughput(scanner: PiiScanner, texts: string[], seconds: number): { mbps: number; perText: number } {
  let bytes = 0;
  let n = 0;
  let sink = 0;
  for (const t of texts.slice(0, 50)) sink += redact(t, scanner.scan(t)).length; // warm-up
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i] ?? '';
      sink += redact(t, scanner.scan(t)).length;
      bytes += t.length;
      n++;
    }
  }
  const ms = performance.now() - t0;
  if (sink < 0) console.log(sink);
  return { mbps: bytes / 1e6 / (ms / 1000), perText: (ms * 1000) / n };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function streaming(scanner: PiiScanner, texts: string[]): { events: number; p50: number; p99: number; max: number; mismatches: number } {
  const streams = texts.map((t) => encode(t).map((tok) => decode([tok])));
  const times: number[] = [];
  let mismatches = 0;
  for (let round = 0; round < 2; round++) {
    times.length = 0;
    for (let i = 0; i < streams.length; i++) {
      const chunks = streams[i] ?? [];
      const s = new PiiRedactStream(scanner);
      let out = '';
      for (const c of chunks) {
        const t0 = performance.now();
        out += s.push(c);
        times.push((performance.now() - t0) * 1000);
      }
      out += s.end();
      const text = chunks.join('');
      if (round === 1 && out !== redact(text, scanner.scan(text))) mismatches++;
    }
  }
  times.sort((a, b) => a - b);
  return { events: times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1] ?? 0, mismatches };
}

function main(): void {
  const seconds = parseSeconds(process.argv.slice(2));
  const scanner = createPiiScanner({ types: PII_TYPES });
  const clean = cleanWindows(scanner);
  const dirty = clean.map((w, i) => withPii(w, i));
  const found = dirty.reduce((n, t) => n + scanner.scan(t).length, 0);
  console.log(`node ${process.version}; ${clean.length} clean 4 KB windows; with PII: ${found} matches in ${dirty.length} windows`);
  const c = throughput(scanner, clean, seconds);
  const d = throughput(scanner, dirty, seconds);
  console.log(`scan+redact, clean text:    ${c.mbps.toFixed(0)} MB/s (${c.perText.toFixed(1)} µs per 4 KB)`);
  console.log(`scan+redact, with PII:      ${d.mbps.toFixed(0)} MB/s (${d.perText.toFixed(1)} µs per 4 KB)`);
  const s = streaming(scanner, [...clean.slice(0, 40), ...dirty.slice(0, 40)]);
  console.log(
    `streamRedact, token chunks: ${s.events} events, per push p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs, max ${s.max.toFixed(0)} µs; ` +
      `stream != batch in ${s.mismatches} texts`,
  );
}

// Run only when executed, not when bench/output.ts borrows the corpus helpers.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
