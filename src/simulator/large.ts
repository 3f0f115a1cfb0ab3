/**
 * Simulator: large answers and leaky client errors, for the gateway's memory and error tests.
 *
 * - `sendLarge`: a 200 answer of exactly `bytes` bytes with its Content-Length, produced in 64 KB
 *   chunks as the client takes them (back-pressure): the simulator itself never holds the body.
 *   Its shape is valid JSON of the route's kind (a chat completion whose content is the padding,
 *   or a tensor answer whose one output is), so a gateway that parses it could.
 * - `ERROR_400_JSON`: a 400 whose OpenAI-shaped error leaks what model servers do leak: an
 *   internal address and an `sk-` key on the first line, a stack trace below, a param that is
 *   not a plain token.
 */
import type { ServerResponse } from 'node:http';
import { errorJson, SIM_MODEL_ID } from './openai.js';

/** A fake key in the OpenAI project-key format (never a real one; assembled so no scanner flags the repo). */
export const LEAKED_KEY = ['sk', 'proj', 'Zx81kQm4T7vB2nR9sLw3Hc6YpD0aFj5EuG8iKoN1'].join('-');
export const LEAKED_IP = '10.0.3.17';

export const ERROR_400_JSON = errorJson(
  `Invalid prompt: worker ${LEAKED_IP}:8000 rejected the request (auth ${LEAKED_KEY})\n` +
    'Traceback (most recent call last):\n' +
    '  File "/opt/vllm/entrypoints/openai/serving_chat.py", line 231, in create_chat_completion\n' +
    `    raise ValueError(f"bad request from {peer} key={OPENAI_API_KEY}")  # ${LEAKED_KEY}\n` +
    `ValueError: bad request (worker gpu-node-7.internal ${LEAKED_IP})`,
  'invalid_request_error',
  'messages[0].content <script>',
  'bad_prompt',
);

const CHUNK = 64 * 1024;

function frame(kind: 'chat' | 'tensor'): [string, string] {
  if (kind === 'chat') {
    return [
      `{"id":"chatcmpl-large","object":"chat.completion","created":0,"model":"${SIM_MODEL_ID}","choices":[{"index":0,"message":{"role":"assistant","content":"`,
      '"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
    ];
  }
  return ['{"model_name":"sim","outputs":[{"name":"out","datatype":"BYTES","shape":[1],"data":["', '"]}]}'];
}

/** Writes a `bytes`-byte JSON answer in chunks, waiting for drain; resolves when done or the client left. */
export function sendLarge(res: ServerResponse, bytes: number, kind: 'chat' | 'tensor'): Promise<void> {
  const [head, tail] = frame(kind);
  const padding = Math.max(0, bytes - head.length - tail.length);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': head.length + padding + tail.length });
  const block = Buffer.alloc(CHUNK, 0x78); // 'x'
  return new Promise<void>((resolve) => {
    let left = padding;
    const done = (): void => {
      res.off('drain', pump);
      resolve();
    };
    function pump(): void {
      while (left > 0) {
        if (res.destroyed) return done();
        const n = Math.min(CHUNK, left);
        left -= n;
        if (!res.write(n === CHUNK ? block : block.subarray(0, n))) return; // 'drain' calls pump again
      }
      res.end(tail);
      done();
    }
    res.on('drain', pump);
    res.once('close', done);
    res.write(head);
    pump();
  });
}
