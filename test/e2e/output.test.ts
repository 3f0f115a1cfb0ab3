// Output protection on real HTTP responses from the simulator: PII and secrets redacted (or the
// response withheld) in JSON and in streams, streamed == non-streamed for any chunking, time to
// first token kept, canary markers caught whole or split, fail-closed / fail-open, and no
// redacted value ever in the logs or the metrics.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PromptFingerprint } from '../../src/detectors/prompt-leak.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import OpenAI from 'openai';
import { startStack, bearer, post, codeOf, type Stack } from '../helpers.js';
import { createPiiScanner, redact, PII_TYPES } from '../../src/detectors/pii/index.js';

const ALL = `[${PII_TYPES.join(', ')}]`;
const ROUTES = `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    output: { redact: ${ALL}, allow: [support@acme.com], canary: true }
  - path: /v1/completions
    protocol: openai-completions
    upstream: llm
    output: { redact: [credit_card, api_key], action: block }
  - path: /raw/v1/chat/completions
    protocol: openai-chat
    upstream: raw
    output: { redact: ${ALL} }
`;

// Secrets and PII assembled at run time (never a live-looking literal in the repo).
const CARD = ['4111', '1111', '1111', '1111'].join(' ');
const EMAIL = ['jane.doe', 'example.org'].join('@');
const KEY = `sk-${'proj'}-${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'}`;
const SSN = ['123', '45', '6789'].join('-');
const scanner = createPiiScanner({ types: [...PII_TYPES], allow: ['support@acme.com'] });
const expected = (text: string): string => redact(text, scanner.scan(text));

/** A raw upstream returning fixed bytes (odd spacing, escapes): what "byte for byte" means. */
let rawServer: Server;
let rawBody = '';
let s: Stack;

before(async () => {
  rawServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(rawBody);
    });
  });
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  const port = (rawServer.address() as AddressInfo).port;
  s = await startStack({ routes: ROUTES, upstream: `  raw:\n    targets: ["http://127.0.0.1:${port}"]` });
});
after(async () => {
  await s.close();
  await new Promise<void>((r) => rawServer.close(() => r()));
});

function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'sim-llm', messages: [{ role: 'system', content: 'You are the ACME helpdesk.' }, { role: 'user', content: 'hello' }], ...extra };
}

interface Streamed { events: unknown[]; text: string; done: boolean; raw: string; arrivals: Array<{ at: number; text: string }>; }

async function stream(path: string, body: Record<string, unknown>): Promise<Streamed> {
  const t0 = performance.now();
  const res = await fetch(s.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(s.key) },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let raw = '';
  const arrivals: Streamed['arrivals'] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const piece = dec.decode(value, { stream: true });
    raw += piece;
    arrivals.push({ at: performance.now() - t0, text: piece });
  }
  const events: unknown[] = [];
  let text = '';
  let doneSeen = false;
  for (const block of raw.split('\n\n')) {
    if (!block.startsWith('data: ')) continue;
    const data = block.slice(6);
    if (data === '[DONE]') { doneSeen = true; continue; }
    const v = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string }; text?: string }> };
    events.push(v);
    for (const c of v.choices ?? []) text += c.delta?.content ?? c.text ?? '';
  }
  return { events, text, done: doneSeen, raw, arrivals };
}

async function metrics(): Promise<string> {
  return (await fetch(`${s.gw.adminUrl}/metrics`)).text();
}

describe('JSON responses', () => {
  test('PII and secrets in message content are redacted; ids and numbers are not; Content-Length matches', async () => {
    const text = `Write to ${EMAIL} or support@acme.com; card ${CARD}; key ${KEY}; ssn ${SSN}.`;
    s.sim.options.responseText = text;
    const r = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
    assert.equal(r.status, 200);
    const v = r.json as { id: string; choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
    const content = v.choices[0]?.message.content ?? '';
    assert.equal(content, expected(text));
    assert.match(content, /\[REDACTED:email\].*support@acme\.com.*\[REDACTED:credit_card\].*\[REDACTED:api_key\].*\[REDACTED:ssn\]/);
    for (const secret of [EMAIL, CARD, KEY, SSN]) assert.ok(!r.body.includes(secret), 'value left in the body');
    assert.match(v.id, /^chatcmpl-/);
    assert.ok(v.usage.completion_tokens > 0);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  });

  test('completion text on a block route: the whole response is withheld with MG_OUTPUT_BLOCKED', async () => {
    s.sim.options.responseText = `Your card is ${CARD}.`;
    const r = await post(s.url, '/v1/completions', { model: 'sim-llm', prompt: 'card?' }, bearer(s.key));
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'MG_OUTPUT_BLOCKED');
    assert.ok(!r.body.includes('4111'));
    s.sim.options.responseText = 'Nothing sensitive here.';
    const ok = await post(s.url, '/v1/completions', { model: 'sim-llm', prompt: 'hi' }, bearer(s.key));
    assert.equal(ok.status, 200);
    assert.equal((ok.json as { choices: Array<{ text: string }> }).choices[0]?.text, 'Nothing sensitive here.');
  });

  test('clean text passes byte for byte; tool-call arguments are filtered; logprobs are removed', async () => {
    rawBody = '{ "id" : "x1", "choices" : [ { "index":0, "message": { "role":"assistant", "content":"caf\\u00e9  ok 2024-01-05" } } ], "usage": {"prompt_tokens":3,"completion_tokens":4} }';
    const clean = await post(s.url, '/raw/v1/chat/completions', chatBody(), bearer(s.key));
    assert.equal(clean.status, 200);
    assert.equal(clean.body, rawBody);
    rawBody = JSON.stringify({
      id: 'x2',
      choices: [{
        index: 0,
        message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'send', arguments: JSON.stringify({ to: EMAIL, n: 5 }) } }] },
        logprobs: { content: [{ token: EMAIL, logprob: -0.1 }] },
      }],
    });
    const r = await post(s.url, '/raw/v1/chat/completions', chatBody(), bearer(s.key));
    const v = r.json as { choices: Array<{ message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> }; logprobs: unknown }> };
    const call = v.choices[0]?.message.tool_calls[0];
    assert.equal(call?.id, 'call_1');
    assert.equal(call?.function.name, 'send');
    assert.deepEqual(JSON.parse(call?.function.arguments ?? ''), { to: '[REDACTED:email]', n: 5 });
    assert.equal(v.choices[0]?.logprobs, null);
    assert.ok(!r.body.includes(EMAIL));
  });

  test('the official openai client reads redacted answers', async () => {
    s.sim.options.responseText = `Contact ${EMAIL} today.`;
    const client = new OpenAI({ apiKey: s.key, baseURL: `${s.url}/v1`, maxRetries: 0 });
    const done = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'who?' }] });
    assert.equal(done.choices[0]?.message.content, 'Contact [REDACTED:email] today.');
    const st = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'who?' }], stream: true });
    let text = '';
    for await (const chunk of st) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Contact [REDACTED:email] today.');
  });
});

describe('streaming responses', () => {
  test('streamed result equals the non-streamed result under random chunkings (down to one character per event)', async () => {
    const filler = fc.constantFrom('hello ', 'call ', 'at ', '2024-01-05 ', 'v1.2.3 ', 'mail ', ', ', '\n', 'id 42 ', '@', '-', ' ');
    const secret = fc.constantFrom(EMAIL, CARD, KEY, SSN, '192.168.10.20', '+1 415 555 0100', 'support@acme.com', 'DE89 3704 0044 0532 0130 00');
    const textArb = fc.array(fc.oneof(filler, secret), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    await fc.assert(fc.asyncProperty(textArb, fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 }), async (text, cuts) => {
      const chunks: string[] = [];
      for (let i = 0, k = 0; i < text.length; k++) {
        const n = cuts[k % cuts.length] as number;
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      s.sim.options.responseChunks = chunks;
      const json = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
      const whole = (json.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content;
      const st = await stream('/v1/chat/completions', chatBody({ stream_options: { include_usage: true } }));
      assert.equal(whole, expected(text));
      assert.equal(st.text, whole);
      assert.ok(st.done, '[DONE] passes');
      const last = st.events[st.events.length - 1] as { choices: unknown[]; usage?: { completion_tokens: number } };
      assert.deepEqual(last.choices, []);
      assert.equal(last.usage?.completion_tokens, chunks.length, 'usage chunk intact');
    }), { numRuns: 30 });
    s.sim.options.responseChunks = [];
  });

  test('a match split across many events is caught; completions streams too', async () => {
    s.sim.options.responseChunks = [...`key=${KEY}; mail ${EMAIL}.`];
    const st = await stream('/v1/chat/completions', chatBody());
    assert.equal(st.text, 'key=[REDACTED:api_key]; mail [REDACTED:email].');
    assert.ok(!st.raw.includes('A1b2C3d4'));
    s.sim.options.responseChunks = ['Card ', '4111 11', '11 1111', ' 1111 ok'];
    const blocked = await stream('/v1/completions', { model: 'sim-llm', prompt: 'card?' });
    assert.ok(!blocked.raw.includes('4111'));
    const err = blocked.events[blocked.events.length - 1] as { error?: { code?: string } };
    assert.equal(err.error?.code, 'MG_OUTPUT_BLOCKED');
    assert.equal(blocked.done, false, 'a withheld stream ends with the error event');
    s.sim.options.responseChunks = [];
  });

  test('time to first token: an event without candidate text is not held for the next one', async () => {
    s.sim.options.responseChunks = ['The weather ', 'is fine ', 'today, ', 'thanks. ', 'Bye. '];
    s.sim.options.eventDelayMs = 150;
    try {
      const st = await stream('/v1/chat/completions', chatBody());
      assert.equal(st.text, 'The weather is fine today, thanks. Bye. ');
      // Each piece arrives in its own read, ~150 ms after the previous: none waited for its successor.
      const times = ['The weather', 'is fine', 'today,', 'thanks.', 'Bye.'].map((w) => st.arrivals.find((a) => a.text.includes(w))?.at ?? -1);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number);
        assert.ok(gap > 90, `piece ${i} came ${gap.toFixed(1)} ms after piece ${i - 1}: held back`);
      }
    } finally {
      s.sim.options.eventDelayMs = 0;
      s.sim.options.responseChunks = [];
    }
  });
});

describe('canary tokens', () => {
  test('each request gets its own marker in the system prompt; normal answers are untouched', async () => {
    s.sim.reset();
    s.sim.options.responseText = 'Hello, how can I help?';
    const a = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
    const b = await post(s.url, '/v1/chat/completions', { model: 'sim-llm', messages: [{ role: 'user', content: 'hi' }] }, bearer(s.key));
    assert.equal(a.status, 200);
    assert.equal((a.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'Hello, how can I help?');
    const sent = s.sim.requests.map((r) => JSON.parse(r.body) as { messages: Array<{ role: string; content: string }> });
    const m1 = /MGC-[0-9A-F]{20}/.exec(sent[0]?.messages[0]?.content ?? '')?.[0];
    const m2 = /MGC-[0-9A-F]{20}/.exec(sent[1]?.messages[0]?.content ?? '')?.[0];
    assert.ok(m1 && m2 && m1 !== m2, 'a fresh marker per request');
    // The marker goes first (issue 14), so a model repeating its prompt hits it within a few words.
    assert.match(sent[0]?.messages[0]?.content ?? '', /^Confidential marker: MGC-[0-9A-F]{20}\.[^\n]*\n\nYou are the ACME helpdesk\./);
    assert.equal(sent[1]?.messages[0]?.role, 'system', 'a system message is added when there is none');
    assert.ok(!a.body.includes('MGC-') && !b.body.includes('MGC-'));
  });

  test('a model that repeats its system prompt is blocked (JSON), counted, and logged with the key id', async () => {
    s.sim.options.responseText = 'My instructions say: {system}';
    const before = await metrics();
    const r = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'MG_OUTPUT_BLOCKED');
    assert.ok(!r.body.includes('MGC-') && !r.body.includes('ACME helpdesk'));
    const after = await metrics();
    const count = (t: string): number => Number(/modelgate_canary_leak_total\{route="\/v1\/chat\/completions",kind="canary"\} (\d+)/.exec(t)?.[1] ?? 0);
    assert.equal(count(after), count(before) + 1);
    const line = s.logs.find((l) => l.includes('system prompt leak blocked') && l.includes(String(JSON.parse(r.body).request_id)));
    assert.ok(line?.includes('"keyId":"test-key"'));
  });

  test('a model that repeats its system prompt in base64 or hex is blocked, whole and streamed (raw SSE and the official client); the client sees the encoding of five words at most', async () => {
    const encodings = { base64: /[A-Za-z0-9+/_-]+/g, hex: /[0-9A-Fa-f]+/g } as const;
    // What a client was shown, decoded, against the system prompt of the last request: no run of
    // six words of the prompt, and not the helpdesk sentence after the marker line.
    const assertShownSafe = (name: string, runs: RegExp, text: string): void => {
      const system = (JSON.parse(s.sim.requests[s.sim.requests.length - 1]?.body ?? '{}') as { messages: Array<{ content: string }> }).messages[0]?.content ?? '';
      const shown = (text.match(runs) ?? []).map((run) => Buffer.from(run, name as BufferEncoding).toString('utf8')).join(' ');
      assert.ok(!shown.includes('helpdesk'), `${name}: ${shown}`);
      assert.equal(new PromptFingerprint(system, 6).leaks(shown), false, `${name}: ${shown}`);
    };
    for (const [name, runs] of Object.entries(encodings)) {
      s.sim.options.responseText = `Encoded as asked: {system:${name}} Done.`;
      try {
        const r = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
        assert.equal(r.status, 403, name);
        assert.equal(codeOf(r), 'MG_OUTPUT_BLOCKED');
        s.sim.options.splitEvery = 7;
        const st = await stream('/v1/chat/completions', chatBody());
        const err = st.events[st.events.length - 1] as { error?: { code?: string } };
        assert.equal(err.error?.code, 'MG_OUTPUT_BLOCKED', name);
        assertShownSafe(name, runs, st.text);
        const system = (JSON.parse(s.sim.requests[s.sim.requests.length - 1]?.body ?? '{}') as { messages: Array<{ content: string }> }).messages[0]?.content ?? '';
        assert.ok(Buffer.from(system).toString(name as BufferEncoding).startsWith(st.text.slice('Encoded as asked: '.length)), `${name}: the shown part is the start of the copy`);
        // The official client: the stream raises an APIError carrying our code after the text shown.
        const client = new OpenAI({ apiKey: s.key, baseURL: `${s.url}/v1`, maxRetries: 0 });
        // (Asked in the user message, "print your instructions in base64" is refused as an
        // injection before the model sees it: the simulator plays a model that leaks unasked.)
        const cs = await client.chat.completions.create({ ...(chatBody() as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming), stream: true });
        let seen = '';
        let raised: unknown = null;
        try {
          for await (const chunk of cs) seen += chunk.choices[0]?.delta?.content ?? '';
        } catch (e) {
          raised = e;
        }
        assert.ok(raised instanceof OpenAI.APIError, `${name}: ${String(raised)}`);
        assert.equal((raised as InstanceType<typeof OpenAI.APIError>).code, 'MG_OUTPUT_BLOCKED');
        assertShownSafe(name, runs, seen);
      } finally {
        s.sim.options.splitEvery = 0;
        s.sim.options.responseText = '';
      }
    }
  });

  test('a marker split across three events is caught in a stream, and no part of it is shown', async () => {
    s.sim.options.responseText = 'Sure: {system}';
    s.sim.options.splitEvery = 9;
    try {
      const st = await stream('/v1/chat/completions', chatBody());
      const err = st.events[st.events.length - 1] as { error?: { code?: string } };
      assert.equal(err.error?.code, 'MG_OUTPUT_BLOCKED');
      assert.ok(!st.raw.includes('MGC-'), 'no part of the marker reaches the client');
      const sent = JSON.parse(s.sim.requests[s.sim.requests.length - 1]?.body ?? '{}') as { messages: Array<{ content: string }> };
      const marker = /MGC-[0-9A-F]{20}/.exec(sent.messages[0]?.content ?? '')?.[0] ?? '';
      const start = ('Sure: ' + (sent.messages[0]?.content ?? '')).indexOf(marker);
      assert.ok(Math.floor((start + marker.length - 1) / 9) - Math.floor(start / 9) >= 2, 'the marker spans at least three events');
    } finally {
      s.sim.options.splitEvery = 0;
    }
  });
});

describe('audit', () => {
  test('redactions are counted by type and logged with request id, key id, type and count — never the value', async () => {
    s.sim.options.responseText = `Mail ${EMAIL} and ${EMAIL}, card ${CARD}.`;
    const r = await post(s.url, '/v1/chat/completions', chatBody(), bearer(s.key));
    const id = String(r.headers['x-request-id']);
    const line = s.logs.find((l) => l.includes('sensitive output found') && l.includes(id));
    assert.ok(line, 'audit line written');
    const entry = JSON.parse(line) as { keyId: string; redacted: Record<string, number> };
    assert.equal(entry.keyId, 'test-key');
    assert.deepEqual(entry.redacted, { email: 2, credit_card: 1 });
    const m = await metrics();
    assert.match(m, /modelgate_output_redacted_total\{pii_type="email",route="\/v1\/chat\/completions"\} \d+/);
    const everything = s.logs.join('') + m;
    for (const secret of [EMAIL, CARD, KEY, SSN, 'jane.doe', '4111 1111', 'A1b2C3d4']) assert.ok(!everything.includes(secret), `${secret} leaked into logs or metrics`);
  });
});

describe('fail mode', () => {
  test('a response the filter cannot read is withheld (fail-closed); fail-open passes it, counted and logged', async () => {
    const open = await startStack({
      routes: `
  - { path: /v1/chat/completions, protocol: openai-chat, upstream: llm, output: { redact: [credit_card] } }
  - { path: /v1/completions, protocol: openai-completions, upstream: llm, output: { redact: [credit_card], onError: fail-open } }
`,
      sim: { mode: 'garbage' },
    });
    try {
      const closed = await post(open.url, '/v1/chat/completions', chatBody(), bearer(open.key));
      assert.equal(closed.status, 502);
      assert.equal(codeOf(closed), 'MG_OUTPUT_CHECK_FAILED');
      assert.ok(!closed.body.includes('4111'));
      const cst = await fetch(`${open.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(open.key) }, body: JSON.stringify(chatBody({ stream: true })) });
      const ctext = await cst.text();
      assert.ok(ctext.includes('MG_OUTPUT_CHECK_FAILED') && !ctext.includes('4111'));
      const passed = await post(open.url, '/v1/completions', { model: 'sim-llm', prompt: 'x' }, bearer(open.key));
      assert.equal(passed.status, 200);
      assert.ok(passed.body.includes('4111'), 'fail-open sends the response unfiltered');
      const m = await (await fetch(`${open.gw.adminUrl}/metrics`)).text();
      assert.match(m, /modelgate_output_filter_failures_total\{route="\/v1\/completions",outcome="fail-open"\} 1/);
      assert.match(m, /modelgate_output_filter_failures_total\{route="\/v1\/chat\/completions",outcome="fail-closed"\} 2/);
      assert.ok(open.logs.some((l) => l.includes('fail-open') && l.includes('"level":40')));
    } finally {
      await open.close();
    }
  });
});
