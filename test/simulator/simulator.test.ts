import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { sim } from './started.js';

interface ChatChunk {
  object: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}


function post(s: Simulator, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(s.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal ?? null,
  });
}

/** Splits an SSE body into its `data:` payloads. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

/** Reads a stream event by event, noting when each chunk arrived; `error` if the body broke. */
async function readTimed(res: Response): Promise<{ chunks: Array<{ at: number; text: string }>; error: unknown }> {
  const chunks: Array<{ at: number; text: string }> = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push({ at: performance.now(), text: dec.decode(value, { stream: true }) });
    }
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

// The cap only turns a hang into a failure; a busy machine must not reach it.
async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

const chatBody = { model: 'sim-llm', messages: [{ role: 'user', content: 'Hello there, simulator!' }] };

describe('simulator: OpenAI endpoints', () => {
  test('JSON chat completion', async () => {
    const s = await sim();
    const res = await post(s, '/v1/chat/completions', chatBody);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const j = (await res.json()) as {
      id: string; object: string; model: string; created: number;
      choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    assert.match(j.id, /^chatcmpl-/);
    assert.equal(j.object, 'chat.completion');
    assert.equal(j.model, 'sim-llm');
    assert.equal(typeof j.created, 'number');
    assert.equal(j.choices.length, 1);
    assert.equal(j.choices[0]?.message.role, 'assistant');
    assert.equal(j.choices[0]?.finish_reason, 'stop');
    assert.equal(j.choices[0]?.message.content.split(' ').length, 16);
    assert.deepEqual(j.usage, { prompt_tokens: Math.ceil('Hello there, simulator!'.length / 4), completion_tokens: 16, total_tokens: 6 + 16 });

    // Deterministic for the same prompt.
    const again = (await (await post(s, '/v1/chat/completions', chatBody)).json()) as typeof j;
    assert.equal(again.choices[0]?.message.content, j.choices[0]?.message.content);
  });

  test('max_tokens, n and responseText', async () => {
    const s = await sim({ completionTokens: 4 });
    const j = (await (await post(s, '/v1/chat/completions', { ...chatBody, max_tokens: 5, n: 2 })).json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { completion_tokens: number };
    };
    assert.equal(j.choices.length, 2);
    for (const c of j.choices) {
      assert.equal(c.finish_reason, 'length');
      assert.equal(c.message.content.split(' ').length, 5);
    }
    assert.equal(j.usage.completion_tokens, 10);

    s.options.responseText = 'My SSN is 123-45-6789.';
    const r = (await (await post(s, '/v1/chat/completions', chatBody)).json()) as typeof j;
    assert.equal(r.choices[0]?.message.content, 'My SSN is 123-45-6789.');
    assert.equal(r.usage.completion_tokens, 4);
    const cut = (await (await post(s, '/v1/chat/completions', { ...chatBody, max_completion_tokens: 2 })).json()) as typeof j;
    assert.equal(cut.choices[0]?.message.content, 'My SSN');
    assert.equal(cut.choices[0]?.finish_reason, 'length');
  });

  test('streamed chat with include_usage', async () => {
    const s = await sim({ completionTokens: 5 });
    const res = await post(s, '/v1/chat/completions', { ...chatBody, stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const data = sseData(await res.text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as ChatChunk);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(content.split(' ').length, 5);
    assert.equal(chunks.filter((c) => c.choices[0]?.delta.content).length, 5);
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    const usage = chunks.at(-1);
    assert.deepEqual(usage?.choices, []);
    assert.deepEqual(usage?.usage, { prompt_tokens: 6, completion_tokens: 5, total_tokens: 11 });

    // Same text as the non-stream answer.
    const j = (await (await post(s, '/v1/chat/completions', chatBody)).json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(j.choices[0]?.message.content, content);
  });

  test('stream without include_usage has no usage chunk', async () => {
    const s = await sim({ completionTokens: 3 });
    const data = sseData(await (await post(s, '/v1/chat/completions', { ...chatBody, stream: true })).text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as ChatChunk);
    assert.equal(chunks.length, 1 + 3 + 1);
    assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length === 1));
  });

  test('stream with n=2 interleaves both choices', async () => {
    const s = await sim({ completionTokens: 3 });
    const data = sseData(await (await post(s, '/v1/chat/completions', { ...chatBody, stream: true, n: 2 })).text());
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as ChatChunk);
    for (const index of [0, 1]) {
      const mine = chunks.filter((c) => c.choices[0]?.index === index);
      assert.equal(mine[0]?.choices[0]?.delta.role, 'assistant');
      assert.equal(mine.filter((c) => c.choices[0]?.delta.content).length, 3);
      assert.equal(mine.at(-1)?.choices[0]?.finish_reason, 'stop');
    }
  });

  test('legacy completions, JSON and stream', async () => {
    const s = await sim({ completionTokens: 4 });
    const j = (await (await post(s, '/v1/completions', { model: 'm', prompt: 'abcdefgh' })).json()) as {
      object: string; model: string; choices: Array<{ text: string; finish_reason: string }>; usage: { prompt_tokens: number; completion_tokens: number };
    };
    assert.equal(j.object, 'text_completion');
    assert.equal(j.model, 'm');
    assert.equal(j.choices[0]?.text.split(' ').length, 4);
    assert.deepEqual([j.usage.prompt_tokens, j.usage.completion_tokens], [2, 4]);

    const data = sseData(await (await post(s, '/v1/completions', { prompt: 'abcdefgh', stream: true })).text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: Array<{ text: string; finish_reason: string | null }> });
    assert.ok(chunks.every((c) => c.object === 'text_completion'));
    assert.equal(chunks.map((c) => c.choices[0]?.text).join(''), j.choices[0]?.text);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop');
  });

  test('embeddings: float and base64, deterministic', async () => {
    const s = await sim();
    type Emb = { object: string; data: Array<{ object: string; index: number; embedding: number[] | string }>; usage: { prompt_tokens: number } };
    const one = (await (await post(s, '/v1/embeddings', { model: 'e', input: 'hello world' })).json()) as Emb;
    assert.equal(one.object, 'list');
    assert.equal(one.data.length, 1);
    const v = one.data[0]?.embedding as number[];
    assert.equal(v.length, 8);
    assert.equal(one.usage.prompt_tokens, 3);
    const many = (await (await post(s, '/v1/embeddings', { input: ['hello world', 'other'] })).json()) as Emb;
    assert.deepEqual(many.data.map((d) => d.index), [0, 1]);
    assert.deepEqual(many.data[0]?.embedding, v);
    assert.notDeepEqual(many.data[1]?.embedding, v);
    const b64 = (await (await post(s, '/v1/embeddings', { input: 'hello world', encoding_format: 'base64' })).json()) as Emb;
    const buf = Buffer.from(b64.data[0]?.embedding as string, 'base64');
    const floats = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
    assert.deepEqual(floats, v);
    const tokens = (await (await post(s, '/v1/embeddings', { input: [[1, 2, 3]] })).json()) as Emb;
    assert.equal(tokens.usage.prompt_tokens, 3);
  });

  test('models, internal endpoints, 404 and invalid JSON', async () => {
    const s = await sim();
    const models = (await (await fetch(s.url + '/v1/models')).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(models.data.map((m) => m.id), ['sim-llm']);
    assert.equal((await fetch(s.url + '/health')).status, 200);
    const metrics = await (await fetch(s.url + '/metrics')).text();
    assert.match(metrics, /vllm:num_requests_running/);
    const inv = (await (await post(s, '/invocations', chatBody)).json()) as { object: string };
    assert.equal(inv.object, 'chat.completion');
    const nf = await fetch(s.url + '/v1/nope');
    assert.equal(nf.status, 404);
    assert.ok(((await nf.json()) as { error: { message: string } }).error.message);
    const bad = await post(s, '/v1/chat/completions', '{"messages": [');
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as { error: { type: string; message: string } };
    assert.equal(err.error.type, 'invalid_request_error');
    assert.equal((await post(s, '/v1/chat/completions', { model: 'x' })).status, 400);
  });

  test('records requests with headers and body; reset() clears', async () => {
    const s = await sim();
    const raw = JSON.stringify(chatBody);
    await (await post(s, '/v1/chat/completions?x=1', raw, { headers: { 'x-probe': 'abc' } })).text();
    assert.equal(s.requests.length, 1);
    const r = s.requests[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/chat/completions?x=1');
    assert.equal(r.headers['x-probe'], 'abc');
    assert.equal(r.body, raw);
    assert.ok(r.receivedAt > 0);
    // Recorded even when unparseable.
    await (await post(s, '/v1/chat/completions', 'not json')).text();
    assert.equal(s.requests[1]?.body, 'not json');
    const held = s.requests;
    s.reset();
    assert.equal(held.length, 0);
    assert.equal(s.maxInFlightSeen, 0);
    await waitFor(() => s.inFlight === 0);
  });
});

describe('simulator: scheduling and latency', () => {
  test('slots bound concurrent generation', async () => {
    const s = await sim({ slots: 2, msPerToken: 10, completionTokens: 5 });
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 5 }, () => post(s, '/v1/chat/completions', chatBody).then((r) => r.json())));
    const elapsed = performance.now() - t0;
    assert.equal(all.length, 5);
    assert.equal(s.maxInFlightSeen, 2);
    // 3 waves of ~50 ms each.
    assert.ok(elapsed >= 140, `elapsed ${elapsed}`);
    await waitFor(() => s.inFlight === 0);
  });

  test('eventDelayMs paces SSE events', async () => {
    const s = await sim({ eventDelayMs: 40, completionTokens: 4 });
    const res = await post(s, '/v1/chat/completions', { ...chatBody, stream: true });
    const { chunks, error } = await readTimed(res);
    assert.equal(error, undefined);
    // 1 role + 4 tokens + finish + [DONE] = 7 events, 6 gaps of 40 ms.
    const first = chunks[0]!.at;
    const last = chunks.at(-1)!.at;
    assert.ok(last - first >= 180, `spread ${last - first}`);
    assert.ok(chunks.length >= 5, `chunks ${chunks.length}`);
    assert.match(chunks.map((c) => c.text).join(''), /data: \[DONE\]\n\n$/);
  });

  test('client abort releases the slot', { timeout: 15_000 }, async () => {
    const s = await sim({ slots: 1, msPerToken: 20, completionTokens: 1000 });
    const ac = new AbortController();
    const res = await post(s, '/v1/chat/completions', { ...chatBody, stream: true }, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await reader.read().catch(() => undefined);
    await waitFor(() => s.inFlight === 0); // nothing held, queued or answering
    // With the slot still held this would wait behind ~20 s of generation (the test's timeout
    // below turns that into a failure); with the slot free it is served.
    const j = (await (await post(s, '/v1/chat/completions', { ...chatBody, max_tokens: 2 })).json()) as { choices: unknown[] };
    assert.equal(j.choices.length, 1);
    assert.equal(s.maxInFlightSeen, 1);
  });

  test('a queued request whose client leaves never takes a slot', async () => {
    const s = await sim({ slots: 1, msPerToken: 20, completionTokens: 10 });
    const first = post(s, '/v1/chat/completions', chatBody).then((r) => r.json());
    await waitFor(() => s.inFlight === 1);
    const ac = new AbortController();
    const second = post(s, '/v1/chat/completions', chatBody, { signal: ac.signal }).catch((e: unknown) => e);
    await waitFor(() => s.inFlight === 2);
    ac.abort();
    await second;
    await first;
    await waitFor(() => s.inFlight === 0);
    assert.equal(s.maxInFlightSeen, 1);
  });
});

describe('simulator: failure modes', () => {
  test('error-500 leaks a stack trace; error-503', async () => {
    const s = await sim({ mode: 'error-500' });
    const res = await post(s, '/v1/chat/completions', chatBody);
    assert.equal(res.status, 500);
    const text = await res.text();
    for (const needle of ['Traceback', '/opt/vllm/engine.py', 'CUDA out of memory']) assert.ok(text.includes(needle), needle);
    s.options.mode = 'error-503';
    const r503 = await post(s, '/v1/chat/completions', chatBody);
    assert.equal(r503.status, 503);
    await r503.text();
    s.options.mode = 'normal';
    assert.equal((await post(s, '/v1/chat/completions', chatBody)).status, 200);
  });

  test('hang never answers', async () => {
    const s = await sim({ mode: 'hang' });
    await assert.rejects(
      fetch(s.url + '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chatBody), signal: AbortSignal.timeout(150) }),
      (e: Error) => e.name === 'TimeoutError',
    );
    assert.equal(s.requests.length, 1);
    await waitFor(() => s.inFlight === 0);
  });

  test('reset destroys the socket', async () => {
    const s = await sim({ mode: 'reset' });
    await assert.rejects(post(s, '/v1/chat/completions', chatBody));
    assert.equal(s.requests.length, 1);
  });

  test('stream-cut sends a few events then cuts; JSON requests are reset', async () => {
    const s = await sim({ mode: 'stream-cut', completionTokens: 20 });
    const res = await post(s, '/v1/chat/completions', { ...chatBody, stream: true });
    assert.equal(res.status, 200);
    const { chunks, error } = await readTimed(res);
    assert.ok(error !== undefined, 'body must end in an error');
    const data = sseData(chunks.map((c) => c.text).join(''));
    assert.equal(data.length, 3);
    assert.ok(!data.includes('[DONE]'));
    await assert.rejects(post(s, '/v1/chat/completions', chatBody));
    await waitFor(() => s.inFlight === 0);
  });

  test('close() works while a request hangs', async () => {
    const s = await startSimulator({ mode: 'hang' });
    const pending = post(s, '/v1/chat/completions', chatBody).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => s.requests.length === 1);
    await s.close(); // resolves at all only if the hanging socket was destroyed
    assert.equal(await pending, 'failed');
    await assert.rejects(fetch(s.url + '/health'));
  });
});
