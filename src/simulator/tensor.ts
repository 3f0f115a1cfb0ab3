/**
 * Non-LLM wire formats for the simulator: KServe v2 / Triton inference (JSON bodies and the
 * binary tensor data extension) and its admin answers, TorchServe predictions and management
 * answers, and the image endpoint. No I/O and no timing here; `server.ts` owns sockets, slots
 * and latency. Everything is deterministic.
 *
 * The admin answers (model config, statistics, TorchServe worker details) deliberately carry
 * internal details (paths, hosts, GPUs, pids) that a gateway must never expose.
 */

/** Width of the simulated classifier's output: `output0` has shape [batch, V2_OUTPUT_WIDTH]. */
export const V2_OUTPUT_WIDTH = 10;
/** Largest batch (first dim of the first input) a v2 inference request may carry. */
export const V2_MAX_BATCH = 4096;
/** The model TorchServe's management API lists (any name is accepted for predictions). */
export const SIM_TORCHSERVE_MODEL = 'sim-resnet';

const DIGITS = /^\d{1,15}$/;
const MAR_SUFFIX = /\.mar$/;

/** A v2 request the simulator refuses; rendered as Triton's `{ "error": "..." }`. */
export class TensorRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Triton / KServe v2 error shape: `{ "error": "..." }`. */
export function tritonError(message: string): string {
  return JSON.stringify({ error: message });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDim(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** FNV-1a over a short string: the seed of a model's outputs. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// KServe v2 / Triton

export interface V2InferInput {
  /** The inference header's value (`inference-header-content-length`), if any. */
  headerLength: string | string[] | undefined;
  model: string;
  /** From `/versions/{version}/`; undefined = the default version ("1"). */
  version: string | undefined;
}

/**
 * Renders the answer to `POST /v2/models/{model}[/versions/{version}]/infer`: one FP32 output
 * `output0` of shape [batch, 10], batch being the first dim of the first input (1 if none).
 * With the binary extension, the first `headerLength` bytes are the JSON header and the
 * declared `binary_data_size`s must add up to exactly the bytes that follow.
 * Throws TensorRequestError (400) for a request Triton would refuse.
 */
export function renderV2Infer(bytes: Buffer, req: V2InferInput): string {
  let jsonText: string;
  let binaryBytes = 0;
  const h = Array.isArray(req.headerLength) ? req.headerLength[0] : req.headerLength;
  if (h !== undefined) {
    const s = h.trim();
    if (!DIGITS.test(s)) throw new TensorRequestError(400, `invalid Inference-Header-Content-Length: ${JSON.stringify(h)}`);
    const n = Number(s);
    if (n > bytes.length) {
      throw new TensorRequestError(400, `Inference-Header-Content-Length ${n} exceeds the request body (${bytes.length} bytes)`);
    }
    jsonText = bytes.subarray(0, n).toString('utf8');
    binaryBytes = bytes.length - n;
  } else {
    jsonText = bytes.toString('utf8');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch (err) {
    throw new TensorRequestError(400, `failed to parse the request JSON buffer: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new TensorRequestError(400, 'failed to parse the request JSON buffer: expected a JSON object');

  const inputs = parsed.inputs;
  if (inputs !== undefined && !Array.isArray(inputs)) throw new TensorRequestError(400, "unable to parse 'inputs': expected an array");
  let declared = 0;
  let batch = 1;
  for (const [i, input] of (inputs ?? []).entries()) {
    if (!isObject(input)) throw new TensorRequestError(400, `unable to parse 'inputs' element ${i}: expected an object`);
    const name = typeof input.name === 'string' ? input.name : `#${i}`;
    const shape = input.shape;
    if (shape !== undefined && !(Array.isArray(shape) && shape.every(isDim))) {
      throw new TensorRequestError(400, `unable to parse 'shape' of input '${name}'`);
    }
    if (i === 0 && Array.isArray(shape) && shape.length > 0) batch = shape[0] as number;
    const params = input.parameters;
    if (isObject(params) && params.binary_data_size !== undefined) {
      if (!isDim(params.binary_data_size)) throw new TensorRequestError(400, `unable to parse 'binary_data_size' of input '${name}'`);
      declared += params.binary_data_size;
    }
  }
  if (declared !== binaryBytes) {
    throw new TensorRequestError(
      400,
      `unexpected binary tensor data for model '${req.model}': inputs declare ${declared} bytes, the request carries ${binaryBytes}`,
    );
  }
  if (batch > V2_MAX_BATCH) {
    throw new TensorRequestError(400, `inference request batch-size must be <= ${V2_MAX_BATCH} for '${req.model}'`);
  }

  const out: Record<string, unknown> = { model_name: req.model, model_version: req.version ?? '1' };
  if (typeof parsed.id === 'string') out.id = parsed.id;
  out.outputs = [{ name: 'output0', datatype: 'FP32', shape: [batch, V2_OUTPUT_WIDTH], data: scores(req.model, batch) }];
  return JSON.stringify(out);
}

/** batch × V2_OUTPUT_WIDTH deterministic scores in [0, 1), four decimals. */
function scores(model: string, batch: number): number[] {
  const data = new Array<number>(batch * V2_OUTPUT_WIDTH);
  let x = hash(model) || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = Math.round(((x >>> 0) / 0x1_0000_0000) * 1e4) / 1e4;
  }
  return data;
}

/** `GET /v2`: server metadata. */
export const V2_SERVER_JSON = JSON.stringify({
  name: 'triton',
  version: '2.45.0',
  extensions: [
    'classification', 'sequence', 'model_repository', 'model_repository(unload_dependents)', 'schedule_policy',
    'model_configuration', 'system_shared_memory', 'cuda_shared_memory', 'binary_tensor_data', 'parameters',
    'statistics', 'trace', 'logging',
  ],
});

/** `GET /v2/models/{model}[/versions/{version}]`: model metadata. */
export function v2ModelMetadata(model: string, version: string | undefined): string {
  return JSON.stringify({
    name: model,
    versions: [version ?? '1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'input0', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
    outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, V2_OUTPUT_WIDTH] }],
  });
}

/** `GET /v2/models/{model}/config`: Triton's model configuration (internal paths, GPUs). */
export function v2ModelConfig(model: string): string {
  return JSON.stringify({
    name: model,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: V2_MAX_BATCH,
    input: [{ name: 'input0', data_type: 'TYPE_FP32', dims: [3, 224, 224] }],
    output: [{ name: 'output0', data_type: 'TYPE_FP32', dims: [V2_OUTPUT_WIDTH] }],
    instance_group: [{ name: `${model}_0`, kind: 'KIND_GPU', count: 1, gpus: [0], host_policy: 'gpu-node-7.internal' }],
    default_model_filename: 'model.onnx',
    model_repository_path: `/models/${model}`,
  });
}

/** `GET /v2/models/stats`, `/v2/models/{model}[/versions/{version}]/stats`: statistics. */
export function v2ModelStats(model: string | undefined, version: string | undefined, inferCount: number): string {
  return JSON.stringify({
    model_stats: [
      {
        name: model ?? 'sim-resnet',
        version: version ?? '1',
        last_inference: 0,
        inference_count: inferCount,
        execution_count: inferCount,
        inference_stats: { success: { count: inferCount, ns: 0 }, fail: { count: 0, ns: 0 } },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// TorchServe

/** Whether a body is an image: an image/* or multipart content type, or image magic bytes. */
export function looksLikeImage(bytes: Buffer, contentType: string | undefined): boolean {
  const ct = (contentType ?? '').trimStart().toLowerCase();
  if (ct.startsWith('image/') || ct.startsWith('multipart/form-data')) return true;
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return true; // JPEG
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return true; // PNG
  if (b.length >= 6 && b.toString('latin1', 0, 4) === 'GIF8') return true;
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return true;
  if (b.length >= 4 && (b.readUInt32BE(0) === 0x49492a00 || b.readUInt32BE(0) === 0x4d4d002a)) return true; // TIFF
  return false;
}

/**
 * `POST /predictions/{model}[/{version}]`: an image is classified (a tabby, always); JSON is
 * echoed parsed, anything else as text. `bytes` is the body's length.
 */
export function renderPrediction(bytes: Buffer, contentType: string | undefined): string {
  if (looksLikeImage(bytes, contentType)) {
    return JSON.stringify({ predictions: [{ label: 'tabby', score: 0.87 }], bytes: bytes.length });
  }
  const text = bytes.toString('utf8');
  let echoed: unknown = text;
  try {
    echoed = JSON.parse(text);
  } catch {
    // not JSON: echoed as text
  }
  return JSON.stringify({ predictions: [echoed], bytes: bytes.length });
}

export const TS_PING_JSON = JSON.stringify({ status: 'Healthy' });
export const TS_LIST_JSON = JSON.stringify({ models: [{ modelName: SIM_TORCHSERVE_MODEL, modelUrl: `${SIM_TORCHSERVE_MODEL}.mar` }] });

/** `POST /models?url=...&model_name=...&initial_workers=...`: register a model archive. */
export function tsRegister(query: URLSearchParams): string {
  const url = query.get('url') ?? '';
  const base = url.slice(url.lastIndexOf('/') + 1).replace(MAR_SUFFIX, '');
  const name = query.get('model_name') ?? (base || 'model');
  const workers = query.get('initial_workers') ?? '1';
  return JSON.stringify({ status: `Model "${name}" Version: 1.0 registered with ${workers} initial workers` });
}

/** `GET /models/{model}[/{version}]`: describe, with worker internals (pid, GPU, memory). */
export function tsDescribe(model: string, version: string | undefined): string {
  return JSON.stringify([
    {
      modelName: model,
      modelVersion: version ?? '1.0',
      modelUrl: `${model}.mar`,
      runtime: 'python',
      minWorkers: 1,
      maxWorkers: 1,
      batchSize: 1,
      maxBatchDelay: 100,
      loadedAtStartup: true,
      workers: [
        {
          id: '9000',
          startTime: '2024-01-01T00:00:00.000Z',
          status: 'READY',
          memoryUsage: 1_503_238_553,
          pid: 4242,
          gpu: true,
          gpuUsage: 'gpuId::0 utilization.gpu [%]::37 % utilization.memory [%]::12 % memory.used [MiB]::9842 MiB',
        },
      ],
      jobQueueStatus: { remainingCapacity: 1000, pendingRequests: 0 },
    },
  ]);
}

/** `PUT /models/{model}[/{version}]?min_worker=N`: scale workers (synchronous answer). */
export function tsScale(model: string, query: URLSearchParams): string {
  return JSON.stringify({ status: `Workers scaled to ${query.get('min_worker') ?? '1'} for model: ${model}` });
}

/** `DELETE /models/{model}[/{version}]`. */
export function tsUnregister(model: string, version: string | undefined): string {
  return JSON.stringify({ status: `Model "${model}"${version === undefined ? '' : ` version: ${version}`} unregistered` });
}

/** `PUT /models/{model}/{version}/set-default`. */
export function tsSetDefault(model: string, version: string): string {
  return JSON.stringify({ status: `Default version successfully updated for model "${model}" to "${version}"` });
}

// ---------------------------------------------------------------------------------------------
// Image endpoint

/** `POST /analyze` (or any `imagePaths` entry): counts the body, echoes its content type. */
export function renderAnalyze(bytes: number, contentType: string | undefined): string {
  return JSON.stringify({ ok: true, bytes, contentType: contentType ?? null });
}
