// Reference streaming redactor: the exact algorithm a streaming transform
// should implement on top of PiiScanner. Pure and synchronous; for every
// chunking, streamRedact(chunks, s) === redact(text, s.scan(text)) where text
// is chunks.join('') (property-tested in test/detectors/pii-stream.test.ts).
//
// State: `ctx` (the last CONTEXT_CHARS characters already released, raw —
// left context for the recognizers), `pending` (raw text not yet released),
// and, while inside a long token, a tracker.
//
// push(chunk):
//   1. Inside a long token: feed the chunk to the tracker and emit nothing.
//      When the tracker reports the end, the text after it becomes `pending`
//      and ctx becomes the token's last raw characters.
//   2. full = ctx + pending, from = ctx.length.
//   3. If scanner.longTokenAt(full, from) returns a token: release
//      full[from, token.start) with scan(full, from)'s matches redacted, emit
//      `[REDACTED:<type>]`, and hand full[token.start..] to a tracker.
//   4. Otherwise b = full.length - scanner.holdBack(full) (at least `from`);
//      if a match of scan(full, from) starts before b and ends after it, move
//      b to its end (it is final). Release full[from, b) with the matches
//      inside it redacted; keep full[b..] pending.
// end(): finish the tracker if any (its undecided characters return to
// pending), then release everything with scan(full, from)'s matches.
//
// Outside a long token at most MAX_HOLD (64) characters stay pending after a
// push. Inside one, the tracker keeps at most the footer window (PEM), a '.'
// (JWT), or the domain run after the current end (e-mail, bounded by the
// domain cap), and emits nothing: the secret's characters are discarded.

import { CONTEXT_CHARS, type PiiMatch, type PiiType, type TokenTracker } from './types.js';
import type { PiiScanner } from './scanner.js';

/** full[from, to) with the matches that lie inside it replaced by `[REDACTED:<type>]`. */
function redactRange(full: string, from: number, to: number, matches: readonly PiiMatch[], counts: Map<PiiType, number>): string {
  let out = '';
  let pos = from;
  for (const m of matches) {
    if (m.start < pos) continue;
    if (m.end > to) break;
    counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
    out += full.slice(pos, m.start) + `[REDACTED:${m.type}]`;
    pos = m.end;
  }
  return out + full.slice(pos, to);
}

const lastContext = (s: string): string => (s.length > CONTEXT_CHARS ? s.slice(-CONTEXT_CHARS) : s);

export class PiiRedactStream {
  private ctx = '';
  private pending = '';
  private tracker: TokenTracker | null = null;
  /** Raw context before the current long token. */
  private tokenCtx = '';
  /** Matches redacted so far, by type (for metrics and the audit log; never the values). */
  readonly counts = new Map<PiiType, number>();

  constructor(private readonly scanner: PiiScanner) {}

  /** Feed a chunk; returns the redacted text that is final now (possibly ''). */
  push(chunk: string): string {
    if (this.tracker) {
      const rest = this.tracker.push(chunk);
      if (rest === null) return '';
      this.leaveToken(rest);
    } else {
      this.pending += chunk;
    }
    return this.drain();
  }

  /** End of stream: returns everything still held, redacted. */
  end(): string {
    if (this.tracker) this.leaveToken(this.tracker.finish());
    const full = this.ctx + this.pending;
    const from = this.ctx.length;
    const out = redactRange(full, from, full.length, this.scanner.scan(full, from), this.counts);
    this.ctx = lastContext(full);
    this.pending = '';
    return out;
  }

  /** Characters currently held back (pending, not counting a tracker's state). */
  get held(): number {
    return this.pending.length;
  }

  /** Is the stream inside a long token (swallowing its characters)? */
  get inLongToken(): boolean {
    return this.tracker !== null;
  }

  private leaveToken(rest: string): void {
    const tracker = this.tracker;
    if (!tracker) return;
    this.ctx = lastContext(this.tokenCtx + tracker.tail());
    this.tracker = null;
    this.tokenCtx = '';
    this.pending = rest;
  }

  private drain(): string {
    const full = this.ctx + this.pending;
    const from = this.ctx.length;
    const token = this.scanner.longTokenAt(full, from);
    if (token) {
      const out = redactRange(full, from, token.start, this.scanner.scan(full, from), this.counts) + `[REDACTED:${token.type}]`;
      this.counts.set(token.type, (this.counts.get(token.type) ?? 0) + 1);
      this.tokenCtx = full.slice(Math.max(0, token.start - CONTEXT_CHARS), token.start);
      this.tracker = this.scanner.trackToken(full, token);
      this.ctx = '';
      this.pending = '';
      return out;
    }
    let b = Math.max(from, full.length - this.scanner.holdBack(full));
    const matches = this.scanner.scan(full, from);
    for (const m of matches) if (m.start < b && m.end > b) b = m.end;
    const out = redactRange(full, from, b, matches, this.counts);
    this.ctx = lastContext(full.slice(0, b));
    this.pending = full.slice(b);
    return out;
  }
}

/** Reference helper: stream `chunks` through a PiiRedactStream and join the output. */
export function streamRedact(chunks: readonly string[], scanner: PiiScanner): string {
  const s = new PiiRedactStream(scanner);
  let out = '';
  for (const c of chunks) out += s.push(c);
  return out + s.end();
}
