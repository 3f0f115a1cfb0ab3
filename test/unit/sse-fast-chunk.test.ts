// The fast path for the common streamed chunk (src/protocols/openai/chunk.ts): it agrees with
// JSON.parse on every chunk it accepts (escapes, unicode, U+2028, quotes, lone surrogates), it
// declines every other shape (the caller then parses in full), and the output filter emits the
// same events and sees the same text whichever way the chunk reached it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FastChunk, fastChunk } from '../../src/protocols/openai/chunk.js';
import { compileOutput, OutputFilter } from '../../src/protocols/openai/output.js';
import type { OutputConfig } from '../../src/config/types.js';
import { PII_TYPES } from '../../src/detectors/pii/index.js';

/** Any UTF-16 code unit (lone surrogates included), weighted towards the characters that need care. */
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u2028', '\u2029', 'é', '😀', '\ud800', '\udfff', '{', '}', '"choices":', ',', ':') },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
);
const text = fc.string({ unit, maxLength: 40 });

/**
 * A JSON string literal for `s`, each character written one of the ways JSON allows (raw where
 * allowed, a short escape, \uXXXX in either case, `\/`): JSON.stringify only ever writes one.
 */
function literal(s: string, choices: number[]): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const how = (choices[i % Math.max(1, choices.length)] ?? 0) % 4;
    const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '/': '\\/' };
    const hex = code.toString(16).padStart(4, '0');
    const mustEscape = code < 0x20 || ch === '"' || ch === '\\';
    if (how === 1) out += `\\u${hex}`;
    else if (how === 2) out += `\\u${hex.toUpperCase()}`;
    else if (how === 3 && short[ch] !== undefined) out += short[ch];
    else if (mustEscape) out += short[ch] ?? `\\u${hex}`;
    else out += ch;
  }
  return `${out}"`;
}

const common = fc.record({
  id: text, object: text, model: text, content: text, role: fc.option(text), fingerprint: fc.oneof(fc.constant(undefined), fc.constant(null), text),
  created: fc.oneof(fc.nat(), fc.integer(), fc.constant(2 ** 53 + 1), fc.constant(-0)),
  index: fc.nat(8), logprobs: fc.boolean(), finish: fc.option(text), enc: fc.array(fc.nat(7), { maxLength: 16 }),
});

type Common = typeof common extends fc.Arbitrary<infer T> ? T : never;

function build(c: Common): string {
  const l = (s: string): string => literal(s, c.enc);
  const fp = c.fingerprint === undefined ? '' : `,"system_fingerprint":${c.fingerprint === null ? 'null' : l(c.fingerprint)}`;
  const role = c.role === null ? '' : `"role":${l(c.role)},`;
  return `{"id":${l(c.id)},"object":${l(c.object)},"created":${Object.is(c.created, -0) ? '-0' : String(c.created)},"model":${l(c.model)}${fp},` +
    `"choices":[{"index":${c.index},"delta":{${role}"content":${l(c.content)}}${c.logprobs ? ',"logprobs":null' : ''},"finish_reason":${c.finish === null ? 'null' : l(c.finish)}}]}`;
}

/** Every field a fast chunk reports. */
function fieldsOf(c: FastChunk | null): Record<string, unknown> | null {
  if (c === null) return null;
  return {
    id: c.id, object: c.object, created: c.created, model: c.model, fingerprint: c.fingerprint, index: c.index, role: c.role,
    content: c.content, logprobs: c.logprobs, finishReason: c.finishReason,
  };
}

/** What the fast path must report for `data`, from JSON.parse. */
function expected(data: string): Record<string, unknown> {
  const v = JSON.parse(data) as { id: string; object: string; created: number; model: string; system_fingerprint?: string | null; choices: [{ index: number; delta: { role?: string; content: string }; logprobs?: null; finish_reason: string | null }] };
  const c = v.choices[0];
  return {
    id: v.id, object: v.object, created: v.created, model: v.model, fingerprint: v.system_fingerprint, index: c.index, role: c.delta.role,
    content: c.delta.content, logprobs: 'logprobs' in c, finishReason: c.finish_reason,
  };
}

/** The full path's re-serialisation of `data` with its content replaced. */
function rewritten(data: string, content: string): string {
  const v = JSON.parse(data) as { choices: [{ delta: { content: string } }] };
  v.choices[0].delta.content = content;
  return JSON.stringify(v);
}

test('property: on the common shape, written any way JSON allows, the fast path gives exactly what JSON.parse gives', () => {
  fc.assert(fc.property(common, text, (c, other) => {
    const data = build(c);
    const got = fastChunk(data);
    assert.notEqual(got, null, data);
    assert.deepStrictEqual(fieldsOf(got), expected(data));
    // A changed event is written byte for byte as the full path writes it.
    assert.equal(got?.withContent(other), rewritten(data, other));
    assert.equal(got?.withContent(c.content), rewritten(data, c.content));
  }), { numRuns: 3000 });
});

test('property: events of interleaved streams, rewritten one after another, each come out as the full path writes them', () => {
  // withContent remembers what it wrote around the content for the last event; events that share
  // all but their content and finish_reason, and events of another stream between them, must not
  // mix (a field that differs, down to null against a missing key, writes the parts afresh).
  const event = fc.tuple(fc.nat(2), text, fc.option(text), fc.boolean(), text);
  fc.assert(fc.property(fc.array(common, { minLength: 1, maxLength: 3 }), fc.array(event, { maxLength: 12 }), (streams, events) => {
    for (const [which, content, finish, logprobs, other] of events) {
      const c = { ...(streams[which % streams.length] as Common), content, finish, logprobs };
      const data = build(c);
      assert.equal(fastChunk(data)?.withContent(other), rewritten(data, other));
    }
  }), { numRuns: 1500 });
});

test('property: JSON.stringify of the common shape is always taken by the fast path', () => {
  fc.assert(fc.property(text, text, fc.option(text), fc.nat(), (content, model, finish, created) => {
    const data = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: finish }] });
    assert.deepStrictEqual(fieldsOf(fastChunk(data)), expected(data));
  }), { numRuns: 2000 });
});

test('property: whatever the text, the fast path answers only for what JSON.parse accepts, and then agrees with it', () => {
  // Mutations of a valid chunk (a character inserted, removed or replaced) and arbitrary JSON values.
  const mutated = fc.tuple(common, fc.nat(), fc.nat(3), unit).map(([c, at, op, ch]) => {
    const d = build(c);
    const i = at % (d.length + 1);
    return op === 0 ? d.slice(0, i) + ch + d.slice(i) : op === 1 ? d.slice(0, i) + d.slice(i + 1) : d.slice(0, i) + ch + d.slice(i + 1);
  });
  fc.assert(fc.property(fc.oneof(mutated, fc.json()), (data) => {
    const got = fastChunk(data);
    if (got === null) return;
    let parsed: Record<string, unknown>;
    try { parsed = expected(data); } catch (err) { assert.fail(`fast path accepted what JSON.parse rejects or reads otherwise: ${JSON.stringify(data)} (${String(err)})`); }
    assert.deepStrictEqual(fieldsOf(got), parsed);
  }), { numRuns: 5000 });
});

test('odd shapes fall back to the full parse', () => {
  const ok = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}';
  assert.ok(fastChunk(ok) instanceof FastChunk);
  const odd = [
    ok.replace('"id":', ' "id":'), // whitespace
    ok.replace(',"choices"', ', "choices"'),
    `${ok}\n`,
    ok.replace('"hi"}', '"hi","reasoning_content":"x"}'), // another text field
    ok.replace('"content":"hi"', '"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]'),
    ok.replace('"content":"hi"', '"content":null'),
    ok.replace('"content":"hi"', '"content":["hi"]'),
    ok.replace('"finish_reason":null}]', '"finish_reason":null},{"index":1,"delta":{"content":"x"},"finish_reason":null}]'), // two choices
    ok.replace('"choices":[{', '"choices":[{"text":"t",'), // a completion
    ok.replace(']}', '],"usage":{"prompt_tokens":1,"completion_tokens":2}}'), // usage
    ok.replace('"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]', '"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}'),
    ok.replace(',"finish_reason":null', ',"logprobs":{"content":[]},"finish_reason":null'), // logprobs kept
    ok.replace('"created":1', '"created":1.5'), // not an integer
    ok.replace('"created":1', '"created":1e3'),
    ok.replace('"created":1', '"created":01'),
    ok.replace('"index":0', '"index":"0"'),
    ok.replace('"model":"m"', '"model":"m","model":"n"'), // duplicate key
    ok.replace('"hi"', '"h\\xi"'), // invalid escape
    ok.replace('"hi"', '"h\\u12i"'),
    ok.replace('"hi"', '"h\ni"'), // raw control character
    ok.replace('"hi"', '"h\u0000i"'),
    ok.replace('"hi"', '"h\\"'), // unterminated
    ok.slice(0, -1),
    `[${ok}]`,
  ];
  for (const d of odd) assert.equal(fastChunk(d), null, d);
});

const cfg = (over: Partial<OutputConfig> = {}): OutputConfig => ({
  types: [...PII_TYPES], action: 'redact', allow: [], canary: null, fragments: [], onError: 'fail-closed', ...over,
});

test('property: the output filter emits the same events from a fast chunk as from the parsed one', () => {
  const pieces = fc.array(fc.oneof(text, fc.constantFrom('a.b@', 'corp.example', ' 4111 1111', ' 1111 1111', 'MGC-', 'secret-frag', 'https://evil.example/x', '\\', '"')), { minLength: 1, maxLength: 12 });
  fc.assert(fc.property(pieces, fc.constantFrom<'redact' | 'block'>('redact', 'block'), fc.nat(), (parts, action, finishAt) => {
    const rules = compileOutput(cfg({ action, fragments: ['secret-frag'] }));
    const fast = new OutputFilter(rules, 'MGC-1234');
    const full = new OutputFilter(rules, 'MGC-1234');
    const last = finishAt % parts.length;
    for (let i = 0; i < parts.length; i++) {
      const data = JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: parts[i] }, logprobs: null, finish_reason: i === last ? 'stop' : null }] });
      const fc0 = fastChunk(data);
      assert.ok(fc0 !== null);
      const a = fast.event(data, fc0);
      const b = full.event(data, JSON.parse(data));
      assert.equal(a, b);
      if (a === null) break;
    }
    assert.equal(fast.finish(), full.finish());
    assert.deepStrictEqual([fast.blocked, fast.leak, [...fast.counts]], [full.blocked, full.leak, [...full.counts]]);
  }), { numRuns: 500 });
});

test('a fast finishing chunk releases text held for other fields of its choice exactly as the full path does', () => {
  const rules = compileOutput(cfg());
  const fast = new OutputFilter(rules, null);
  const full = new OutputFilter(rules, null);
  const chunk = (choice: Record<string, unknown>): string => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, ...choice }] });
  const first = chunk({ delta: { reasoning_content: 'mail a.b@corp', tool_calls: [{ index: 0, function: { arguments: '{"to":"a.b@corp' } }] }, finish_reason: null });
  assert.equal(fastChunk(first), null);
  assert.equal(fast.event(first, JSON.parse(first)), full.event(first, JSON.parse(first)));
  const last = chunk({ delta: { content: 'done a.b@' }, finish_reason: 'stop' });
  const f = fastChunk(last);
  assert.ok(f !== null);
  const a = fast.event(last, f);
  assert.equal(a, full.event(last, JSON.parse(last)));
  assert.match(a as string, /reasoning_content/);
  assert.match(a as string, /tool_calls/);
  assert.deepStrictEqual([...fast.counts], [...full.counts]);
});
