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

/** The decoded fields of a chunk of the common shape (what usage accounting and the output filter need). */
export class FastChunk {
  constructor(
    readonly id: string,
    readonly object: string,
    readonly created: number,
    readonly model: string,
    /** undefined when the chunk has no system_fingerprint key. */
    readonly fingerprint: string | null | undefined,
    readonly index: number,
    /** undefined when the delta has no role. */
    readonly role: string | undefined,
    readonly content: string,
    /** Whether the choice has `"logprobs":null`. */
    readonly logprobs: boolean,
    /** null when the chunk's finish_reason is null. */
    readonly finishReason: string | null,
  ) {}

  /**
   * JSON.stringify of this chunk's JSON.parse with `delta.content` set to `content`: the same
   * keys in the same order, each value written as JSON.stringify writes it.
   */
  withContent(content: string): string {
    const q = JSON.stringify;
    let h = lastHead;
    if (h === null || h.id !== this.id || h.object !== this.object || h.created !== this.created || h.model !== this.model ||
      h.fingerprint !== this.fingerprint || h.index !== this.index || h.role !== this.role) {
      const fp = this.fingerprint === undefined ? '' : `,"system_fingerprint":${q(this.fingerprint)}`;
      const role = this.role === undefined ? '' : `"role":${q(this.role)},`;
      const text = `{"id":${q(this.id)},"object":${q(this.object)},"created":${q(this.created)},"model":${q(this.model)}${fp},` +
        `"choices":[{"index":${q(this.index)},"delta":{${role}"content":`;
      h = { id: this.id, object: this.object, created: this.created, model: this.model, fingerprint: this.fingerprint, index: this.index, role: this.role, text };
      lastHead = h;
    }
    let t = lastTail;
    if (t === null || t.logprobs !== this.logprobs || t.finishReason !== this.finishReason) {
      t = { logprobs: this.logprobs, finishReason: this.finishReason, text: `}${this.logprobs ? ',"logprobs":null' : ''},"finish_reason":${q(this.finishReason)}}]}` };
      lastTail = t;
    }
    return h.text + q(content) + t.text;
  }
}

/**
 * What withContent wrote before and after the content last time, with the fields it wrote them
 * from: the events of a stream share everything but the content (and the last one's
 * finish_reason), so re-serialising an event is one JSON.stringify of its text, not eight. Any
 * field that differs (another stream's event) writes them afresh.
 */
let lastHead: { id: string; object: string; created: number; model: string; fingerprint: string | null | undefined; index: number; role: string | undefined; text: string } | null = null;
let lastTail: { logprobs: boolean; finishReason: string | null; text: string } | null = null;

/** The body of a matched JSON string: itself when it has no escape, else decoded by JSON.parse. */
function str(s: string): string {
  return s.indexOf('\\') < 0 ? s : (JSON.parse(`"${s}"`) as string);
}

const opt = (s: string | undefined): string | undefined => (s === undefined ? undefined : str(s));

/** The chunk's fields when `data` has exactly the common shape; null for anything else (parse it in full). */
export function fastChunk(data: string): FastChunk | null {
  const m = CHUNK.exec(data);
  if (m === null) return null;
  // Groups: 1 id, 2 object, 3 created, 4 model, 5 system_fingerprint null, 6 system_fingerprint,
  // 7 index, 8 role, 9 content, 10 logprobs, 11 finish_reason.
  const fingerprint = m[5] !== undefined ? null : opt(m[6]);
  return new FastChunk(str(m[1] as string), str(m[2] as string), Number(m[3]), str(m[4] as string), fingerprint, Number(m[7]), opt(m[8]), str(m[9] as string), m[10] !== undefined, m[11] === undefined ? null : str(m[11]));
}
