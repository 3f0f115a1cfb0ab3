/**
 * Refusals arrive (issue 10, measured point 5): 2 MB and 20 MB bodies to a 100 kb route, N times
 * each (default 50, env REFUSAL_RUNS) with fetch, the openai client, curl with and without
 * `Expect: 100-continue` and Python requests (when installed); once with a valid key (413
 * MG_BODY_TOO_LARGE) and once with a wrong key (401 MG_AUTH_INVALID). Prints, per case, how many
 * read the refusal and what the others got.
 *
 *   npm run build && node dist/bench/refusals.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../test/helpers.js';
import { hasCurl, hasPythonRequests, misses, repeat, viaCurl, viaFetch, viaOpenAI, viaPythonRequests, type Outcome, type RefusalTarget } from '../test/refusal-clients.js';
import { envNum } from './procs.js';

const RUNS = envNum('REFUSAL_RUNS', 50);
const SIZES = [2 * 1024 * 1024, 20 * 1024 * 1024];

async function main(): Promise<void> {
  const s = await startStack({ logLevel: 'warn' });
  const dir = mkdtempSync(join(tmpdir(), 'mg-refusals-'));
  const curl = hasCurl();
  const python = hasPythonRequests();
  console.log(`refusals: ${RUNS} runs per case; curl ${curl ? 'yes' : 'not installed'}; python requests ${python ? 'yes' : 'not installed'}`);
  console.log('| client | body | expected | read it | failures | ms/request |');
  console.log('|---|---|---|---|---|---|');
  try {
    for (const bytes of SIZES) {
      const file = join(dir, `body-${bytes}`);
      writeFileSync(file, Buffer.alloc(bytes, 'a'));
      for (const [key, status, code] of [[s.key, 413, 'MG_BODY_TOO_LARGE'], ['mg_wrong_key', 401, 'MG_AUTH_INVALID']] as const) {
        const t: RefusalTarget = { url: s.url, path: '/v1/chat/completions', key, file, bytes };
        const clients: [string, () => Promise<Outcome[]>][] = [
          ['fetch', () => repeat(RUNS, () => viaFetch(t))],
          ['openai', () => repeat(RUNS, () => viaOpenAI(t))],
        ];
        if (curl) {
          clients.push(['curl (Expect: 100-continue)', () => repeat(RUNS, () => viaCurl(t, true))]);
          clients.push(['curl (no Expect)', () => repeat(RUNS, () => viaCurl(t, false))]);
        }
        if (python) clients.push(['python requests', () => viaPythonRequests(t, RUNS)]);
        for (const [name, run] of clients) {
          const t0 = process.hrtime.bigint();
          const out = await run();
          const ms = Number(process.hrtime.bigint() - t0) / 1e6 / out.length;
          const bad = misses(out, status, code);
          const summary = [...new Set(bad)].slice(0, 3).join('; ');
          console.log(`| ${name} | ${bytes / 1024 / 1024} MB | ${status} ${code} | ${out.length - bad.length}/${out.length} | ${bad.length}${summary === '' ? '' : ` (${summary})`} | ${ms.toFixed(1)} |`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await s.close();
  }
}

await main();
