/**
 * The simulator: a simulated OpenAI-compatible inference server on plain `node:http`, used by
 * `modelgate demo`, by the gateway's tests (as the real upstream on a real socket) and by the
 * benchmarks. It models what matters to a gateway in front of a GPU server: a fixed number of
 * generation slots with a FIFO queue, per-token latency, SSE streaming, internal endpoints that
 * must never be exposed, and failure modes (leaky 500s, 503s, hangs, resets, cut streams).
 *
 * Besides the OpenAI routes it plays non-LLM servers (see tensor.ts): KServe v2 / Triton inference
 * (JSON and binary tensors) with its admin API (repository, shared memory, config, stats),
 * TorchServe predictions with its management API, and an image endpoint (`imagePaths`). The
 * inference routes take a generation slot for `msPerRequest`; admin and health routes answer at
 * once without a slot. Every request, whatever its path, is recorded first (`requests`).
 *
 * With every latency at 0 no timer is ever created: benchmarks measure the gateway, not this.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import {
  MODELS_JSON,
  RequestError,
  errorJson,
  planChat,
  planCompletion,
  renderEmbeddings,
  renderJson,
  streamEvents,
  type GenerationPlan,
  type GenerationSettings,
} from './openai.js';
import { PathRouter } from './paths.js';
import {
  TS_LIST_JSON,
  TS_PING_JSON,
  TensorRequestError,
  V2_SERVER_JSON,
  renderAnalyze,
  renderPrediction,
  renderV2Infer,
  tritonError,
  tsDescribe,
  tsRegister,
  tsScale,
  tsSetDefault,
  tsUnregister,
  v2ModelConfig,
  v2ModelMetadata,
  v2ModelStats,
} from './tensor.js';
import { ERROR_400_JSON, sendLarge } from './large.js';

export type SimulatorMode =
  | 'normal'
  | 'error-400' // 400 whose OpenAI error leaks an internal IP, an sk- key and a stack trace (large.ts)
  | 'error-500' // 500 whose body leaks a stack trace and internal paths (the gateway must hide it)
  | 'error-503'
  | 'hang' // accepts the request and never answers (until the socket closes)
  | 'reset' // destroys the socket without answering
  | 'stream-cut' // streams: a few events, then the socket is destroyed; anything else: like 'reset'
  | 'garbage'; // 200 answers that are not what they claim: a JSON body that is not JSON, an event that is not JSON

export interface SimulatorOptions {
  /** Serve HTTPS with these options (cert, key; ca + requestCert for mutual TLS); null = HTTP. */
  tls?: HttpsServerOptions | null;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Generation latency per completion token, like a GPU decode step (default 0). */
  msPerToken?: number;
  /** Prompt processing (prefill) latency per prompt token (default 0). */
  msPerPromptToken?: number;
  /** Max requests generating at once (default 8); extra requests wait FIFO for a slot. */
  slots?: number;
  /** Extra pause between SSE events (default 0). */
  eventDelayMs?: number;
  /** Tokens generated when the request names no max_tokens (default 16). */
  completionTokens?: number;
  /** Default 'normal'; may be changed at runtime through `sim.options.mode`. */
  mode?: SimulatorMode;
  /** If non-empty, the generated text is exactly this (one token per word). '' = pseudo words.
   * `{system}` stands for the request's system prompt (a model that leaks it), `{system:base64}`
   * and `{system:hex}` for its base64 and hex. */
  responseText?: string;
  /** If non-empty, the generated pieces (one per stream event) are exactly these. */
  responseChunks?: string[];
  /** If > 0, responseText is cut into pieces of this many characters (not words). */
  splitEvery?: number;
  /** Paths (no query string) of the image endpoint: POST, raw image or multipart body, answers
   * `{ ok, bytes, contentType }`. Checked before every other route. Default ['/analyze']. */
  imagePaths?: string[];
  /** Latency of one non-LLM inference request (v2 infer, TorchServe predictions, image
   * endpoint), spent holding a generation slot (default 0). */
  msPerRequest?: number;
  /** If > 0, non-streamed inference answers (chat, completions, v2 infer, TorchServe) are JSON of
   * exactly this many bytes, produced as the client takes them (large.ts). Default 0. */
  responseBytes?: number;
}

export interface RecordedRequest {
  method: string;
  /** The request target as received (path plus query string, if any). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body decoded as UTF-8 (lossy for binary bodies: compare `bytes` for those). */
  body: string;
  /** The body exactly as received (cut at 64 MB, like `body`). */
  bytes: Buffer;
  /** Date.now() when the body had been fully received. */
  receivedAt: number;
}

export interface Simulator {
  /** http://HOST:PORT */
  url: string;
  port: number;
  /** Live: changes (mode, latencies, responseText, slots...) apply to the next request or event. */
  options: Required<SimulatorOptions>;
  /** Every request received, in order; only the last 10,000 are kept. */
  requests: RecordedRequest[];
  /** Requests received and not yet finished (answering, holding a slot, queued or hanging). */
  inFlight: number;
  /** High-water mark of requests holding a generation slot at once. */
  maxInFlightSeen: number;
  /** Clears `requests` (in place) and `maxInFlightSeen`. */
  reset(): void;
  /** Closes the server and destroys every socket, hanging ones included. */
  close(): Promise<void>;
}

const DEFAULTS: Required<SimulatorOptions> = {
  host: '127.0.0.1',
  port: 0,
  msPerToken: 0,
  msPerPromptToken: 0,
  slots: 8,
  eventDelayMs: 0,
  completionTokens: 16,
  mode: 'normal',
  responseText: '',
  responseChunks: [],
  splitEvery: 0,
  imagePaths: ['/analyze'],
  msPerRequest: 0,
  responseBytes: 0,
  tls: null,
};

const MAX_RECORDED = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** 'stream-cut' sends this many events (role + tokens) before destroying the socket. */
const STREAM_CUT_EVENTS = 3;

const JSON_TYPE = 'application/json';
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

// Deliberately leaky bodies: a real inference server's failures expose internals like these.
const ERROR_500_JSON = errorJson(
  'Traceback (most recent call last):\n' +
    '  File "/opt/vllm/engine.py", line 412, in generate\n' +
    '    outputs = self.model_executor.execute_model(seq_group_metadata_list)\n' +
    '  File "/opt/vllm/worker/model_runner.py", line 1577, in execute_model\n' +
    '    hidden_states = model_executable(input_ids=input_ids, positions=positions)\n' +
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of ' +
    '79.15 GiB of which 1.06 GiB is free. (worker gpu-node-7.internal 10.0.3.17, model /models/sim-llm/weights)',
  'InternalServerError',
);
const ERROR_503_JSON = errorJson('Service Unavailable: engine overloaded (worker gpu-node-7.internal)', 'ServiceUnavailableError');
const NOT_FOUND_JSON = errorJson('Not Found', 'invalid_request_error', null, 'not_found');
const METHOD_JSON = errorJson('Method Not Allowed', 'invalid_request_error', null, 'method_not_allowed');
const TOO_LARGE_JSON = errorJson('Request body too large', 'invalid_request_error', null, 'body_too_large');
const INVALID_JSON = errorJson('We could not parse the JSON body of your request.', 'invalid_request_error', null, 'invalid_json');
const HEALTH_JSON = JSON.stringify({ status: 'ok' });
const EMPTY_OBJECT_JSON = '{}';
const EMPTY_ARRAY_JSON = '[]';
const V2_TOO_LARGE_JSON = tritonError('request body too large');

type Route = 'chat' | 'completion' | 'embeddings' | 'models' | 'health' | 'metrics';
const ROUTES = new Map<string, { method: string; route: Route }>([
  ['/v1/chat/completions', { method: 'POST', route: 'chat' }],
  ['/invocations', { method: 'POST', route: 'chat' }], // SageMaker-style
  ['/v1/completions', { method: 'POST', route: 'completion' }],
  ['/v1/embeddings', { method: 'POST', route: 'embeddings' }],
  ['/v1/models', { method: 'GET', route: 'models' }],
  ['/health', { method: 'GET', route: 'health' }],
  ['/metrics', { method: 'GET', route: 'metrics' }],
]);

/** The parameterised and non-OpenAI routes. Literal routes come before the patterns they overlap. */
type ExtraRoute =
  // KServe v2 / Triton
  | 'v2-infer'
  | 'v2-server'
  | 'v2-ready' // health and model readiness: 200, empty body
  | 'v2-metadata'
  | 'v2-config'
  | 'v2-stats'
  | 'v2-repo-index'
  | 'v2-empty-object' // repository load/unload, shared memory (un)register, trace and log settings
  | 'v2-shm-status'
  // TorchServe
  | 'ts-predict'
  | 'ts-ping'
  | 'ts-list'
  | 'ts-register'
  | 'ts-describe'
  | 'ts-scale'
  | 'ts-unregister'
  | 'ts-set-default';

const shm = (kind: string): Array<readonly [string, string, ExtraRoute]> => [
  ['GET', `/v2/${kind}/status`, 'v2-shm-status'],
  ['POST', `/v2/${kind}/unregister`, 'v2-empty-object'],
  ['GET', `/v2/${kind}/region/{region}/status`, 'v2-shm-status'],
  ['POST', `/v2/${kind}/region/{region}/register`, 'v2-empty-object'],
  ['POST', `/v2/${kind}/region/{region}/unregister`, 'v2-empty-object'],
];
const EXTRA_ROUTES = new PathRouter<ExtraRoute>([
  ['GET', '/v2', 'v2-server'],
  ['GET', '/v2/health/live', 'v2-ready'],
  ['GET', '/v2/health/ready', 'v2-ready'],
  ['GET', '/v2/models/stats', 'v2-stats'],
  ['POST', '/v2/models/{model}/infer', 'v2-infer'],
  ['POST', '/v2/models/{model}/versions/{version}/infer', 'v2-infer'],
  ['GET', '/v2/models/{model}', 'v2-metadata'],
  ['GET', '/v2/models/{model}/versions/{version}', 'v2-metadata'],
  ['GET', '/v2/models/{model}/ready', 'v2-ready'],
  ['GET', '/v2/models/{model}/versions/{version}/ready', 'v2-ready'],
  ['GET', '/v2/models/{model}/config', 'v2-config'],
  ['GET', '/v2/models/{model}/stats', 'v2-stats'],
  ['GET', '/v2/models/{model}/versions/{version}/stats', 'v2-stats'],
  ['POST', '/v2/repository/index', 'v2-repo-index'],
  ['POST', '/v2/repository/models/{model}/load', 'v2-empty-object'],
  ['POST', '/v2/repository/models/{model}/unload', 'v2-empty-object'],
  ...shm('systemsharedmemory'),
  ...shm('cudasharedmemory'),
  ['GET', '/v2/trace/setting', 'v2-empty-object'],
  ['POST', '/v2/trace/setting', 'v2-empty-object'],
  ['GET', '/v2/logging', 'v2-empty-object'],
  ['POST', '/v2/logging', 'v2-empty-object'],
  ['GET', '/ping', 'ts-ping'],
  ['POST', '/predictions/{model}', 'ts-predict'],
  ['POST', '/predictions/{model}/{version}', 'ts-predict'],
  ['GET', '/models', 'ts-list'],
  ['POST', '/models', 'ts-register'],
  ['GET', '/models/{model}', 'ts-describe'],
  ['PUT', '/models/{model}', 'ts-scale'],
  ['DELETE', '/models/{model}', 'ts-unregister'],
  ['GET', '/models/{model}/{version}', 'ts-describe'],
  ['PUT', '/models/{model}/{version}', 'ts-scale'],
  ['DELETE', '/models/{model}/{version}', 'ts-unregister'],
  ['PUT', '/models/{model}/{version}/set-default', 'ts-set-default'],
]);

function sendJson(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** One request's lifetime: whether its client is gone, and a sleep that ends early when it goes. */
class Exchange {
  closed = false;
  /** Cancels the pending sleep or queue wait, if any. */
  cancel: (() => void) | null = null;

  constructor(readonly res: ServerResponse) {}

  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.cancel;
    this.cancel = null;
    c?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.closed || !(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancel = null;
        resolve();
      }, ms);
      this.cancel = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Waits until the response's buffered output drains (or the client goes away). */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.cancel = null;
        this.res.off('drain', done);
        resolve();
      };
      this.res.once('drain', done);
      this.cancel = done;
    });
  }
}

/** Generation slots with a FIFO queue, like vLLM's scheduler admitting requests into a batch. */
class SlotScheduler {
  active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly limit: () => number,
    private readonly onGrant: (active: number) => void,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  /** Takes a free slot now (no promise on the fast path). */
  tryAcquire(): boolean {
    if (this.queue.length > 0 || this.active >= this.limit()) return false;
    this.active++;
    this.onGrant(this.active);
    return true;
  }

  /** Queues for a slot; resolves false (without a slot) if the client goes away first. */
  wait(ex: Exchange): Promise<boolean> {
    return new Promise((resolve) => {
      const grant = (): void => {
        ex.cancel = null;
        resolve(true);
      };
      this.queue.push(grant);
      ex.cancel = () => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(false);
      };
    });
  }

  release(): void {
    this.active--;
    while (this.queue.length > 0 && this.active < this.limit()) {
      const next = this.queue.shift();
      this.active++;
      this.onGrant(this.active);
      next?.();
    }
  }
}

class SimulatorServer implements Simulator {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  inFlight = 0;
  maxInFlightSeen = 0;
  private readonly server: Server;
  private readonly slots: SlotScheduler;
  private closing: Promise<void> | null = null;
  // Counters behind the fake /metrics.
  private requestsTotal = 0;
  private promptTokensTotal = 0;
  private generationTokensTotal = 0;
  private v2InferTotal = 0;

  constructor(readonly options: Required<SimulatorOptions>) {
    this.slots = new SlotScheduler(
      () => Math.max(1, Math.floor(this.options.slots)),
      (active) => {
        if (active > this.maxInFlightSeen) this.maxInFlightSeen = active;
      },
    );
    const tls = this.options.tls;
    this.server = tls === null ? createServer((req, res) => this.onRequest(req, res)) : createHttpsServer(tls, (req, res) => this.onRequest(req, res));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        this.port = typeof addr === 'object' && addr !== null ? addr.port : this.options.port;
        const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
        this.url = `${this.options.tls === null ? 'http' : 'https'}://${host}:${this.port}`;
        resolve();
      });
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.maxInFlightSeen = 0;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise((resolve) => this.server.close(() => resolve()));
    // Destroys every socket, busy or idle; each response's 'close' then wakes its sleeper or
    // queue wait, so generation loops end and no timer outlives the server.
    this.server.closeAllConnections();
    return this.closing;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const first = chunks.length === 1 ? chunks[0] : undefined;
      this.dispatch(req, res, first ?? Buffer.concat(chunks), size > MAX_BODY_BYTES);
    });
    req.on('error', () => undefined); // client went away mid-upload: nothing to answer
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, bytes: Buffer, tooLarge: boolean): void {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const body = bytes.toString('utf8');
    // Recorded before anything else, so tests see exactly what reached the upstream.
    this.requests.push({ method, path: target, headers: { ...req.headers }, body, bytes, receivedAt: Date.now() });
    if (this.requests.length > MAX_RECORDED) this.requests.shift();
    this.requestsTotal++;

    const ex = new Exchange(res);
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      ex.markClosed();
    });

    const mode = this.options.mode;
    if (mode === 'error-400') return sendJson(res, 400, ERROR_400_JSON);
    if (mode === 'error-500') return sendJson(res, 500, ERROR_500_JSON);
    if (mode === 'error-503') return sendJson(res, 503, ERROR_503_JSON, { 'retry-after': '1' });
    if (mode === 'hang') return; // never answer; 'close' fires when the peer or close() ends the socket
    if (mode === 'reset') return void res.destroy();
    if (mode === 'garbage') return this.garbage(res, body);
    const cut = mode === 'stream-cut';

    const q = target.indexOf('?');
    const pathname = q < 0 ? target : target.slice(0, q);
    if (this.options.imagePaths.includes(pathname)) {
      if (cut) return void res.destroy();
      if (method !== 'POST') return sendJson(res, 405, METHOD_JSON, { allow: 'POST' });
      if (tooLarge) return sendJson(res, 413, TOO_LARGE_JSON);
      return this.runTensor(ex, renderAnalyze(bytes.length, req.headers['content-type']));
    }
    const entry = ROUTES.get(pathname);
    if (entry === undefined) {
      const query = q < 0 ? '' : target.slice(q + 1);
      return this.dispatchExtra(ex, req, pathname, query, bytes, tooLarge, cut);
    }
    if (entry.method !== method) {
      if (cut) return void res.destroy();
      return sendJson(res, 405, METHOD_JSON, { allow: entry.method });
    }
    if (entry.route === 'models' || entry.route === 'health' || entry.route === 'metrics') {
      if (cut) return void res.destroy();
      if (entry.route === 'models') return sendJson(res, 200, MODELS_JSON);
      if (entry.route === 'health') return sendJson(res, 200, HEALTH_JSON);
      const text = this.metricsText();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }

    if (tooLarge) return cut ? void res.destroy() : sendJson(res, 413, TOO_LARGE_JSON);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return cut ? void res.destroy() : sendJson(res, 400, INVALID_JSON);
    }
    try {
      if (entry.route === 'embeddings') {
        if (cut) return void res.destroy();
        const { json, promptTokens } = renderEmbeddings(parsed);
        this.runEmbeddings(ex, json, promptTokens).catch(() => res.destroy());
        return;
      }
      const plan = entry.route === 'chat' ? planChat(parsed, this.settings()) : planCompletion(parsed, this.settings());
      if (cut && !plan.stream) return void res.destroy();
      this.runGeneration(ex, plan, cut).catch(() => res.destroy());
    } catch (err) {
      if (cut) return void res.destroy();
      if (err instanceof RequestError) {
        return sendJson(res, err.status, errorJson(err.message, 'invalid_request_error', err.param, err.code));
      }
      // A simulator bug: answer rather than crash the process hosting the tests.
      sendJson(res, 500, errorJson(`simulator bug: ${String(err)}`, 'simulator_error'));
    }
  }

  /** The KServe v2 / Triton, TorchServe routes (EXTRA_ROUTES); 404 for any other path. */
  private dispatchExtra(
    ex: Exchange,
    req: IncomingMessage,
    pathname: string,
    query: string,
    bytes: Buffer,
    tooLarge: boolean,
    cut: boolean,
  ): void {
    const res = ex.res;
    const m = EXTRA_ROUTES.match(req.method ?? 'GET', pathname);
    if (cut) return void res.destroy(); // no route here streams: 'stream-cut' acts like 'reset'
    if (m === null) return sendJson(res, 404, NOT_FOUND_JSON);
    if (m.kind === 'method') return sendJson(res, 405, METHOD_JSON, { allow: m.allow.join(', ') });
    const model = m.params.model ?? '';
    const version = m.params.version;
    switch (m.route) {
      // Inference: a slot for msPerRequest.
      case 'v2-infer': {
        if (tooLarge) return sendJson(res, 413, V2_TOO_LARGE_JSON);
        let json: string;
        try {
          json = renderV2Infer(bytes, { headerLength: req.headers['inference-header-content-length'], model, version });
        } catch (err) {
          if (err instanceof TensorRequestError) return sendJson(res, err.status, tritonError(err.message));
          return sendJson(res, 500, tritonError(`simulator bug: ${String(err)}`));
        }
        this.v2InferTotal++;
        return this.runTensor(ex, json);
      }
      case 'ts-predict':
        if (tooLarge) return sendJson(res, 413, TOO_LARGE_JSON);
        return this.runTensor(ex, renderPrediction(bytes, req.headers['content-type']));
      // Health and admin: at once, no slot.
      case 'v2-ready':
        res.writeHead(200, { 'content-length': 0 });
        return void res.end();
      case 'v2-server':
        return sendJson(res, 200, V2_SERVER_JSON);
      case 'v2-metadata':
        return sendJson(res, 200, v2ModelMetadata(model, version));
      case 'v2-config':
        return sendJson(res, 200, v2ModelConfig(model));
      case 'v2-stats':
        return sendJson(res, 200, v2ModelStats(m.params.model, version, this.v2InferTotal));
      case 'v2-repo-index':
      case 'v2-shm-status':
        return sendJson(res, 200, EMPTY_ARRAY_JSON);
      case 'v2-empty-object':
        return sendJson(res, 200, EMPTY_OBJECT_JSON);
      case 'ts-ping':
        return sendJson(res, 200, TS_PING_JSON);
      case 'ts-list':
        return sendJson(res, 200, TS_LIST_JSON);
      case 'ts-register':
        return sendJson(res, 200, tsRegister(new URLSearchParams(query)));
      case 'ts-describe':
        return sendJson(res, 200, tsDescribe(model, version));
      case 'ts-scale':
        return sendJson(res, 200, tsScale(model, new URLSearchParams(query)));
      case 'ts-unregister':
        return sendJson(res, 200, tsUnregister(model, version));
      case 'ts-set-default':
        return sendJson(res, 200, tsSetDefault(model, version ?? ''));
    }
  }

  /** A non-LLM inference answer: holds a generation slot for msPerRequest, then sends `json`. */
  private runTensor(ex: Exchange, json: string): void {
    this.tensorRequest(ex, json).catch(() => ex.res.destroy());
  }

  private async tensorRequest(ex: Exchange, json: string): Promise<void> {
    if (!(this.slots.tryAcquire() || (await this.slots.wait(ex)))) return;
    try {
      const ms = this.options.msPerRequest;
      if (ms > 0) await ex.sleep(ms);
      if (ex.closed) return;
      if (this.options.responseBytes > 0) await sendLarge(ex.res, this.options.responseBytes, 'tensor');
      else sendJson(ex.res, 200, json);
    } finally {
      this.slots.release();
    }
  }

  /** 'garbage' mode: a 200 whose body does not parse (JSON, or one SSE event when streaming). */
  private garbage(res: ServerResponse, body: string): void {
    if (!/"stream"\s*:\s*true/.test(body)) {
      res.writeHead(200, { 'content-type': JSON_TYPE });
      return void res.end('{"choices":[{"message":{"content":"4111 1111 1111 1111');
    }
    res.writeHead(200, SSE_HEADERS);
    res.end('data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: {not json 4111 1111 1111 1111}\n\ndata: [DONE]\n\n');
  }

  private settings(): GenerationSettings {
    const o = this.options;
    return { completionTokens: o.completionTokens, responseText: o.responseText ?? '', responseChunks: o.responseChunks ?? [], splitEvery: o.splitEvery ?? 0 };
  }

  private async runEmbeddings(ex: Exchange, json: string, promptTokens: number): Promise<void> {
    // tryAcquire first: the free-slot path costs no promise.
    if (!(this.slots.tryAcquire() || (await this.slots.wait(ex)))) return;
    try {
      this.promptTokensTotal += promptTokens;
      const prefill = this.options.msPerPromptToken * promptTokens;
      if (prefill > 0) await ex.sleep(prefill);
      if (!ex.closed) sendJson(ex.res, 200, json);
    } finally {
      this.slots.release();
    }
  }

  private async runGeneration(ex: Exchange, plan: GenerationPlan, cut: boolean): Promise<void> {
    if (!(this.slots.tryAcquire() || (await this.slots.wait(ex)))) return;
    const o = this.options; // read live: tests change latencies mid-stream
    const res = ex.res;
    try {
      this.promptTokensTotal += plan.promptTokens;
      const prefill = o.msPerPromptToken * plan.promptTokens;
      if (prefill > 0) await ex.sleep(prefill);
      if (ex.closed) return;
      if (!plan.stream) {
        const decode = o.msPerToken * plan.steps;
        if (decode > 0) await ex.sleep(decode);
        if (ex.closed) return;
        this.generationTokensTotal += plan.completionTokens;
        if (o.responseBytes > 0) await sendLarge(res, o.responseBytes, 'chat');
        else sendJson(res, 200, renderJson(plan));
        return;
      }

      this.generationTokensTotal += plan.completionTokens;
      res.writeHead(200, SSE_HEADERS);
      let sent = 0;
      // One event of look-ahead, so 'stream-cut' knows when the next event would end the stream.
      const events = streamEvents(plan);
      let cur = events.next();
      while (!cur.done) {
        const ev = cur.value;
        const delay = (sent > 0 ? o.eventDelayMs : 0) + (ev.token ? o.msPerToken : 0);
        if (delay > 0) await ex.sleep(delay);
        if (ex.closed) return; // client gone: stop generating, the slot is released below
        const next = events.next();
        sent++;
        if (cut && (ev.final || sent >= STREAM_CUT_EVENTS || next.done === true || next.value.final)) {
          // Destroy once this event is handed to the kernel, so the client does see it.
          if (ev.final) res.destroy();
          else res.write(ev.data, () => res.destroy());
          return;
        }
        // One write per event, no buffering; a slow reader pauses generation (bounded memory).
        if (!res.write(ev.data)) await ex.drain();
        cur = next;
      }
      res.end();
    } finally {
      this.slots.release();
    }
  }

  /** Fake vLLM-style metrics, with internal details a gateway must never expose. */
  private metricsText(): string {
    const m = (name: string, type: string, value: number): string =>
      `# TYPE vllm:${name} ${type}\nvllm:${name}{model_name="sim-llm"} ${value}\n`;
    return (
      m('num_requests_running', 'gauge', this.slots.active) +
      m('num_requests_waiting', 'gauge', this.slots.waiting) +
      m('gpu_cache_usage_perc', 'gauge', this.slots.active / Math.max(1, this.options.slots)) +
      m('request_success_total', 'counter', this.requestsTotal) +
      m('prompt_tokens_total', 'counter', this.promptTokensTotal) +
      m('generation_tokens_total', 'counter', this.generationTokensTotal) +
      '# TYPE vllm:cache_config_info gauge\n' +
      'vllm:cache_config_info{model_path="/models/sim-llm/weights",gpu="NVIDIA A100-SXM4-80GB",host="gpu-node-7.internal"} 1\n'
    );
  }
}

/** Starts a simulator on `opts.host:opts.port` (default 127.0.0.1 on a free port). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const options: Required<SimulatorOptions> = { ...DEFAULTS };
  // Only defined values override the defaults ({ port: undefined } keeps port 0).
  for (const [k, v] of Object.entries(opts)) {
    if (v !== undefined && k in DEFAULTS) Object.assign(options, { [k]: v });
  }
  // A simulator's own copy: `sim.options.imagePaths.push(...)` must not change the defaults.
  if (options.imagePaths === DEFAULTS.imagePaths) options.imagePaths = [...DEFAULTS.imagePaths];
  const sim = new SimulatorServer(options);
  await sim.listen();
  return sim;
}
