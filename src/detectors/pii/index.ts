// Output-protection recognizers: e-mail, phone, payment card, SSN, IBAN, IP
// address and secrets (API keys, tokens, private keys). Pure functions,
// compiled once, no I/O. See docs/detection.md (Output protection) for the rules, measured
// precision/recall and the streaming design.
//
// Batch use (a complete JSON response, one string field at a time):
//
//   const scanner = createPiiScanner({ types: ['email', 'api_key'], allow: ['support@acme.com'] });
//   const safe = redact(text, scanner.scan(text));
//
// Streaming use (SSE): one PiiRedactStream per independent text — per choice
// index, and separately for content, reasoning and each tool call's
// arguments — fed with the decoded delta strings, never raw SSE or JSON bytes:
//
//   const stream = new PiiRedactStream(scanner);
//   on delta:  const out = stream.push(delta);   // emit `out` (may be '')
//   on finish: const out = stream.end();         // emit before finish_reason / [DONE]
//
// PiiRedactStream (stream.ts) is the reference algorithm; a transform that
// re-implements it must produce, for every chunking, exactly
// redact(text, scanner.scan(text)). It uses four scanner methods:
//
//   scan(text, from)       matches starting at or after `from`; text before
//                          `from` is the last ≤ 64 released raw characters,
//                          kept as left context (never re-emitted)
//   longTokenAt(text, from) a confirmed secret/e-mail that is still growing
//                          and started > 64 characters ago: release the text
//                          before it, emit [REDACTED:<type>] at once, then
//   trackToken(text, token) feed later chunks to the tracker and drop them
//                          until it returns the text after the token's end
//   holdBack(text)         otherwise keep this many trailing characters
//                          (≤ 64) — extended to the end of any match that
//                          straddles the boundary — and release the rest
//
// Always ask longTokenAt before holdBack: holdBack's guarantee assumes there
// is no open long token. Context and tracker input are raw text, not
// redacted output.

import type { PiiMatch } from './types.js';

export { createPiiScanner, type PiiScanner, type PiiScannerOptions } from './scanner.js';
export { PiiRedactStream, streamRedact } from './stream.js';
export { CONTEXT_CHARS, MAX_HOLD, PII_TYPES, type LongToken, type PiiMatch, type PiiType, type TokenTracker } from './types.js';

/**
 * Replaces each match with `[REDACTED:<type>]`. `matches` must be ordered and
 * non-overlapping, as scan() returns them; a match that overlaps the previous
 * one is skipped.
 */
export function redact(text: string, matches: readonly PiiMatch[]): string {
  if (matches.length === 0) return text;
  let out = '';
  let pos = 0;
  for (const m of matches) {
    if (m.start < pos) continue;
    out += text.slice(pos, m.start) + `[REDACTED:${m.type}]`;
    pos = m.end;
  }
  return out + text.slice(pos);
}
