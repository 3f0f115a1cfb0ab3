/**
 * OpenAI wire format for the simulator: parses chat / completions / embeddings requests into a
 * generation plan and renders JSON bodies and SSE events from it. No I/O and no timing here;
 * `server.ts` owns sockets, slots and latency.
 *
 * Everything is deterministic: prompt tokens are ceil(chars / 4), generated text is pseudo words
 * from a fixed list seeded by a hash of the prompt, embeddings are seeded by a hash of the input.
 * The hot path (zero latency, benchmarks) avoids per-request heavy work: the prompt hash samples
 * only the head and tail of each text, and SSE chunks are built by string concatenation around a
 * per-request prefix instead of JSON.stringify per event.
 */
import { mulberry32 } from '../util/prng.js';

export const SIM_MODEL_ID = 'sim-llm';
/** Generation never exceeds this many tokens per choice, whatever max_tokens says. */
export const MAX_GENERATED_TOKENS = 4096;
const MAX_CHOICES = 128;
const DEFAULT_EMBEDDING_DIMS = 8;
const MAX_EMBEDDING_DIMS = 4096;
/** Characters taken from each end of a text for the generation seed. */
const SEED_SAMPLE_CHARS = 256;
const GOLDEN = 0x9e3779b9;

/** A request the simulator refuses, rendered as an OpenAI error body by the server. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** OpenAI error shape: `{ error: { message, type, param, code } }`. */
export function errorJson(message: string, type: string, param: string | null = null, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

export interface GenerationSettings {
  /** Tokens generated when the request names no max_tokens. */
  completionTokens: number;
  /** When non-empty, the generated text is exactly this (one token per word). `{system}` is
   * replaced by the request's system prompt (to play a model that leaks it), `{system:base64}` and
   * `{system:hex}` by its base64 and hex (a model asked to encode it). */
  responseText: string;
  /** When non-empty, the generated pieces (one per event) are exactly these; beats responseText. */
  responseChunks: readonly string[];
  /** When > 0, responseText is cut into pieces of this many characters instead of words. */
  splitEvery: number;
}

export type FinishReason = 'stop' | 'length';

export interface ChoicePlan {
  index: number;
  /** One entry per generated token; their concatenation is the choice's text. */
  pieces: readonly string[];
  finishReason: FinishReason;
}

export interface GenerationPlan {
  kind: 'chat' | 'completion';
  id: string;
  created: number;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  /** Sum of generated tokens over all choices. */
  completionTokens: number;
  /** Decode steps: the longest choice (choices decode in parallel, like a batched GPU). */
  steps: number;
  choices: ChoicePlan[];
}

export interface StreamEvent {
  /** A complete SSE event: `data: ...\n\n`. */
  data: string;
  /** True for the first event of a decode step: the server charges msPerToken before it. */
  token: boolean;
  /** True for the events that end a stream (finish chunks, usage chunk, [DONE]). */
  final: boolean;
}

// ---------------------------------------------------------------- deterministic text

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo ' +
  'consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint ' +
  'occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum'
).split(' ');
const SPACED_WORDS = WORDS.map((w) => ' ' + w);

/** FNV-1a over a string; `sample` hashes only the head and tail (plus the length) of long text. */
function hashText(h: number, s: string, sample: boolean): number {
  const n = s.length;
  if (sample && n > SEED_SAMPLE_CHARS * 2) {
    for (let i = 0; i < SEED_SAMPLE_CHARS; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    for (let i = n - SEED_SAMPLE_CHARS; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return Math.imul(h ^ n, 0x01000193) >>> 0;
  }
  for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hashNumbers(h: number, ids: readonly number[]): number {
  for (const id of ids) h = Math.imul(h ^ (id | 0), 0x01000193);
  return h >>> 0;
}

const FNV_OFFSET = 0x811c9dc5;

function pseudoPieces(seed: number, count: number): string[] {
  const rand = mulberry32(seed);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const k = Math.floor(rand() * WORDS.length);
    out[i] = (i === 0 ? WORDS[k] : SPACED_WORDS[k]) ?? 'lorem';
  }
  return out;
}

/** Splits text into word pieces whose concatenation is exactly the text. */
function splitPieces(text: string): string[] {
  const pieces: string[] = text.match(/\s*\S+/g) ?? [];
  let used = 0;
  for (const p of pieces) used += p.length;
  if (used < text.length) {
    const rest = text.slice(used);
    if (pieces.length === 0) pieces.push(rest);
    else pieces[pieces.length - 1] += rest;
  }
  return pieces;
}

// responseText is usually fixed for many requests: keep its split.
let cachedText = '';
let cachedPieces: string[] = [];
function responsePieces(text: string): string[] {
  if (text !== cachedText) {
    cachedText = text;
    cachedPieces = splitPieces(text);
  }
  return cachedPieces;
}

function fixedPieces(text: string, every: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += every) out.push(text.slice(i, i + every));
  return out;
}

function planChoice(index: number, seed: number, maxTokens: number | undefined, gen: GenerationSettings, system = ''): ChoicePlan {
  if (gen.responseText || gen.responseChunks.length > 0) {
    const text = gen.responseText
      .split('{system:base64}').join(Buffer.from(system, 'utf8').toString('base64'))
      .split('{system:hex}').join(Buffer.from(system, 'utf8').toString('hex'))
      .split('{system}').join(system);
    const all = gen.responseChunks.length > 0 ? [...gen.responseChunks]
      : gen.splitEvery > 0 ? fixedPieces(text, gen.splitEvery) : responsePieces(text);
    if (maxTokens !== undefined && maxTokens < all.length) {
      return { index, pieces: all.slice(0, maxTokens), finishReason: 'length' };
    }
    return { index, pieces: all, finishReason: 'stop' };
  }
  if (maxTokens !== undefined) return { index, pieces: pseudoPieces(seed, maxTokens), finishReason: 'length' };
  const count = Math.max(0, Math.min(MAX_GENERATED_TOKENS, Math.floor(gen.completionTokens)));
  return { index, pieces: pseudoPieces(seed, count), finishReason: 'stop' };
}

// ---------------------------------------------------------------- request parsing

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asBody(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new RequestError(400, 'Request body must be a JSON object');
  return body;
}

function optionalInt(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RequestError(400, `${key} must be an integer between ${min} and ${max}`, key);
  }
  return v;
}

function modelOf(body: Record<string, unknown>): string {
  return typeof body.model === 'string' && body.model !== '' ? body.model : SIM_MODEL_ID;
}

function maxTokensOf(body: Record<string, unknown>): number | undefined {
  const v =
    optionalInt(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER) ??
    optionalInt(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER);
  return v === undefined ? undefined : Math.min(v, MAX_GENERATED_TOKENS);
}

function includeUsageOf(body: Record<string, unknown>): boolean {
  const so = body.stream_options;
  return isRecord(so) && so.include_usage === true;
}

/** A text or token-id prompt / embedding input. */
type InputItem = { text: string } | { ids: number[] };

function isTokenIds(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/** Parses `string | string[] | number[] | number[][]` (completions `prompt`, embeddings `input`). */
function inputItems(v: unknown, field: string): InputItem[] {
  if (typeof v === 'string') return [{ text: v }];
  if (Array.isArray(v) && v.length > 0) {
    if (isTokenIds(v)) return [{ ids: v }];
    return v.map((x) => {
      if (typeof x === 'string') return { text: x };
      if (isTokenIds(x)) return { ids: x };
      throw new RequestError(400, `${field} must be a string, an array of strings or token arrays`, field);
    });
  }
  throw new RequestError(400, `${field} is required and must be a non-empty string or array`, field);
}

function itemTokens(items: readonly InputItem[]): number {
  let chars = 0;
  let ids = 0;
  for (const it of items) {
    if ('text' in it) chars += it.text.length;
    else ids += it.ids.length;
  }
  return Math.ceil(chars / 4) + ids;
}

function itemSeed(it: InputItem, sample: boolean): number {
  return 'text' in it ? hashText(FNV_OFFSET, it.text, sample) : hashNumbers(FNV_OFFSET, it.ids);
}

let idSeq = 0;
const ID_PREFIX = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
function nextId(prefix: string): string {
  idSeq = (idSeq + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}${ID_PREFIX}${idSeq.toString(16)}`;
}

function finishPlan(
  kind: GenerationPlan['kind'],
  body: Record<string, unknown>,
  promptTokens: number,
  choices: ChoicePlan[],
): GenerationPlan {
  let completionTokens = 0;
  let steps = 0;
  for (const c of choices) {
    completionTokens += c.pieces.length;
    if (c.pieces.length > steps) steps = c.pieces.length;
  }
  return {
    kind,
    id: nextId(kind === 'chat' ? 'chatcmpl-' : 'cmpl-'),
    created: Math.floor(Date.now() / 1000),
    model: modelOf(body),
    stream: body.stream === true,
    includeUsage: includeUsageOf(body),
    promptTokens,
    completionTokens,
    steps,
    choices,
  };
}

/** Plans a `/v1/chat/completions` (or `/invocations`) request. Throws RequestError. */
export function planChat(raw: unknown, gen: GenerationSettings): GenerationPlan {
  const body = asBody(raw);
  const messages = body.messages;
  if (!Array.isArray(messages)) throw new RequestError(400, 'messages is required and must be an array', 'messages');
  let chars = 0;
  let seed = FNV_OFFSET;
  let system = '';
  for (const m of messages) {
    if (!isRecord(m)) throw new RequestError(400, 'each message must be an object', 'messages');
    const content = m.content;
    if (typeof content === 'string' && m.role === 'system') system += content;
    if (typeof content === 'string') {
      chars += content.length;
      seed = hashText(seed, content, true);
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (isRecord(part) && typeof part.text === 'string') {
          chars += part.text.length;
          seed = hashText(seed, part.text, true);
        }
      }
    }
  }
  const n = optionalInt(body, 'n', 1, MAX_CHOICES) ?? 1;
  const maxTokens = maxTokensOf(body);
  const choices: ChoicePlan[] = [];
  for (let i = 0; i < n; i++) choices.push(planChoice(i, (seed + i * GOLDEN) >>> 0, maxTokens, gen, system));
  return finishPlan('chat', body, Math.ceil(chars / 4), choices);
}

/** Plans a legacy `/v1/completions` request: n choices per prompt. Throws RequestError. */
export function planCompletion(raw: unknown, gen: GenerationSettings): GenerationPlan {
  const body = asBody(raw);
  const items = inputItems(body.prompt, 'prompt');
  const n = optionalInt(body, 'n', 1, MAX_CHOICES) ?? 1;
  if (items.length * n > MAX_CHOICES) throw new RequestError(400, `at most ${MAX_CHOICES} choices per request`, 'n');
  const maxTokens = maxTokensOf(body);
  const choices: ChoicePlan[] = [];
  for (const it of items) {
    const seed = itemSeed(it, true);
    for (let j = 0; j < n; j++) choices.push(planChoice(choices.length, (seed + j * GOLDEN) >>> 0, maxTokens, gen));
  }
  return finishPlan('completion', body, itemTokens(items), choices);
}

// ---------------------------------------------------------------- rendering

function usageOf(plan: GenerationPlan): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}

/** The non-stream response body. */
export function renderJson(plan: GenerationPlan): string {
  const base = { id: plan.id, object: '', created: plan.created, model: plan.model };
  if (plan.kind === 'chat') {
    return JSON.stringify({
      ...base,
      object: 'chat.completion',
      choices: plan.choices.map((c) => ({
        index: c.index,
        message: { role: 'assistant', content: c.pieces.join('') },
        logprobs: null,
        finish_reason: c.finishReason,
      })),
      usage: usageOf(plan),
    });
  }
  return JSON.stringify({
    ...base,
    object: 'text_completion',
    choices: plan.choices.map((c) => ({ index: c.index, text: c.pieces.join(''), logprobs: null, finish_reason: c.finishReason })),
    usage: usageOf(plan),
  });
}

export const DONE_EVENT = 'data: [DONE]\n\n';

/**
 * The SSE events of a stream, lazily (a disconnected client stops the iteration).
 * Chat: a role chunk per choice, one content chunk per token, a finish chunk per choice.
 * Completions: one text chunk per token, a finish chunk per choice. Then, if include_usage,
 * a chunk with `choices: []` and usage; then `[DONE]`.
 */
export function* streamEvents(plan: GenerationPlan): Generator<StreamEvent, void, undefined> {
  const chat = plan.kind === 'chat';
  // Every chunk shares id/object/created/model; choices are appended after this prefix.
  const prefix =
    `data: {"id":${JSON.stringify(plan.id)},"object":"${chat ? 'chat.completion.chunk' : 'text_completion'}",` +
    `"created":${plan.created},"model":${JSON.stringify(plan.model)},"choices":[`;
  if (chat) {
    for (const c of plan.choices) {
      yield {
        data: `${prefix}{"index":${c.index},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`,
        token: false,
        final: false,
      };
    }
  }
  for (let t = 0; t < plan.steps; t++) {
    let first = true;
    for (const c of plan.choices) {
      const piece = c.pieces[t];
      if (piece === undefined) continue;
      const body = chat ? `"delta":{"content":${JSON.stringify(piece)}}` : `"text":${JSON.stringify(piece)}`;
      yield { data: `${prefix}{"index":${c.index},${body},"logprobs":null,"finish_reason":null}]}\n\n`, token: first, final: false };
      first = false;
    }
  }
  for (const c of plan.choices) {
    const body = chat ? '"delta":{}' : '"text":""';
    yield { data: `${prefix}{"index":${c.index},${body},"logprobs":null,"finish_reason":"${c.finishReason}"}]}\n\n`, token: false, final: true };
  }
  if (plan.includeUsage) yield { data: `${prefix}],"usage":${JSON.stringify(usageOf(plan))}}\n\n`, token: false, final: true };
  yield { data: DONE_EVENT, token: false, final: true };
}

// ---------------------------------------------------------------- embeddings and models

function embeddingVector(seed: number, dims: number): Float32Array {
  const rand = mulberry32(seed);
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rand() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

export interface EmbeddingsResult {
  json: string;
  promptTokens: number;
}

/** `/v1/embeddings`: one deterministic unit vector per input (float array or base64 float32). */
export function renderEmbeddings(raw: unknown): EmbeddingsResult {
  const body = asBody(raw);
  const items = inputItems(body.input, 'input');
  const dims = optionalInt(body, 'dimensions', 1, MAX_EMBEDDING_DIMS) ?? DEFAULT_EMBEDDING_DIMS;
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new RequestError(400, "encoding_format must be 'float' or 'base64'", 'encoding_format');
  }
  const data = items.map((it, index) => {
    const vec = embeddingVector(itemSeed(it, false), dims);
    // The official SDKs ask for base64 by default: little-endian float32 bytes.
    const embedding = format === 'base64' ? Buffer.from(vec.buffer).toString('base64') : Array.from(vec);
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = itemTokens(items);
  const json = JSON.stringify({
    object: 'list',
    data,
    model: modelOf(body),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
  return { json, promptTokens };
}

/** `/v1/models` body (constant). */
export const MODELS_JSON = JSON.stringify({
  object: 'list',
  data: [{ id: SIM_MODEL_ID, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'modelgate-simulator' }],
});
