// The access log's line is written without pino's serialiser (src/observability/logger.ts
// infoLine): it must be the very line pino writes for the same fields, byte for byte but the
// time, for every kind of field the access log holds (strings needing escapes, numbers, NaN,
// booleans, undefined fields, nested objects, arrays), honour the level, keep its order with pino's
// own lines, and fall back to logger.info for a pino logger modelgate did not make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger, flushLogSync, infoLine, isoTimeCached } from '../../src/observability/logger.js';

function sink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  return { lines, stream: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) };
}

const TIME = /"time":"[^"]+"/;
const SAMPLES: Record<string, unknown>[] = [
  { reqId: 'req-1', route: '/v1/chat/completions', keyId: 'bench', method: 'POST', status: 200, code: undefined, why: undefined, ip: '127.0.0.1', bodyBytes: 557, promptChars: 448, cost: { estimate: 240, actual: 210 }, flags: undefined, complete: true, ms: 0.53 },
  { reqId: 'r"2\\', route: '/ü/\u2028\n\t', keyId: undefined, status: 429, code: 'MG_RATE_LIMITED', why: 'key "a": over \u0001 limit', ms: NaN, cost: { estimate: 1, actual: undefined }, flags: ['injection-flagged', 'x"y'], complete: false },
  {},
];

test('infoLine writes the line pino writes for the same fields (but the time)', () => {
  for (const fields of SAMPLES) {
    const a = sink();
    const b = sink();
    createLogger('info', a.stream).info(fields, 'request');
    infoLine(createLogger('info', b.stream), fields, 'request');
    assert.equal(a.lines.length, 1);
    assert.equal(b.lines.length, 1);
    assert.equal((b.lines[0] as string).replace(TIME, ''), (a.lines[0] as string).replace(TIME, ''), JSON.stringify(fields));
    assert.match(b.lines[0] as string, /^\{"level":30,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","service":"modelgate",/);
    assert.equal(JSON.parse(b.lines[0] as string).msg, 'request');
  }
});

test('infoLine honours the level and keeps its place among pino lines', () => {
  const quiet = sink();
  infoLine(createLogger('warn', quiet.stream), { reqId: 'x' }, 'request');
  assert.deepEqual(quiet.lines, []);
  const s = sink();
  const logger = createLogger('info', s.stream);
  logger.info('first');
  infoLine(logger, { reqId: 'x' }, 'request');
  logger.warn('third');
  assert.deepEqual(s.lines.map((l) => JSON.parse(l).msg), ['first', 'request', 'third']);
});

test('a field a redact path names is redacted as pino redacts it (the fast line is not taken)', () => {
  for (const [field, value, path] of [['key', 'mg_secret', ['key']], ['apiKey', 'mg_secret', ['apiKey']], ['req', { headers: { authorization: 'Bearer mg_secret' } }, ['req', 'headers', 'authorization']]] as const) {
    const s = sink();
    infoLine(createLogger('info', s.stream), { reqId: 'x', [field]: value }, 'request');
    assert.equal(s.lines.length, 1);
    assert.ok(!(s.lines[0] as string).includes('mg_secret'), s.lines[0]);
    let v: unknown = JSON.parse(s.lines[0] as string);
    for (const k of path) v = (v as Record<string, unknown>)[k];
    assert.equal(v, '[REDACTED]');
  }
});

test('infoLine goes through logger.info for a pino logger modelgate did not make', () => {
  const s = sink();
  const own = pino({ base: { app: 'embedder' }, redact: ['secret'] }, s.stream);
  infoLine(own, { reqId: 'x', secret: 'hunter2' }, 'request');
  const line = JSON.parse(s.lines[0] as string);
  assert.equal(line.app, 'embedder');
  assert.equal(line.secret, '[Redacted]');
});

test('the cached time equals toISOString at every millisecond, across seconds, days and years, with the clock going back', () => {
  let clock = 0;
  const time = isoTimeCached(() => clock);
  const starts = [0, 1, 999, 1000, Date.UTC(2026, 11, 7, 23, 59, 59, 990), Date.UTC(1969, 11, 31, 23, 59, 59, 500), Date.UTC(2000, 1, 29, 12, 0, 0, 0), Date.UTC(9999, 11, 31, 23, 59, 59, 900), Date.UTC(10000, 0, 1) - 5];
  for (const start of starts) {
    for (let k = 0; k < 2100; k += k < 50 ? 1 : 37) {
      for (const t of [start + k, start - k]) {
        clock = t;
        assert.equal(time(), `,"time":"${new Date(t).toISOString()}"`, String(t));
      }
    }
  }
});

test('the cached time is the current millisecond in pino\'s isoTime format', () => {
  const time = isoTimeCached();
  const before = Date.now();
  const t = time();
  const after = Date.now();
  const at = Date.parse((/^,"time":"([^"]+)"$/.exec(t) ?? [])[1] ?? '');
  assert.ok(at >= before && at <= after, t);
  assert.equal(t, pino.stdTimeFunctions.isoTime().replace(/"time":"[^"]+"/, `"time":"${new Date(at).toISOString()}"`));
});

test('the buffered file writer (bytes, not strings) keeps every line whole, in order, in UTF-8, across many writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-log-'));
  const file = join(dir, 'out.log');
  const fd = openSync(file, 'w');
  try {
    const logger = createLogger('info', undefined, fd);
    const expected: string[] = [];
    // Enough lines for many 4 KB writes; multi-byte text in every line, and pino's own lines between them.
    for (let i = 0; i < 3000; i++) {
      const keyId = ['bench', 'ключ-é', '鍵🔑', 'k"\\x'][i % 4] as string;
      if (i % 97 === 0) {
        logger.warn({ reqId: `w${i}` }, `warn ü ${i}`);
        expected.push(`warn ü ${i}`);
      }
      infoLine(logger, { reqId: `r${i}`, keyId, route: '/v1/chat/completions', status: 200, ms: i / 7 }, 'request');
      expected.push(`request ${i} ${keyId}`);
    }
    flushLogSync(logger);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string; reqId: string; keyId?: string });
    assert.deepEqual(lines.map((l) => (l.msg === 'request' ? `request ${l.reqId.slice(1)} ${l.keyId ?? ''}` : l.msg)), expected);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
