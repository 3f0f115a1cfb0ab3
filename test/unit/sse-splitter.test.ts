// The SSE splitter (src/protocols/sse.ts): for any byte stream cut anywhere (inside a line break,
// inside a multi-byte character), the events it emits and the rest it keeps are those of the
// event grammar read from the whole text at once — an event ends at a blank line (\n\n, \r\n\r\n
// or \r\r) and its data is its `data:` lines joined by \n. Checked against a reference written
// here from that grammar, on streams with and without CR (the splitter's fast path is for text
// without any CR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseSplitter, type SseEvent } from '../../src/protocols/sse.js';

/** The grammar, on the whole text: the complete events, and the text after the last one. */
function reference(text: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const boundary = /\r\n\r\n|\n\n|\r\r/g;
  let start = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    const block = text.slice(start, m.index);
    const lines = block.split(/\r\n|\n|\r/).filter((l) => l.startsWith('data:'));
    const data = lines.length === 0 ? null : lines.map((l) => l.slice(l[5] === ' ' ? 6 : 5)).join('\n');
    events.push({ raw: text.slice(start, m.index + m[0].length), data });
    start = m.index + m[0].length;
  }
  return { events, rest: text.slice(start) };
}

const piece = fc.constantFrom('data:', 'data: ', 'data:  x', 'event: e', ': note', 'retry: 5', 'id: 1', '{"a":1}', 'x', ' ', 'é', '😀', 'data', 'dat');
const lf = fc.constantFrom('\n', '\n\n', '\n', '\n\n\n');
const anyBreak = fc.constantFrom('\n', '\n\n', '\r', '\r\r', '\r\n', '\r\n\r\n', '\n\r');

function streamOf(pieces: string[], breaks: string[]): string {
  let s = '';
  pieces.forEach((p, i) => { s += p + (breaks[i % Math.max(1, breaks.length)] ?? ''); });
  return s;
}

/** The splitter fed `bytes` cut at `cuts`: every event, then the rest. */
function split(bytes: Buffer, cuts: number[]): { events: SseEvent[]; rest: string } {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const s = new SseSplitter();
  const events: SseEvent[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    events.push(...s.push(bytes.subarray(from, c)));
    from = c;
  }
  return { events, rest: s.rest() };
}

test('SSE splitter: LF-only streams, cut anywhere, give the grammar\'s events (the fast path)', () => {
  fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), fc.array(lf, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (pieces, breaks, cuts) => {
    const text = streamOf(pieces, breaks);
    assert.deepEqual(split(Buffer.from(text), cuts), reference(text));
  }), { numRuns: 2000 });
});

test('SSE splitter: streams with CR in any place (also arriving after LF-only chunks) give the grammar\'s events', () => {
  fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), fc.array(anyBreak, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (pieces, breaks, cuts) => {
    const text = streamOf(pieces, breaks);
    assert.deepEqual(split(Buffer.from(text), cuts), reference(text));
  }), { numRuns: 2000 });
});

test('SSE splitter: the common event shapes', () => {
  const s = new SseSplitter();
  assert.deepEqual(s.push(Buffer.from('data: {"x":1}\n\ndata:[DONE]\n\n: keep-alive\n\ndata: a\ndata: b\n\ndata: par')), [
    { raw: 'data: {"x":1}\n\n', data: '{"x":1}' },
    { raw: 'data:[DONE]\n\n', data: '[DONE]' },
    { raw: ': keep-alive\n\n', data: null },
    { raw: 'data: a\ndata: b\n\n', data: 'a\nb' },
  ]);
  assert.deepEqual(s.push(Buffer.from('tial\r\n\r\n')), [{ raw: 'data: partial\r\n\r\n', data: 'partial' }]);
  assert.equal(s.rest(), '');
});
