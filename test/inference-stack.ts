/**
 * A gateway with tensor, TorchServe, image-upload and vision-chat routes in front of the
 * simulator, shared by the inference tests (test/e2e/inference.test.ts, test/hostile/tensors.test.ts,
 * test/hostile/images.test.ts).
 */
import { startStack, type Stack, type StackOptions } from './helpers.js';

const MODELS = `
      resnet50:
        inputs:
          - { name: input, datatype: FP32, shape: [-1, 3, 224, 224], range: [-100, 100] }
        maxBatch: 16
      tiny:
        inputs:
          - { name: x, datatype: INT8, shape: [-1, 4] }
        maxBatch: 4
      vec:
        inputs:
          - { name: v, datatype: FP32, shape: [-1] }`;

export const INFERENCE_ROUTES = `
  - path: /v2/models/{model}/infer
    protocol: kserve-v2
    upstream: llm
    limits: { maxTensorElements: 2500000 }
    models:${MODELS}
  - path: /v2/models/{model}/versions/{version}/infer
    protocol: kserve-v2
    upstream: llm
    limits: { maxTensorElements: 2500000 }
    models:${MODELS}
  - path: /v2/models/{model}
    protocol: kserve-v2
    upstream: llm
    methods: [GET]
    models:${MODELS}
  - path: /predictions/{model}
    protocol: torchserve
    upstream: llm
    limits: { maxBytes: 2mb, maxBodyBytes: 3mb }
    models: { resnet: {} }
  - path: /analyze
    protocol: image-upload
    upstream: llm
    limits: { maxBytes: 2mb, types: [image/jpeg, image/png, image/webp, image/gif], maxDimension: 4096, maxPixels: 16000000, maxFrames: 50 }
  - path: /v1/chat/completions
    protocol: openai-chat
    upstream: llm
    limits: { maxBodyBytes: 8mb, maxJsonStringChars: 8000000, maxMessageChars: 100000, maxImages: 2, maxBytes: 2mb, imageHosts: [images.example.com, unresolvable.invalid] }
`;

export function startInferenceStack(opts: Omit<StackOptions, 'routes'> = {}): Promise<Stack> {
  return startStack({ ...opts, routes: INFERENCE_ROUTES });
}

/** A flat tensor input of `n` values. */
export function tensor(name: string, datatype: string, shape: number[], data: unknown[]): Record<string, unknown> {
  return { inputs: [{ name, shape, datatype, data }] };
}

export function fill(n: number, v: (i: number) => number): number[] {
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = v(i);
  return out;
}

/** Samples this process's RSS every few ms from now on; growth() = peak − baseline, in MB. */
export function watchMemory(): { growth(): number; stop(): void } {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  return {
    growth: () => (Math.max(peak, process.memoryUsage().rss) - baseline) / 1024 / 1024,
    stop: () => clearInterval(timer),
  };
}
