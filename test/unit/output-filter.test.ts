// The OpenAI output filter on its own (pure logic): JSON bodies and SSE event data, per choice
// and per field, held text released in the finishing chunk or in one extra chunk at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOutput, OutputFilter } from '../../src/protocols/openai/output.js';
import type { OutputConfig } from '../../src/config/types.js';
import { PII_TYPES } from '../../src/detectors/pii/index.js';

const EMAIL = ['a.b', 'corp.example'].join('@');
const cfg = (over: Partial<OutputConfig> = {}): OutputConfig => ({
  types: [...PII_TYPES], action: 'redact', allow: [], canary: null, fragments: [], onError: 'fail-closed', ...over,
});

const chunk = (choices: unknown[]): string => JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices });

test('two choices and a tool call stream independently; held text comes out with finish_reason', () => {
  const f = new OutputFilter(compileOutput(cfg()), null);
  const outs: Array<{ choices: Array<{ index: number; delta: { content?: string; tool_calls?: Array<{ index: number; function: { arguments: string } }> }; finish_reason: string | null }> }> = [];
  const push = (data: string): void => {
    const r = f.event(data);
    assert.notEqual(r, null);
    outs.push(JSON.parse(r as string));
  };
  push(chunk([{ index: 0, delta: { content: 'mail a.b@' }, finish_reason: null }, { index: 1, delta: { content: 'ok ' }, finish_reason: null }]));
  push(chunk([{ index: 0, delta: { content: 'corp.example' }, finish_reason: null }, { index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: '{"to":"a.b@corp' } }] }, finish_reason: null }]));
  push(chunk([{ index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: '.example"}' } }] }, finish_reason: 'tool_calls' }]));
  push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  let c0 = '';
  let c1 = '';
  let args = '';
  for (const o of outs) {
    for (const c of o.choices) {
      if (c.index === 0) c0 += c.delta.content ?? '';
      if (c.index === 1) c1 += c.delta.content ?? '';
      for (const t of c.delta.tool_calls ?? []) args += t.function.arguments;
    }
  }
  assert.equal(c0, 'mail [REDACTED:email]');
  assert.equal(c1, 'ok ');
  assert.equal(args, '{"to":"[REDACTED:email]"}');
  assert.equal(f.counts.get('email'), 2);
  assert.equal(f.finish(), '', 'nothing left after every choice finished');
});

test('a stream cut before finish_reason: finish() releases held text in one extra chunk', () => {
  const f = new OutputFilter(compileOutput(cfg()), null);
  assert.equal(JSON.parse(f.event(chunk([{ index: 0, delta: { content: 'call 415' }, finish_reason: null }])) as string).choices[0].delta.content, 'call ');
  const rest = JSON.parse(f.finish() as string) as { id: string; choices: Array<{ delta: { content: string } }> };
  assert.equal(rest.id, 'c1');
  assert.equal(rest.choices[0]?.delta.content, '415');
});

test('an unchanged event is returned as the same string; usage-only chunks pass', () => {
  const f = new OutputFilter(compileOutput(cfg()), null);
  const clean = chunk([{ index: 0, delta: { content: 'plain words. ' }, finish_reason: null }]);
  assert.equal(f.event(clean), clean);
  const usage = JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } });
  assert.equal(f.event(usage), usage);
});

test('block: the first match withholds; a canary or fragment withholds on any route', () => {
  const b = new OutputFilter(compileOutput(cfg({ action: 'block' })), null);
  assert.equal(b.event(chunk([{ index: 0, delta: { content: `x ${EMAIL} y` }, finish_reason: null }])), null);
  assert.ok(b.blocked);
  const c = new OutputFilter(compileOutput(cfg({ types: [], fragments: ['secret system words'] })), 'MGC-00000000000000000000');
  const body = Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { content: 'the secret system words are' } }] }));
  assert.equal(c.json(body, true), null);
  assert.equal(c.leak, 'fragment');
  const d = new OutputFilter(compileOutput(cfg({ types: [] })), 'MGC-00000000000000000000');
  assert.equal(d.json(Buffer.from('{"error":{"message":"bad prompt MGC-00000000000000000000"}}'), false), null, 'error bodies are checked for the marker');
  assert.equal(d.leak, 'canary');
});

test('allow-listed values are never redacted', () => {
  const f = new OutputFilter(compileOutput(cfg({ allow: ['help@acme.example'] })), null);
  assert.equal(f.text('write help@acme.example'), 'write help@acme.example');
  assert.equal(f.counts.size, 0);
});

test('a 2xx body that is not JSON throws (the caller applies onError)', () => {
  const f = new OutputFilter(compileOutput(cfg()), null);
  assert.throws(() => f.json(Buffer.from('{"choices":[{"text":"4111'), true));
  assert.throws(() => f.event('{not json'));
});
