/**
 * The configuration schema, written once with TypeBox: it is the JSON Schema that Ajv validates
 * against, the static TypeScript type of a raw config, and what `modelgate schema` emits to
 * `schema/modelgate.schema.json` (a test keeps that file equal to this).
 *
 * Keys that a later release implements are described here with `notYet()`: they are known, so
 * their error is "not supported yet" rather than "unknown key", and they are never ignored.
 */
import { PII_TYPES } from '../detectors/pii/types.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { abuseSchema } from './abuse.js';
import { externalSchema } from './injection.js';

const strict = { additionalProperties: false } as const;

/** 250ms, 30s, 5m, 1h, 1d — or a number of milliseconds. */
export const Duration = Type.Union([
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$' }),
  Type.Integer({ minimum: 0 }),
], { description: 'A duration: 250ms, 30s, 5m, 1h, 1d, or milliseconds as a number' });

/** 512b, 100kb, 10mb, 1gb — or a number of bytes. */
export const Size = Type.Union([
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(b|kb|mb|gb)$' }),
  Type.Integer({ minimum: 0 }),
], { description: 'A size: 512b, 100kb, 10mb, or bytes as a number' });

export const NOT_YET = 'not supported yet';

/** A key of the design that a later release implements: accepted by the grammar, refused by load. */
function notYet(what: string): TSchema {
  return Type.Unknown({ description: `${what} — ${NOT_YET}`, 'x-modelgate-not-yet': true });
}

/** A rate: `rate` units per `per`, at most `burst` at once (default: `rate`). */
const Rate = Type.Object({
  rate: Type.Number({ exclusiveMinimum: 0 }),
  per: Duration,
  burst: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  algorithm: Type.Optional(Type.Union([Type.Literal('gcra'), Type.Literal('sliding-window')], { description: 'gcra (default; smooth, exact) or sliding-window' })),
}, strict);

const Tier = Type.Object({
  requests: Type.Optional(Rate),
  cost: Type.Optional(Rate),
  budget: Type.Optional(Type.Object({ cost: Type.Number({ exclusiveMinimum: 0 }), per: Duration }, strict)),
  concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'Admission-queue priority; higher is served first (default 0)' })),
  exempt: Type.Optional(Type.Boolean({ description: 'No limits at all; still authenticated, counted and logged' })),
}, strict);

const Tiers = Type.Object({
  default: Type.Optional(Type.String({ minLength: 1, description: 'Tier of a key that names none' })),
}, { additionalProperties: Tier });

const Store = Type.Object({
  kind: Type.Union([Type.Literal('memory'), Type.Literal('redis')]),
  url: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  onError: Type.Optional(Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open'), Type.Literal('local')])),
  replicas: Type.Optional(Type.Integer({ minimum: 1 })),
  timeout: Type.Optional(Duration),
  cluster: Type.Optional(Type.Boolean()),
}, strict);

const Cors = Type.Object({
  origins: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Exact origins allowed; "*" is refused' }),
  methods: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  headers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  maxAge: Type.Optional(Duration),
  credentials: Type.Optional(Type.Boolean()),
}, strict);

/** `server.tls`: TLS (and mutual TLS) on the public listener; files re-read when they change. */
const ServerTls = Type.Object({
  cert: Type.String({ minLength: 1, description: 'PEM certificate (chain) file; re-read when it changes' }),
  key: Type.String({ minLength: 1, description: 'PEM private key file; re-read when it changes' }),
  minVersion: Type.Optional(Type.Union(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].map((v) => Type.Literal(v)), { description: 'TLSv1.2 (default) or TLSv1.3; TLSv1 and TLSv1.1 are refused' })),
  ciphers: Type.Optional(Type.String({ minLength: 1, description: 'OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always the OpenSSL defaults)' })),
  clientCA: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle that client certificates must chain to (mutual TLS)' })),
  requireClientCert: Type.Optional(Type.Boolean({ description: 'Refuse the handshake without a client certificate valid for clientCA (default false: routes decide with `auth`)' })),
}, strict);

const Server = Type.Object({
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  tls: Type.Optional(ServerTls),
  hsts: Type.Optional(Type.Boolean()),
  trustedProxies: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  cors: Type.Optional(Cors),
  timeouts: Type.Optional(Type.Object({
    headers: Type.Optional(Duration),
    body: Type.Optional(Duration),
    idle: Type.Optional(Duration),
    send: Type.Optional(Duration),
  }, strict)),
  maxHeaderBytes: Type.Optional(Size),
  maxHeaders: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Most request headers; more: 431' })),
  shutdown: Type.Optional(Type.Object({
    delay: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
  }, { ...strict, description: 'SIGTERM: /readyz 503 at once; new connections accepted for `delay`; in-flight work gets `timeout`' })),
  http2: Type.Optional(notYet('HTTP/2 on the public listener')),
}, strict);

const Admin = Type.Object({
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  token: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token for /admin/*; from ${ENV}' })),
  console: Type.Optional(Type.Boolean({ description: 'The operator console at /console (default: on when the admin listener is on the loopback, off otherwise)' })),
}, strict);

const ApiKey = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Shown in logs and metrics instead of the key' }),
  hash: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<lowercase hex SHA-256 of the whole key>' })),
  key: Type.Optional(Type.String({ minLength: 16, description: 'Plaintext key, only through ${ENV}; hashed at load' })),
  keyFile: Type.Optional(Type.String({ minLength: 1, description: 'Path of a mounted file holding the key' })),
  tier: Type.Optional(Type.String({ minLength: 1 })),
  expiresAt: Type.Optional(Type.String({ description: 'ISO 8601 instant with a zone; refused after it (MG_KEY_EXPIRED)' })),
  routes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Route paths (as configured) the key may use (else MG_KEY_ROUTE_DENIED)' })),
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Models the key may use (else MG_KEY_MODEL_DENIED)' })),
  allowedCidrs: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Client addresses or CIDR ranges the key may come from (else MG_KEY_IP_DENIED)' })),
}, strict);

/** `auth.clients[]`: a verified client certificate, matched by exactly one of san, subject, fingerprint. */
const ClientIdentity = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Shown in logs and metrics, and used by limits, like a key id' }),
  san: Type.Optional(Type.String({ minLength: 1, description: 'A URI subject alternative name, e.g. a SPIFFE id' })),
  subject: Type.Optional(Type.String({ pattern: '^[A-Za-z]+=[^,]+(, ?[A-Za-z]+=[^,]+)*$', description: 'Subject attributes that must all match, e.g. "CN=batch-runner" or "CN=runner, O=acme"' })),
  fingerprint: Type.Optional(Type.String({ pattern: '^sha256:[0-9A-Fa-f:]{64,95}$', description: 'sha256:<hex SHA-256 of the DER certificate> (colons allowed)' })),
  tier: Type.Optional(Type.String({ minLength: 1 })),
}, strict);

const Auth = Type.Object({
  headers: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), { minItems: 1 })),
  keys: Type.Array(ApiKey),
  keyStore: Type.Optional(Type.String({ minLength: 1, description: 'File of the keys made through the admin API (memory store; written atomically). With store redis the keys live in Redis' })),
  clients: Type.Optional(Type.Array(ClientIdentity, { description: 'mTLS identities: a verified client certificate → an id and tier, used like a key' })),
}, strict);

/** `upstreams.*.breaker`: passive outlier detection per target (Envoy's outlier detection). */
const Breaker = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'false: no passive ejection at all (default true)' })),
  consecutive5xx: Type.Optional(Type.Integer({ minimum: 0, description: '5xx answers and resets in a row that eject a target (0: rule off; default 5)' })),
  consecutiveGatewayErrors: Type.Optional(Type.Integer({ minimum: 0, description: 'Connect failures, timeouts and 502/503/504 in a row that eject a target (0: rule off; default 3)' })),
  successRate: Type.Optional(Type.Object({
    minimum: Type.Number({ minimum: 0, maximum: 1, description: 'Share of successful attempts below which a target is ejected' }),
    requestVolume: Type.Integer({ minimum: 1, description: 'Attempts in the window before the rule applies' }),
    window: Duration,
  }, strict)),
  openFor: Type.Optional(Duration),
  maxOpenFor: Type.Optional(Duration),
  maxEjectedPercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'Most targets ejected at once, in percent of the targets (default 50; 100: all may be)' })),
}, strict);

/** `upstreams.*.healthCheck`: an active GET of the model server's own health endpoint. */
const HealthCheck = Type.Object({
  path: Type.String({ pattern: '^/[!-~]*$', description: '/health (vLLM, TGI), /v2/health/ready (KServe, Triton), /ping (TorchServe)' }),
  interval: Type.Optional(Duration),
  timeout: Type.Optional(Duration),
  healthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
}, strict);

const Upstream = Type.Object({
  targets: Type.Array(Type.String({ pattern: '^https?://' }), { minItems: 1 }),
  timeout: Type.Optional(Duration),
  connectTimeout: Type.Optional(Duration),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'Keep-alive connections per target' })),
  maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'GPU slots: requests at the model server at once' })),
  queue: Type.Optional(Type.Object({ size: Type.Integer({ minimum: 0 }), timeout: Duration }, strict)),
  maxResponseBytes: Type.Optional(Size),
  breaker: Type.Optional(Breaker),
  healthCheck: Type.Optional(HealthCheck),
  tls: Type.Optional(Type.Object({
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle the model servers\' certificates must chain to (default: the system CAs)' })),
    cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate for mutual TLS (with key)' })),
    key: Type.Optional(Type.String({ minLength: 1, description: 'PEM client private key (with cert)' })),
    serverName: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'Name sent as SNI and checked against the server certificate (default: the target host)' })),
  }, { ...strict, description: 'TLS to the model servers (https targets); verification is always on' })),
}, strict);

export const PROTOCOLS = ['openai-chat', 'openai-completions', 'openai-embeddings', 'kserve-v2', 'torchserve', 'image-upload'] as const;

const Limits = Type.Object({
  maxBodyBytes: Type.Optional(Size),
  maxMessages: Type.Optional(Type.Integer({ minimum: 1 })),
  maxMessageChars: Type.Optional(Type.Integer({ minimum: 1 })),
  maxTotalChars: Type.Optional(Type.Integer({ minimum: 1 })),
  maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  maxN: Type.Optional(Type.Integer({ minimum: 1 })),
  maxBestOf: Type.Optional(Type.Integer({ minimum: 1 })),
  maxLogprobs: Type.Optional(Type.Integer({ minimum: 0 })),
  maxInputs: Type.Optional(Type.Integer({ minimum: 1 })),
  maxInputChars: Type.Optional(Type.Integer({ minimum: 1 })),
  maxJsonDepth: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  maxJsonArrayLength: Type.Optional(Type.Integer({ minimum: 1 })),
  maxJsonStringChars: Type.Optional(Type.Integer({ minimum: 1 })),
  maxJsonKeys: Type.Optional(Type.Integer({ minimum: 1 })),
  decompress: Type.Optional(Type.Array(Type.Union([Type.Literal('gzip'), Type.Literal('deflate'), Type.Literal('br')]), { uniqueItems: true })),
  maxCompressionRatio: Type.Optional(Type.Number({ minimum: 1 })),
  maxBytes: Type.Optional(Size),
  types: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9.+-]+/[a-z0-9.+-]+$' }), { minItems: 1, uniqueItems: true, description: 'Allowed content types (images; torchserve bodies)' })),
  maxDimension: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest width or height of an image, in pixels' })),
  maxPixels: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest width × height of an image' })),
  maxFrames: Type.Optional(Type.Integer({ minimum: 1, description: 'Most frames of an animated image' })),
  verifyDecode: Type.Optional(Type.Boolean({ description: 'Fully decode images (bounded) after the header checks' })),
  maxImages: Type.Optional(Type.Integer({ minimum: 0, description: 'Images per chat request (0: image parts refused)' })),
  imageHosts: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]+$' }), { uniqueItems: true, description: 'Hosts a chat image_url may name; private addresses are refused even then' })),
  maxTensorElements: Type.Optional(Type.Integer({ minimum: 1, description: 'Elements over all tensors of one request' })),
}, strict);

const Datatype = Type.Union(['BOOL', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES'].map((d) => Type.Literal(d)));
const Model = Type.Object({
  inputs: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ minLength: 1 }),
    datatype: Datatype,
    shape: Type.Array(Type.Integer({ minimum: -1 }), { description: '-1 = a variable dimension' }),
    range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
  }, strict), { minItems: 1 })),
  maxBatch: Type.Optional(Type.Integer({ minimum: 1, description: 'Largest first (batch) dimension' })),
}, strict);

const Route = Type.Object({
  path: Type.String({ pattern: '^/' }),
  protocol: Type.Union(PROTOCOLS.map((p) => Type.Literal(p))),
  upstream: Type.String({ minLength: 1 }),
  methods: Type.Optional(Type.Array(Type.Union([Type.Literal('POST'), Type.Literal('GET')]), { minItems: 1, uniqueItems: true })),
  limits: Type.Optional(Limits),
  auth: Type.Optional(Type.Union([Type.Literal('key'), Type.Literal('mtls'), Type.Literal('any'), Type.Literal('key+mtls')], { description: 'key (default) | mtls | any | key+mtls' })),
  forwardHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), { uniqueItems: true, description: 'Request headers forwarded besides content-type, accept, user-agent, traceparent, tracestate' })),
  forwardQuery: Type.Optional(Type.Boolean({ description: 'Forward the query string (default false: dropped)' })),
  injection: Type.Optional(Type.Object({
    action: Type.Union([Type.Literal('block'), Type.Literal('flag'), Type.Literal('off')]),
    threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Learned-layer score at or above which a text counts as an injection (default 0.5, its calibrated 2% false-positive point on sources held out from training)' })),
    layers: Type.Optional(Type.Array(Type.Union([Type.Literal('patterns'), Type.Literal('learned')]), { minItems: 1, uniqueItems: true, description: 'Detection layers to run (default both)' })),
    external: Type.Optional(externalSchema(Duration)),
    debugHeader: Type.Optional(Type.Boolean({ description: 'For testing only: send the injection score in X-Modelgate-Injection-Score (default false)' })),
    onError: Type.Optional(Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], { description: 'If the detector throws: refuse (default) or pass, counted and logged' })),
  }, strict)),
  rateLimits: Type.Optional(Type.Object({ requests: Type.Optional(Rate), cost: Type.Optional(Rate) }, { ...strict, description: 'Per-key limits on this route, on top of the tier' })),
  cost: Type.Optional(Type.Object({
    tokenizer: Type.Optional(Type.Union([Type.Literal('o200k_base'), Type.Literal('cl100k_base'), Type.Literal('chars4')])),
    defaultMaxTokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Completion tokens reserved when a request names no max_tokens' })),
    enforceMaxTokens: Type.Optional(Type.Boolean({ description: 'Send max_tokens = defaultMaxTokens upstream when the request names none (default true)' })),
  }, strict)),
  output: Type.Optional(Type.Object({
    redact: Type.Optional(Type.Array(Type.Union(PII_TYPES.map((t) => Type.Literal(t))), { uniqueItems: true, description: 'Types found in responses and replaced by [REDACTED:<type>] (or blocked)' })),
    action: Type.Optional(Type.Union([Type.Literal('redact'), Type.Literal('block')], { description: 'redact (default): replace each match; block: withhold the whole response' })),
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Literal values never redacted (e.g. the support address)' })),
    canary: Type.Optional(Type.Union([Type.Boolean(), Type.Object({
      wording: Type.Optional(Type.String({ minLength: 1, description: 'Text added to the system prompt; must contain {canary}' })),
      fragments: Type.Optional(Type.Array(Type.String({ minLength: 8 }), { description: 'Literal pieces of the system prompt whose appearance in output is a leak' })),
    }, strict)], { description: 'Add a per-request marker to the system prompt and block responses that repeat it' })),
    onError: Type.Optional(Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], { description: 'If the output filter fails: withhold (default) or pass unfiltered, counted and logged' })),
    systemPromptLeak: Type.Optional(Type.Union([Type.Literal(false), Type.Object({
      words: Type.Optional(Type.Integer({ minimum: 3, maximum: 50, description: 'Consecutive system-prompt words in a response that count as a leak (default 6)' })),
    }, strict)], { description: 'Withhold responses that repeat the system prompt (default on, 6 words, on openai-chat routes with output protection); false: off' })),
    links: Type.Optional(Type.Object({
      allow: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9\\u0080-\\uffff.-]+$' }), { uniqueItems: true, description: 'Hosts whose URLs may appear (their subdomains too); relative URLs are always kept' })),
      action: Type.Optional(Type.Union([Type.Literal('strip'), Type.Literal('block'), Type.Literal('off')], { description: 'strip (default): remove images and links to other hosts; block: withhold the response; off' })),
      images: Type.Optional(Type.Boolean({ description: 'Filter images (markdown images, HTML tags that fetch by themselves); default true' })),
      links: Type.Optional(Type.Boolean({ description: 'Filter links (markdown links, <a href>, autolinks, bare URLs); default true' })),
    }, { ...strict, description: 'Markdown/HTML images and links to hosts not on the allow-list (exfiltration): strip or block' })),
  }, strict)),
  models: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), Model, { description: 'kserve-v2: declared models and inputs; torchserve: the models routed' })),
}, strict);

export const ConfigSchema = Type.Object({
  server: Type.Optional(Server),
  admin: Type.Optional(Admin),
  store: Type.Optional(Store),
  auth: Auth,
  tiers: Type.Optional(Tiers),
  perIp: Type.Optional(Type.Object({ requests: Type.Optional(Rate), cost: Type.Optional(Rate) }, strict)),
  upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Upstream, { minProperties: 1 }),
  routes: Type.Array(Route, { minItems: 1 }),
  abuse: Type.Optional(abuseSchema(Duration)),
  metrics: Type.Optional(Type.Object({
    maxKeySeries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'Key ids with their own series in per-key metrics; beyond it they count as key="(other)"' })),
  }, strict)),
  workers: Type.Optional(Type.Object({
    threads: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: 'Worker threads that scan large requests off the event loop (default: cores - 1, at least 1, at most 2); 0: every scan runs on the event loop' })),
    offloadAbove: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'When the texts of a request that its API key did not send before hold more characters than this, they are scanned (and their tokens counted) in a worker thread (default 4096)' })),
    offloadJsonAbove: Type.Optional(Size),
    offloadTensorAbove: Type.Optional(Size),
    queue: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'Scans that may wait for a free worker thread; beyond it 503 MG_GATEWAY_BUSY (default 64)' })),
    loopSlice: Type.Optional(Type.Union([
      Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]+)?ms$' }),
      Type.Number({ minimum: 0, exclusiveMaximum: 1000 }),
    ], { description: 'Wall time of the slice of one turn of the event loop in which requests whose bodies have arrived are parsed, validated, counted, scanned and forwarded; the rest wait, in arrival order, for the next turn: 2ms, 0.5ms, or milliseconds as a number (default 2ms, below 1000 ms); 0: no slicing' })),
  }, strict)),
  logging: Type.Optional(Type.Object({
    level: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  }, strict)),
}, { ...strict, $id: 'https://modelgate.dev/schema/modelgate.schema.json', title: 'modelgate configuration' });

export type RawConfig = Static<typeof ConfigSchema>;
export type RawRoute = Static<typeof Route>;
export type RawLimits = Static<typeof Limits>;
export type RawUpstream = Static<typeof Upstream>;
export type RawRate = Static<typeof Rate>;
export type RawTier = Static<typeof Tier>;

/** The schema as emitted to schema/modelgate.schema.json. */
export function jsonSchema(): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown> };
}
