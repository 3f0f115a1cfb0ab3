/**
 * `modelgate simulate`: the bundled model-server simulator on its own (an OpenAI-compatible LLM
 * server with GPU-like slots and latency, KServe v2 / Triton, TorchServe and an image endpoint),
 * for trying configurations and as a load-test target. It is not a gateway: nothing is checked.
 */
// The simulator's modules are imported when the command runs (see start.ts).
import type { SimulatorMode } from '../simulator/index.js';
import type { Command } from './main.js';

const MODES: readonly SimulatorMode[] = ['normal', 'error-400', 'error-500', 'error-503', 'hang', 'reset', 'stream-cut', 'garbage'];

function count(v: string | boolean | undefined, def: number, min: number): number | null {
  if (v === undefined) return def;
  const n = Number(v);
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(n) && n >= min ? n : null;
}

export const simulateCommand: Command = {
  summary: 'run the bundled model-server simulator alone (a target for configs and load tests)',
  usage: 'modelgate simulate [--host 127.0.0.1] [--port 8000] [--slots 8] [--ms-per-token 20] [--ms-per-prompt-token 0.2] [--mode normal]',
  options: {
    host: { type: 'string', description: 'address to bind (default 127.0.0.1)' },
    port: { type: 'string', description: 'port (default 8000, like vLLM; 0 = a free port)' },
    slots: { type: 'string', description: 'requests generating at once, like GPU batch slots (default 8)' },
    'ms-per-token': { type: 'string', description: 'decode latency per completion token (default 20)' },
    'ms-per-prompt-token': { type: 'string', description: 'prefill latency per prompt token (default 0.2)' },
    mode: { type: 'string', description: `failure mode: ${MODES.join(', ')} (default normal)` },
  },
  async run(values) {
    const port = count(values.port, 8000, 0);
    const slots = count(values.slots, 8, 1);
    const msPerToken = count(values['ms-per-token'], 20, 0);
    const msPerPromptToken = count(values['ms-per-prompt-token'], 0.2, 0);
    const mode = (values.mode ?? 'normal') as SimulatorMode;
    if (port === null || !Number.isInteger(port) || port > 65535 || slots === null || !Number.isInteger(slots) || msPerToken === null || msPerPromptToken === null || !MODES.includes(mode)) {
      process.stderr.write(`modelgate simulate: invalid option value\nusage: ${this.usage}\n`);
      return 2;
    }
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const [{ startSimulator }, { stopOnSignals }, { createLogger }] = await Promise.all([
      import('../simulator/index.js'), import('./process.js'), import('../observability/logger.js'),
    ]);
    let sim;
    try {
      sim = await startSimulator({ host, port, slots, msPerToken, msPerPromptToken, mode });
    } catch (err) {
      process.stderr.write(`modelgate simulate: cannot listen: ${(err as Error).message} (try --port)\n`);
      return 1;
    }
    process.stdout.write(`modelgate simulator listening at ${sim.url} (slots ${slots}, ${msPerToken} ms/token, mode ${mode})
  OpenAI:      POST ${sim.url}/v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models
  KServe v2:   POST ${sim.url}/v2/models/{model}/infer
  TorchServe:  POST ${sim.url}/predictions/{model}
  images:      POST ${sim.url}/analyze
  health:      GET  ${sim.url}/health
Point an upstream at it: upstreams: { llm: { targets: ["${sim.url}"] } }. Ctrl-C to stop.
`);
    stopOnSignals({ close: () => sim.close() }, createLogger('warn'));
    return 0;
  },
};
