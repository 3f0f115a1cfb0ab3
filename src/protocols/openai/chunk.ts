/**
 * A fast path for the common streamed chunk: one choice carrying a `delta.content` string, the
 * shape (field order, no whitespace) that OpenAI, vLLM and the simulator send for almost every
 * event of a chat stream:
 *
 *   {"id":"…","object":"…","created":N,"model":"…"[,"system_fingerprint":"…"|null],
 *    "choices":[{"index":N,"delta":{["role":"…",]"content":"…"}[,"logprobs":null],"finish_reason":null|"…"}]}
 *
 * Matching it with one anchored regular expression and decoding only the strings that carry
 * escapes is cheaper than JSON.parse building the whole object tree for every event. Anything
 * else — whitespace, another key or order, `usage`, several choices, tool calls, a number that is
 * not a plain integer, an invalid escape or a raw control character — does not match, and the
 * caller falls back to JSON.parse; so the fast path only ever answers for a text that JSON.parse
 * accepts, and then with the same values (a property test checks both).
 *
 * Hand-written because no npm library extracts a few fields of a known JSON shape without a full
 * parse; the grammar below is JSON's own string and integer grammar (RFC 8259), not a looser one.
 */

/** A JSON string: unescaped characters (no quote, backslash or control character) and valid escapes (unrolled loop: linear, no nested ambiguity). */
const S = String.raw`"([^"\\\u0000-\u001f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\u0000-\u001f]*)*)"`;
/** A JSON integer (no fraction or exponent: those fall back). */
const N = String.raw`(-?(?:0|[1-9][0-9]*))`;
const CHUNK = new RegExp(
  String.raw`^\{"id":${S},"object":${S},"created":${N},"model":${S}(?:,"system_fingerprint":(?:(null)|${S}))?,` +
    String.raw`"choices":\[\{"index":${N},"delta":\{(?:"role":${S},)?"content":${S}\}(,"logprobs":null)?,"finish_reason":(?:null|${S})\}\]\}$`,
);
/**
 * CHUNK's language with only what every event needs captured: 1 index, 2 content, 3 logprobs,
 * 4 finish_reason (the same pattern with the other groups non-capturing, so it accepts exactly
 * the same texts). A match builds 5 entries instead of 12, and CHUNK runs only when a field of
 * the head is asked for.
 */
const SN = S.replace('"(', '"(?:');
const NN = N.replace('(-?', '(?:-?');
const LEAN = new RegExp(
  String.raw`^\{"id":${SN},"object":${SN},"created":${NN},"model":${SN}(?:,"system_fingerprint":(?:null|${SN}))?,` +
    String.raw`"choices":\[\{"index":${N},"delta":\{(?:"role":${SN},)?"content":${S}\}(,"logprobs":null)?,"finish_reason":(?:null|${S})\}\]\}$`,
);

/** The fields of a chunk other than its content, index and finish_reason (read only when needed). */
interface HeadFields {
  id: string;
  object: string;
  created: number;
  model: string;
  fingerprint: string | null | undefined;
  role: string | undefined;
  logprobs: boolean;
}

/**
 * A chunk of the common shape: its content, choice index and finish_reason (what every event
 * needs), from LEAN's groups; the other fields are decoded from CHUNK's groups on first use (a
 * rewritten event whose head differs from the last one, or the finishing event's synthesised
 * flush), not for every event.
 */
export class FastChunk {
  private head: HeadFields | null = null;

  constructor(
    /** The event's JSON text, accepted by CHUNK. */
    private readonly data: string,
    /** Where the content's string literal starts (its opening quote) and ends (after its closing quote). */
    private readonly litStart: number,
    private readonly litEnd: number,
    readonly index: number,
    readonly content: string,
    /** null when the chunk's finish_reason is null. */
    readonly finishReason: string | null,
  ) {}

  private fields(): HeadFields {
    if (this.head !== null) return this.head;
    const m = CHUNK.exec(this.data) as RegExpExecArray;
    // Groups: 1 id, 2 object, 3 created, 4 model, 5 system_fingerprint null, 6 system_fingerprint,
    // 7 index, 8 role, 9 content, 10 logprobs, 11 finish_reason.
    this.head = {
      id: str(m[1] as string), object: str(m[2] as string), created: Number(m[3]), model: str(m[4] as string),
      fingerprint: m[5] !== undefined ? null : opt(m[6]), role: opt(m[8]), logprobs: m[10] !== undefined,
    };
    return this.head;
  }

  get id(): string { return this.fields().id; }
  get object(): string { return this.fields().object; }
  get created(): number { return this.fields().created; }
  get model(): string { return this.fields().model; }
  /** undefined when the chunk has no system_fingerprint key. */
  get fingerprint(): string | null | undefined { return this.fields().fingerprint; }
  /** undefined when the delta has no role. */
  get role(): string | undefined { return this.fields().role; }
  /** Whether the choice has `"logprobs":null`. */
  get logprobs(): boolean { return this.fields().logprobs; }

  /**
   * JSON.stringify of this chunk's JSON.parse with `delta.content` set to `content`: the same
   * keys in the same order, each value written as JSON.stringify writes it.
   */
  withContent(content: string, cache: RewriteCache = shared): string {
    const q = JSON.stringify;
    // The text before the content literal decides every field written before it, and the text
    // after it those written after it: the same raw text, the same fields, the same output.
    const rawHead = this.data.slice(0, this.litStart);
    let h = cache.head;
    if (h === null || h.raw !== rawHead) {
      const f = this.fields();
      const fp = f.fingerprint === undefined ? '' : `,"system_fingerprint":${q(f.fingerprint)}`;
      const role = f.role === undefined ? '' : `"role":${q(f.role)},`;
      const text = `{"id":${q(f.id)},"object":${q(f.object)},"created":${q(f.created)},"model":${q(f.model)}${fp},` +
        `"choices":[{"index":${q(this.index)},"delta":{${role}"content":`;
      h = { raw: rawHead, text };
      cache.head = h;
    }
    const rawTail = this.data.slice(this.litEnd);
    let t = cache.tail;
    if (t === null || t.raw !== rawTail) {
      t = { raw: rawTail, text: `}${this.fields().logprobs ? ',"logprobs":null' : ''},"finish_reason":${q(this.finishReason)}}]}` };
      cache.tail = t;
    }
    return h.text + q(content) + t.text;
  }
}

/**
 * What withContent wrote before and after the content last time, with the raw text it wrote
 * them from: the events of a stream share everything but the content (and the last one's
 * finish_reason), so re-serialising an event is one JSON.stringify of its text, and its other
 * fields are decoded once per stream, not per event. Any raw text that differs writes them
 * afresh. One per response (OutputFilter), so that interleaved streams do not evict each other.
 */
export interface RewriteCache {
  head: { raw: string; text: string } | null;
  tail: { raw: string; text: string } | null;
}

export const newRewriteCache = (): RewriteCache => ({ head: null, tail: null });

/** The cache of callers that keep none. */
const shared = newRewriteCache();

/** The body of a matched JSON string: itself when it has no escape, else decoded by JSON.parse. */
function str(s: string): string {
  return s.indexOf('\\') < 0 ? s : (JSON.parse(`"${s}"`) as string);
}

const opt = (s: string | undefined): string | undefined => (s === undefined ? undefined : str(s));

/**
 * The chunk when `data` has exactly the common shape; null for anything else (parse it in full).
 * Where the content's literal starts and ends follows from the end of the text: after the literal
 * the shape has only fixed text, the logprobs key when captured, and the finish reason's literal.
 */
export function fastChunk(data: string): FastChunk | null {
  const m = LEAN.exec(data);
  if (m === null) return null;
  const content = m[2] as string;
  const finish = m[4];
  // What follows the content literal: `}`, `,"logprobs":null` or nothing, `,"finish_reason":`,
  // `null` or the reason's literal, `}]}`.
  const tail = 1 + (m[3] !== undefined ? 16 : 0) + 17 + (finish === undefined ? 4 : finish.length + 2) + 3;
  const litEnd = data.length - tail;
  return new FastChunk(data, litEnd - content.length - 2, litEnd, Number(m[1]), str(content), finish === undefined ? null : str(finish));
}
