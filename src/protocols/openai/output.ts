/**
 * Output protection for OpenAI-shaped responses (respond phase): every generated text field —
 * chat message content, reasoning, refusal, tool-call and function-call arguments, completion
 * text — goes through the PII / secret recognizers and the canary watch; ids, numbers and
 * everything else pass untouched.
 *
 * - JSON responses: fields are filtered whole. When nothing changes the original bytes are sent
 *   as they are (byte for byte); otherwise the body is re-serialised.
 * - Streams: one filter per independent text (choice index × field), fed the decoded deltas; an
 *   event is re-serialised only when one of its texts changed. A choice's held-back text is
 *   released in the event that carries its finish_reason; whatever is still held when the
 *   stream ends goes out in one extra chunk before `[DONE]`.
 * - `logprobs` are removed on protected routes: they repeat the generated tokens verbatim and
 *   would carry around the filter exactly what it removed.
 *
 * Every method returns null once the response must be withheld (a match on a `block` route, or
 * a canary / system-prompt fragment): the caller answers with MG_OUTPUT_BLOCKED. Methods throw
 * on what they cannot filter (a body that is not JSON); the caller applies the route's onError.
 */
import type { OutputConfig } from '../../config/types.js';
import { createPiiScanner, PiiRedactStream, redact, type PiiScanner, type PiiType } from '../../detectors/pii/index.js';
import { CanaryWatch, type LeakKind } from '../../detectors/canary.js';
import { BASE64, EncodedLeakWatch, HEX, PromptLeakWatch, type PromptFingerprint } from '../../detectors/prompt-leak.js';
import { filterLinks, LinkPolicy, LinkStream, type LinkType } from '../../detectors/links.js';
import { FastChunk, newRewriteCache } from './chunk.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compiled once per route. */
export interface OutputRules {
  readonly config: OutputConfig;
  readonly scanner: PiiScanner | null;
  readonly links: LinkPolicy | null;
}

export function compileOutput(config: OutputConfig): OutputRules {
  return {
    config,
    scanner: config.types.length === 0 ? null : createPiiScanner({ types: config.types, allow: config.allow }),
    links: config.links ? new LinkPolicy(config.links) : null,
  };
}

/** Text fields of a chat message / delta, filtered in this order. */
const MESSAGE_FIELDS = ['content', 'reasoning_content', 'refusal'] as const;

/** A system-prompt watch: what can be released now, or null once the prompt was repeated. */
interface LeakStage {
  push(text: string): string | null;
  end(): string | null;
}

/** `text` pushed through stages[from..] in order, each fed what the one before released; null on a copy. */
function through(stages: readonly LeakStage[], from: number, text: string | null): string | null {
  let r = text;
  for (let k = from; k < stages.length && r !== null; k++) r = (stages[k] as LeakStage).push(r);
  return r;
}

/**
 * One independent streamed text: canary watch first (on raw text), the system-prompt watches (its
 * words, then its base64 and hex runs), the link filter (on raw text, so a URL is judged before PII redaction rewrites it), then the PII
 * redactor.
 */
class TextFilter {
  private readonly watch: CanaryWatch | null;
  /** The system-prompt watches: its words, then its base64 and hex runs (a copy in either). */
  private readonly prompt: readonly LeakStage[];
  private readonly links: LinkStream | null;
  private readonly pii: PiiRedactStream | null;
  private readonly reported = new Map<PiiType, number>();

  constructor(private readonly owner: OutputFilter, needles: readonly string[], hasMarker: boolean, scanner: PiiScanner | null, fp: PromptFingerprint | null, links: LinkPolicy | null) {
    this.watch = needles.length === 0 ? null : new CanaryWatch(needles, hasMarker);
    this.prompt = fp === null || fp.empty ? [] : [new PromptLeakWatch(fp), new EncodedLeakWatch(fp, BASE64), new EncodedLeakWatch(fp, HEX)];
    this.links = links === null ? null : new LinkStream(links, owner.links);
    this.pii = scanner === null ? null : new PiiRedactStream(scanner);
  }

  push(raw: string): string | null {
    const seen = this.watch === null ? raw : this.watch.push(raw);
    if (seen === null) return this.owner.leaked(this.watch?.leak ?? 'canary');
    const released = through(this.prompt, 0, seen);
    if (released === null) return this.owner.leaked('system-prompt');
    const linked = this.links === null ? released : this.links.push(released);
    if (linked === null) return this.owner.linkBlocked();
    return this.pii === null ? linked : this.redacted(this.pii.push(linked));
  }

  end(): string | null {
    const seen = this.watch === null ? '' : this.watch.end();
    if (seen === null) return this.owner.leaked(this.watch?.leak ?? 'canary');
    // Each watch's end, and what it releases pushed through the watches after it.
    let released: string | null = through(this.prompt, 0, seen);
    for (let k = 0; k < this.prompt.length && released !== null; k++) {
      const tail = through(this.prompt, k + 1, (this.prompt[k] as LeakStage).end());
      released = tail === null ? null : released + tail;
    }
    if (released === null) return this.owner.leaked('system-prompt');
    if (this.links !== null) {
      const a = this.links.push(released);
      const b = a === null ? null : this.links.end();
      if (a === null || b === null) return this.owner.linkBlocked();
      released = a + b;
    }
    if (this.pii === null) return released;
    return this.redacted(this.pii.push(released) + this.pii.end());
  }

  /** Report new matches to the owner; withhold when the route blocks. */
  private redacted(out: string): string | null {
    const counts = (this.pii as PiiRedactStream).counts;
    let grew = false;
    for (const [type, n] of counts) {
      const before = this.reported.get(type) ?? 0;
      if (n === before) continue;
      this.owner.count(type, n - before);
      this.reported.set(type, n);
      grew = true;
    }
    return grew && this.owner.blockOnMatch() ? null : out;
  }
}

/** Per-request state of the output filter. */
export class OutputFilter {
  /** Redactions by type (counted once per match; for metrics and the audit log). */
  readonly counts = new Map<PiiType, number>();
  /** Images and links to hosts not on the allow-list, by type (stripped, or the response blocked). */
  readonly links = new Map<LinkType, number>();
  leak: LeakKind | null = null;
  blocked = false;
  private readonly needles: string[];
  private readonly streams = new Map<number, Map<string, TextFilter>>();
  private last: { id?: unknown; object?: unknown; created?: unknown; model?: unknown } = {};
  /** FastChunk.withContent's cache of this response's event head and tail. */
  private readonly rewrite = newRewriteCache();

  constructor(private readonly rules: OutputRules, readonly marker: string | null, private readonly prompt: PromptFingerprint | null = null) {
    this.needles = marker === null ? [...rules.config.fragments] : [marker, ...rules.config.fragments];
  }

  /** Called by a text filter that saw a needle: the response is withheld. */
  leaked(kind: LeakKind): null {
    this.leak ??= kind;
    this.blocked = true;
    return null;
  }

  /** Called when a disallowed link or image was seen on a `block` route: the response is withheld. */
  linkBlocked(): null {
    this.blocked = true;
    return null;
  }

  count(type: PiiType, n: number): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + n);
  }

  /** After a match: true (and the response is withheld) when the route blocks instead of redacting. */
  blockOnMatch(): boolean {
    if (this.rules.config.action === 'block') this.blocked = true;
    return this.blocked;
  }

  /** A whole text (a JSON field): the filtered text, or null when the response is withheld. */
  text(raw: string): string | null {
    for (let i = 0; i < this.needles.length; i++) {
      if (raw.includes(this.needles[i] as string)) return this.leaked(this.marker !== null && i === 0 ? 'canary' : 'fragment');
    }
    if (this.prompt !== null && this.prompt.leaks(raw)) return this.leaked('system-prompt');
    const linked = this.rules.links === null ? raw : filterLinks(raw, this.rules.links, this.links);
    if (linked === null) return this.linkBlocked();
    const scanner = this.rules.scanner;
    if (scanner === null) return linked;
    const matches = scanner.scan(linked);
    if (matches.length === 0) return linked;
    for (const m of matches) this.count(m.type, 1);
    return this.blockOnMatch() ? null : redact(linked, matches);
  }

  /**
   * A complete response body; `ok` = a 2xx JSON response, whose choices are filtered (other
   * bodies are only checked for the marker). Returns the bytes to send (the same Buffer when
   * nothing changed) or null when the response is withheld. Throws when an `ok` body is not JSON.
   * `parsed`: the body's JSON.parse when the caller has it (it is modified).
   */
  json(body: Buffer, ok: boolean, parsed?: unknown): Buffer | null {
    const v: unknown = !ok ? null : parsed !== undefined ? parsed : JSON.parse(body.toString('utf8'));
    if (!isObj(v) || !Array.isArray(v.choices)) {
      // Errors and other shapes carry no generated text, but must not carry the marker either.
      if (this.needles.length === 0) return body;
      const text = body.toString('utf8');
      return this.needles.some((n) => text.includes(n)) ? this.leaked(this.marker !== null && text.includes(this.marker) ? 'canary' : 'fragment') : body;
    }
    let changed = false;
    const apply = (o: Obj, field: string): boolean => {
      const t = o[field];
      if (typeof t !== 'string') return true;
      const out = this.text(t);
      if (out === null) return false;
      if (out !== t) { o[field] = out; changed = true; }
      return true;
    };
    for (const c of v.choices as unknown[]) {
      if (!isObj(c)) continue;
      if (c.logprobs !== undefined && c.logprobs !== null) { c.logprobs = null; changed = true; }
      if (!apply(c, 'text')) return null;
      const m = c.message;
      if (!isObj(m)) continue;
      for (const f of MESSAGE_FIELDS) {
        if (Array.isArray(m[f])) {
          for (const part of m[f] as unknown[]) if (isObj(part) && !apply(part, 'text')) return null;
        } else if (!apply(m, f)) return null;
      }
      if (Array.isArray(m.tool_calls)) {
        for (const tc of m.tool_calls as unknown[]) if (isObj(tc) && isObj(tc.function) && !apply(tc.function, 'arguments')) return null;
      }
      if (isObj(m.function_call) && !apply(m.function_call, 'arguments')) return null;
    }
    return changed ? Buffer.from(JSON.stringify(v), 'utf8') : body;
  }

  private filterFor(choice: number, field: string): TextFilter {
    let byField = this.streams.get(choice);
    if (byField === undefined) { byField = new Map(); this.streams.set(choice, byField); }
    let f = byField.get(field);
    if (f === undefined) {
      f = new TextFilter(this, this.needles, this.marker !== null, this.rules.scanner, this.prompt, this.rules.links);
      byField.set(field, f);
    }
    return f;
  }

  /**
   * One SSE event's data (`data:` payload that is JSON; `parsed` = its JSON.parse when the
   * caller has it already — it is modified — or the FastChunk of a common chunk). Returns the
   * data to emit (the same string when nothing changed), or null when the response is withheld.
   * Throws on non-JSON.
   */
  event(data: string, parsed?: unknown): string | null {
    if (parsed instanceof FastChunk) return this.fastEvent(data, parsed);
    const v: unknown = parsed === undefined ? JSON.parse(data) : parsed;
    if (!isObj(v) || !Array.isArray(v.choices)) {
      return this.needles.some((n) => data.includes(n)) ? this.leaked(this.marker !== null && data.includes(this.marker) ? 'canary' : 'fragment') : data;
    }
    this.last = { id: v.id, object: v.object, created: v.created, model: v.model };
    let changed = false;
    const apply = (o: Obj, field: string, choice: number, key: string): boolean => {
      const t = o[field];
      if (typeof t !== 'string') return true;
      const out = this.filterFor(choice, key).push(t);
      if (out === null) return false;
      if (out !== t) { o[field] = out; changed = true; }
      return true;
    };
    for (const c of v.choices as unknown[]) {
      if (!isObj(c)) continue;
      const idx = typeof c.index === 'number' ? c.index : 0;
      if (c.logprobs !== undefined && c.logprobs !== null) { c.logprobs = null; changed = true; }
      if (!apply(c, 'text', idx, 'text')) return null;
      const d = c.delta;
      if (isObj(d)) {
        for (const f of MESSAGE_FIELDS) if (!apply(d, f, idx, f)) return null;
        if (Array.isArray(d.tool_calls)) {
          for (const tc of d.tool_calls as unknown[]) {
            if (isObj(tc) && isObj(tc.function) && !apply(tc.function, 'arguments', idx, `tool:${typeof tc.index === 'number' ? tc.index : 0}`)) return null;
          }
        }
        if (isObj(d.function_call) && !apply(d.function_call, 'arguments', idx, 'fn')) return null;
      }
      if (c.finish_reason !== null && c.finish_reason !== undefined) {
        const rest = this.flushChoice(idx, c);
        if (rest === null) return null;
        if (rest) changed = true;
      }
    }
    return changed ? JSON.stringify(v) : data;
  }

  /**
   * event() for a chunk of the common shape (one choice, `delta.content`, no logprobs, no other
   * text field): the content goes through the same TextFilter as on the full path, and a changed
   * event is written as JSON.stringify would write the parsed object changed the same way
   * (FastChunk.withContent). Only when the finishing chunk must also release text of other fields
   * (an earlier chunk of the choice carried tool calls or reasoning) is it parsed in full.
   */
  private fastEvent(data: string, c: FastChunk): string | null {
    this.last = c; // its id, object, created and model are decoded only if a flush event needs them
    const out = this.filterFor(c.index, 'content').push(c.content);
    if (out === null) return null;
    let changed = out !== c.content;
    if (c.finishReason === null) return changed ? c.withContent(out, this.rewrite) : data;
    const held = this.streams.get(c.index);
    const onlyContent = held === undefined || (held.size === 1 && held.has('content'));
    const v = onlyContent ? null : (JSON.parse(data) as { choices: [Obj & { delta: Obj }] });
    const choice: Obj & { delta: Obj } = v === null ? { delta: { content: out } } : v.choices[0];
    if (changed) choice.delta.content = out;
    const rest = this.flushChoice(c.index, choice);
    if (rest === null) return null;
    if (rest) changed = true;
    if (!changed) return data;
    return v === null ? c.withContent(choice.delta.content as string, this.rewrite) : JSON.stringify(v);
  }

  /** Release a choice's held text into `c` (its finishing chunk). True when anything was added. */
  private flushChoice(idx: number, c: Obj): boolean | null {
    const byField = this.streams.get(idx);
    if (byField === undefined) return false;
    this.streams.delete(idx);
    let added = false;
    for (const [field, f] of byField) {
      const rest = f.end();
      if (rest === null) return null;
      if (rest === '') continue;
      added = true;
      if (field === 'text') {
        c.text = (typeof c.text === 'string' ? c.text : '') + rest;
        continue;
      }
      if (!isObj(c.delta)) c.delta = {};
      const d = c.delta as Obj;
      if (field.startsWith('tool:')) {
        const index = Number(field.slice(5));
        if (!Array.isArray(d.tool_calls)) d.tool_calls = [];
        const calls = d.tool_calls as unknown[];
        let tc = calls.find((t) => isObj(t) && t.index === index) as Obj | undefined;
        if (tc === undefined) { tc = { index, function: { arguments: '' } }; calls.push(tc); }
        if (!isObj(tc.function)) tc.function = { arguments: '' };
        const fn = tc.function as Obj;
        fn.arguments = (typeof fn.arguments === 'string' ? fn.arguments : '') + rest;
      } else if (field === 'fn') {
        if (!isObj(d.function_call)) d.function_call = { arguments: '' };
        const fc = d.function_call as Obj;
        fc.arguments = (typeof fc.arguments === 'string' ? fc.arguments : '') + rest;
      } else {
        d[field] = (typeof d[field] === 'string' ? d[field] : '') + rest;
      }
    }
    return added;
  }

  /**
   * End of stream (`[DONE]`, or the upstream ended): the data of one extra chunk carrying what
   * is still held, '' when nothing is, or null when the response is withheld.
   */
  finish(): string | null {
    const choices: Obj[] = [];
    for (const idx of [...this.streams.keys()]) {
      const byField = this.streams.get(idx) as Map<string, TextFilter>;
      const c: Obj = byField.has('text') ? { index: idx } : { index: idx, delta: {} };
      const added = this.flushChoice(idx, c);
      if (added === null) return null;
      if (added) choices.push({ ...c, finish_reason: null });
    }
    if (choices.length === 0) return '';
    const completion = choices.every((c) => 'text' in c && !('delta' in c));
    return JSON.stringify({
      id: this.last.id,
      object: this.last.object ?? (completion ? 'text_completion' : 'chat.completion.chunk'),
      created: this.last.created,
      model: this.last.model,
      choices,
    });
  }
}
