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
 * needs), read at fixed places once CHUNK has accepted the text; the other fields are decoded
 * from CHUNK's groups on first use (a rewritten event whose head differs from the last one, or
 * the finishing event's synthesised flush), not for every event.
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
  withContent(content: string): string {
    const q = JSON.stringify;
    // The text before the content literal decides every field written before it, and the text
    // after it those written after it: the same raw text, the same fields, the same output.
    const rawHead = this.data.slice(0, this.litStart);
    let h = lastHead;
    if (h === null || h.raw !== rawHead) {
      const f = this.fields();
      const fp = f.fingerprint === undefined ? '' : `,"system_fingerprint":${q(f.fingerprint)}`;
      const role = f.role === undefined ? '' : `"role":${q(f.role)},`;
      const text = `{"id":${q(f.id)},"object":${q(f.object)},"created":${q(f.created)},"model":${q(f.model)}${fp},` +
        `"choices":[{"index":${q(this.index)},"delta":{${role}"content":`;
      h = { raw: rawHead, text };
      lastHead = h;
    }
    const rawTail = this.data.slice(this.litEnd);
    let t = lastTail;
    if (t === null || t.raw !== rawTail) {
      t = { raw: rawTail, text: `}${this.fields().logprobs ? ',"logprobs":null' : ''},"finish_reason":${q(this.finishReason)}}]}` };
      lastTail = t;
    }
    return h.text + q(content) + t.text;
  }
}

/**
 * What withContent wrote before and after the content last time, with the raw text it wrote
 * them from: the events of a stream share everything but the content (and the last one's
 * finish_reason), so re-serialising an event is one JSON.stringify of its text, not eight. Any
 * raw text that differs (another stream's event) writes them afresh.
 */
let lastHead: { raw: string; text: string } | null = null;
let lastTail: { raw: string; text: string } | null = null;

/** The body of a matched JSON string: itself when it has no escape, else decoded by JSON.parse. */
function str(s: string): string {
  return s.indexOf('\\') < 0 ? s : (JSON.parse(`"${s}"`) as string);
}

const opt = (s: string | undefined): string | undefined => (s === undefined ? undefined : str(s));

const CONTENT_KEY = '"content":';
const INDEX_KEY = '"choices":[{"index":';
const FINISH_KEY = ',"finish_reason":';

/**
 * The chunk when `data` has exactly the common shape; null for anything else (parse it in full).
 * CHUNK.test accepts the text without building its groups; then each key the shape has once is
 * found by indexOf. That is exact: in text CHUNK accepts, every unescaped quote opens or closes
 * a string, so `"content":"` can only be the delta's key (any other string followed by `:` is
 * another fixed key), the index key is found the same way, and `,"finish_reason":` is last.
 */
export function fastChunk(data: string): FastChunk | null {
  if (!CHUNK.test(data)) return null;
  const litStart = data.indexOf(CONTENT_KEY) + CONTENT_KEY.length;
  let i = litStart + 1;
  for (;;) {
    const c = data.charCodeAt(i);
    if (c === 0x22) break; // the closing quote
    i += c === 0x5c ? 2 : 1; // an escape's second character is never the closing quote
  }
  const ix = data.indexOf(INDEX_KEY) + INDEX_KEY.length;
  const index = Number(data.slice(ix, data.indexOf(',', ix)));
  const fin = data.lastIndexOf(FINISH_KEY) + FINISH_KEY.length;
  // The text ends with `null}]}` or `"<reason>"}]}`.
  const finishReason = data.charCodeAt(fin) === 0x22 ? str(data.slice(fin + 1, data.length - 4)) : null;
  return new FastChunk(data, litStart, i + 1, index, str(data.slice(litStart + 1, i)), finishReason);
}
