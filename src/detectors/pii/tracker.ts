// Trackers for long tokens: confirmed matches that may keep growing after the
// 64-character hold window has passed their start (see LongToken in
// types.ts). A streamer that got a LongToken emits `[REDACTED:<type>]` at
// once, then feeds every following chunk to the tracker and discards it until
// the tracker reports the token's end. The text after the end (returned by
// push or finish) is ordinary text again, to be scanned with the token's raw
// tail as left context.
//
// Each tracker reproduces exactly how the batch recognizer decides the end:
//   run tokens (openai, anthropic, github, slack): the end of the run of the
//     token's character class;
//   jwt: base64url run, at most two more '.'+segment; a '.' not followed by a
//     base64url character is not part of the token (held until decided);
//   private_key: the end of the first -----END … PRIVATE KEY----- line after
//     the header, or the end of the stream;
//   email: the domain is re-matched on the whole (bounded) token; the
//     characters of the domain run after the current end stay undecided
//     until the run ends or passes DOMAIN_RUN_CAP characters.

import { CONTEXT_CHARS, type LongToken, type TokenTracker } from './types.js';
import { DOMAIN_RUN_CAP, domainRunEnd, emailEnd } from './contact.js';
import { PEM_FOOTER_MAX, PEM_FOOTER_RE, PEM_HEAD_RE, runClassOf } from './secrets.js';
import { isB64Url } from './text.js';

const keepTail = (s: string): string => (s.length > CONTEXT_CHARS ? s.slice(-CONTEXT_CHARS) : s);

class RunTracker implements TokenTracker {
  private last: string;
  constructor(
    private readonly inClass: (c: number) => boolean,
    tokenText: string,
  ) {
    this.last = keepTail(tokenText);
  }
  push(chunk: string): string | null {
    let i = 0;
    while (i < chunk.length && this.inClass(chunk.charCodeAt(i))) i++;
    this.last = keepTail(this.last + chunk.slice(0, i));
    return i < chunk.length ? chunk.slice(i) : null;
  }
  finish(): string {
    return '';
  }
  tail(): string {
    return this.last;
  }
}

class JwtTracker implements TokenTracker {
  private last: string;
  private segments: number;
  private pendingDot: boolean;
  constructor(tokenText: string) {
    this.pendingDot = tokenText.endsWith('.');
    const token = this.pendingDot ? tokenText.slice(0, -1) : tokenText;
    this.segments = token.split('.').length;
    this.last = keepTail(token);
  }
  push(chunk: string): string | null {
    let accepted = '';
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.pendingDot) {
        if (!isB64Url(c)) return this.end(accepted, '.' + chunk.slice(i));
        this.pendingDot = false;
        this.segments++;
        accepted += '.' + chunk.charAt(i);
      } else if (isB64Url(c)) {
        accepted += chunk.charAt(i);
      } else if (c === 46 && this.segments < 3) {
        this.pendingDot = true;
      } else {
        return this.end(accepted, chunk.slice(i));
      }
    }
    this.last = keepTail(this.last + accepted);
    return null;
  }
  private end(accepted: string, rest: string): string {
    this.last = keepTail(this.last + accepted);
    return rest;
  }
  finish(): string {
    return this.pendingDot ? '.' : '';
  }
  tail(): string {
    return this.last;
  }
}

class PemTracker implements TokenTracker {
  private last: string;
  /** Body text that a footer could still start in (never before the header's end). */
  private window: string;
  constructor(tokenText: string, bodyStart: number) {
    this.last = keepTail(tokenText);
    this.window = tokenText.slice(Math.max(bodyStart, tokenText.length - (PEM_FOOTER_MAX - 1)));
  }
  push(chunk: string): string | null {
    const buf = this.window + chunk;
    PEM_FOOTER_RE.lastIndex = 0;
    const f = PEM_FOOTER_RE.exec(buf);
    if (f) {
      const end = f.index + f[0].length;
      this.last = keepTail(this.last + chunk.slice(0, end - this.window.length));
      return buf.slice(end);
    }
    this.window = buf.slice(-(PEM_FOOTER_MAX - 1));
    this.last = keepTail(this.last + chunk);
    return null;
  }
  finish(): string {
    return '';
  }
  tail(): string {
    return this.last;
  }
}

class EmailTracker implements TokenTracker {
  private text: string;
  private readonly at: number;
  private last = '';
  constructor(tokenText: string) {
    this.text = tokenText;
    this.at = tokenText.indexOf('@');
  }
  push(chunk: string): string | null {
    this.text += chunk;
    const run = domainRunEnd(this.text, this.at);
    if (run === this.text.length && run - this.at <= DOMAIN_RUN_CAP) return null;
    return this.finish();
  }
  finish(): string {
    const end = emailEnd(this.text, this.at);
    this.last = keepTail(this.text.slice(0, end));
    return this.text.slice(end);
  }
  tail(): string {
    return this.last;
  }
}

/** A tracker for `token`, a LongToken found in `text` (see scanner.longTokenAt). */
export function createTracker(text: string, token: LongToken): TokenTracker {
  const tokenText = text.slice(token.start);
  if (token.type === 'email') return new EmailTracker(tokenText);
  if (token.kind === 'jwt') return new JwtTracker(tokenText);
  if (token.kind === 'private_key') {
    PEM_HEAD_RE.lastIndex = 0;
    if (!PEM_HEAD_RE.exec(tokenText)) throw new Error('createTracker: not a private-key block');
    return new PemTracker(tokenText, PEM_HEAD_RE.lastIndex);
  }
  const inClass = runClassOf(token.kind, tokenText);
  if (!inClass) throw new Error(`createTracker: ${token.type}/${token.kind} is never a long token`);
  return new RunTracker(inClass, tokenText);
}
