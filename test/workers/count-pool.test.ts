// Token counts in the worker pool (src/workers/scan-pool.ts, countEach): a thread counts with the
// same tokenizer as admission does inline, so the counts — and with the chat framing added on the
// loop, the cost estimates — are identical, on several hundred corpus texts, unicode, long runs of
// one character (cut by cutLongRuns) and large concatenations, for both BPE encodings. A full
// queue refuses a count with MG_GATEWAY_BUSY like a scan; each count is a scan-pool.task event
// with task "count"; before open and after close counts run inline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ScanPool } from '../../src/workers/scan-pool.js';
import { costFromCount, estimateTextCost, tokenCounter, type TextCostInput, type Tokenizer } from '../../src/limits/cost.js';
import { waitFor } from '../wait.js';
import { Hold } from './hold-worker.js';
import { assertBusy, assertTasks, metric, telemetry } from './pool-telemetry.js';

/** A request's text tokens: the pool counts each text, admission adds them up. */
const sum = (counts: number[]): number => counts.reduce((n, c) => n + c, 0);

function corpus(file: string, n: number): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').slice(0, n).map((l) => (JSON.parse(l) as { text: string }).text);
}

const attacks = corpus('test/fixtures/corpora/injection/attacks.jsonl', 150);
const benign = corpus('test/fixtures/corpora/benign/benign.jsonl', 150);
const UNICODE = [
  'Grüße aus Köln — naïve café, façade, coöperate',
  '東京都の天気は晴れです。明日は雨が降るでしょう。',
  '서울의 날씨는 맑습니다 그리고 내일은 비가 옵니다',
  'مرحبا بالعالم، كيف حالك اليوم؟',
  'שלום עולם, מה שלומך היום?',
  'Привет, мир! Как дела сегодня?',
  'emoji 👩‍👩‍👧‍👦 🏳️‍🌈 🇩🇪 🤖🤖🤖 and a lone surrogate \ud800 end',
  'math ∀x∈ℝ: x² ≥ 0 ∧ ∑ᵢ aᵢ ≤ ∞',
  'zero\u200bwidth\u200bjoiners\u00a0and\u3000ideographic\u2028spaces',
  'ｆｕｌｌｗｉｄｔｈ ＡＳＣＩＩ and ﬁ ligatures',
];
/** Texts that make cutLongRuns cut, and large ones (above any offload threshold). */
const LONG = [
  'a'.repeat(5000),
  '!'.repeat(3000) + ' ' + 'é'.repeat(3000),
  '日本語'.repeat(2000),
  benign.join('\n').slice(0, 60_000),
  UNICODE.join(' ').repeat(200),
  attacks.join(' ').slice(0, 40_000) + '👍'.repeat(500),
];

/** Chat requests as the openai-chat inspection frames them: one text per message, `items` messages. */
function chatInputs(): TextCostInput[] {
  const texts = [...attacks, ...benign, ...UNICODE, ...LONG];
  const inputs: TextCostInput[] = texts.map((t) => ({ texts: [t], items: 1, tokenIds: 0, maxTokens: null, choices: 1 }));
  for (let i = 0; i + 3 <= texts.length; i += 3) {
    inputs.push({ texts: texts.slice(i, i + 3), items: 3, tokenIds: 0, maxTokens: 64, choices: 2 });
  }
  return inputs;
}

for (const tokenizer of ['o200k_base', 'cl100k_base'] as const satisfies readonly Tokenizer[]) {
  test(`pool and inline give identical ${tokenizer} counts and estimates on ${chatInputs().length} chat requests`, async () => {
    const { metrics, events } = telemetry();
    const pool = new ScanPool({ threads: 2, offloadAbove: 0, queue: 10_000, events });
    await pool.open();
    try {
      const counter = tokenCounter(tokenizer);
      const inputs = chatInputs();
      assert.ok(inputs.length >= 400, `${inputs.length} requests`);
      const pooled = await Promise.all(inputs.map((x) => pool.countEach(x.texts, tokenizer, new AbortController().signal).then(sum)));
      inputs.forEach((x, i) => {
        const inline = estimateTextCost(x, counter, 256);
        assert.equal(pooled[i], x.texts.reduce((n, t) => n + counter.count(t), 0), `request ${i}: text tokens`);
        assert.deepEqual(costFromCount(x, pooled[i] as number, 256), inline, `request ${i}: estimate`);
      });
      // The comparison is not trivial: framing adds tokens, and counts differ between texts.
      assert.ok(new Set(pooled).size > 100);
      assert.match(await metric(metrics, 'modelgate_scan_pool_tasks_total'), new RegExp(`outcome="ok",task="count"} ${inputs.length}\\b`));
    } finally {
      await pool.close();
    }
  });
}

test('threads 1, queue 1: a count runs, one waits, the third is refused with MG_GATEWAY_BUSY; inline after close', async () => {
  const hold = new Hold();
  const { metrics, events } = telemetry();
  const pool = new ScanPool({ threads: 1, offloadAbove: 0, queue: 1, events, filename: Hold.filename, workerData: hold.buffer });
  await pool.open();
  try {
    const signal = new AbortController().signal;
    const a = pool.countEach(['first text'], 'o200k_base', signal).then(sum);
    await waitFor(() => hold.started === 1, 'the first count is running (held)');
    const b = pool.countEach([UNICODE[1] as string], 'cl100k_base', signal).then(sum);
    assert.equal(pool.size, 2);
    await assertBusy(pool.countEach(['third'], 'o200k_base', signal).then(sum));
    hold.release();
    assert.equal(await a, tokenCounter('o200k_base').count('first text'));
    assert.equal(await b, tokenCounter('cl100k_base').count(UNICODE[1] as string));
    await assertTasks(metrics, 'count', 2, 1);
  } finally {
    hold.release();
    await pool.close();
  }
  const t = LONG[3] as string;
  assert.equal(pool.takes([t]), false, 'closed');
  assert.equal(await pool.countEach([t], 'o200k_base', new AbortController().signal).then(sum), tokenCounter('o200k_base').count(t), 'counted inline after close');
});
