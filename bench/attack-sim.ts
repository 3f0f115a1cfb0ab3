/**
 * The simulator set up as a GPU server for the attack benchmark (bench/attack.ts), in its own
 * process, with its own accounting of who used the GPU:
 *
 *   node dist/bench/attack-sim.js '{"slots":8,"msPerToken":5,"msPerPromptToken":0.05,"responseText":"..."}'
 *
 * Prints {"url","port","control"} as one JSON line once listening. The control listener (another
 * port) answers GET /stats with every chat request answered or abandoned since the last
 * POST /reset: the client (the `x-bench-client` header, which passes through nginx and
 * modelgate), when it arrived and ended, its status, and its prompt and completion tokens as the
 * simulator counts them (prompt: ceil(characters / 4); completion: max_tokens, or the words of
 * responseText when fewer). GPU time of a request = prompt × msPerPromptToken + completion ×
 * msPerToken, ending when the (non-streamed) response is sent. SIGTERM/SIGINT close it.
 */
import { subscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startSimulator, MAX_GENERATED_TOKENS } from '../src/simulator/index.js';

export interface SimSettings {
  slots: number;
  msPerToken: number;
  msPerPromptToken: number;
  responseText: string;
}

export interface GpuRecord {
  client: string;
  /** The `x-bench-id` header (legit requests: their index in the schedule), or null. */
  id: number | null;
  /** The `x-request-id` header (modelgate's request id, to match its access log), or null. */
  reqId: string | null;
  /** Epoch ms: headers received; the response finished (or the client left). */
  start: number;
  end: number;
  status: number;
  /** Response fully sent (false: the client went away first; its GPU time is then unknown, counted 0). */
  finished: boolean;
  promptTokens: number;
  completionTokens: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as SimSettings;
const responseWords = (settings.responseText.match(/\S+/g) ?? []).length;

const sim = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  slots: settings.slots,
  msPerToken: settings.msPerToken,
  msPerPromptToken: settings.msPerPromptToken,
  responseText: settings.responseText,
});

let records: GpuRecord[] = [];

/** Prompt and completion tokens of a chat body, as the simulator plans them (n = 1). */
function tokensOf(body: string): { prompt: number; completion: number } {
  try {
    const b = JSON.parse(body) as { messages?: { content?: unknown }[]; max_tokens?: unknown };
    let chars = 0;
    for (const m of b.messages ?? []) if (typeof m.content === 'string') chars += m.content.length;
    const max = typeof b.max_tokens === 'number' ? Math.min(b.max_tokens, MAX_GENERATED_TOKENS) : 16;
    return { prompt: Math.ceil(chars / 4), completion: responseWords > 0 ? Math.min(max, responseWords) : max };
  } catch {
    return { prompt: 0, completion: 0 };
  }
}

// Built-in diagnostics channels of node:http: every request of the simulator's server, without
// touching its code. Subscribed before any request can arrive; the 'data' listener added here runs
// in the same tick as the simulator's own, so both see every chunk.
subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  if (request.method !== 'POST') return;
  const start = Date.now();
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  let body = '';
  request.on('end', () => {
    body = Buffer.concat(chunks).toString('utf8');
    chunks.length = 0;
  });
  const client = String(request.headers['x-bench-client'] ?? 'unknown');
  const idHeader = request.headers['x-bench-id'];
  const reqIdHeader = request.headers['x-request-id'];
  const reqId = typeof reqIdHeader === 'string' ? reqIdHeader : null;
  const id = typeof idHeader === 'string' && /^\d+$/.test(idHeader) ? Number(idHeader) : null;
  response.once('close', () => {
    const finished = response.writableFinished;
    const ok = finished && response.statusCode === 200;
    const t = ok ? tokensOf(body) : { prompt: 0, completion: 0 };
    records.push({ client, id, reqId, start, end: Date.now(), status: response.statusCode, finished, promptTokens: t.prompt, completionTokens: t.completion });
  });
});

const control = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/reset') {
    records = [];
    sim.reset();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    const body = JSON.stringify({ records, inFlight: sim.inFlight, maxInFlightSeen: sim.maxInFlightSeen });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const addr = control.address();
const controlPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
process.stdout.write(`${JSON.stringify({ url: sim.url, port: sim.port, control: `http://127.0.0.1:${controlPort}` })}\n`);

let closing = false;
const stop = (): void => {
  if (closing) process.exit(1);
  closing = true;
  control.close();
  sim.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
