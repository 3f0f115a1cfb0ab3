/**
 * A small real OpenAI-compatible upstream whose behaviour is chosen per request by the last user
 * message ("mode:<name>"), so one server can answer each request of a concurrent batch
 * differently: json, stream, 500, reset (socket destroyed before any answer), cut (a stream
 * destroyed after a few events), slow (a stream paced by event-loop turns).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamMode = 'json' | 'stream' | '500' | 'reset' | 'cut' | 'slow';
export const UPSTREAM_MODES: readonly UpstreamMode[] = ['json', 'stream', '500', 'reset', 'cut', 'slow'];

export interface ScriptedUpstream { url: string; server: Server; received: number; close(): Promise<void>; }

function chunk(content: string): string {
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}

async function stream(res: ServerResponse, events: number, cutAfter: number | null, paced: boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < events; i++) {
    if (res.destroyed) return;
    if (cutAfter !== null && i === cutAfter) return void res.destroy();
    res.write(chunk(`tok${i} `));
    if (paced) await new Promise<void>((r) => setImmediate(r));
  }
  res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: events, total_tokens: 7 + events } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const up: ScriptedUpstream = { url: '', server: createServer(), received: 0, close: async () => undefined };
  up.server.on('request', (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      up.received++;
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages: { content: string }[] };
      const text = body.messages[body.messages.length - 1]?.content ?? '';
      const mode = (/mode:([a-z0-9]+)/.exec(text)?.[1] ?? 'json') as UpstreamMode;
      switch (mode) {
        case '500': res.writeHead(500, { 'content-type': 'application/json' }); return void res.end('{"error":{"message":"boom"}}');
        case 'reset': return void res.destroy();
        case 'stream': return void stream(res, 5, null, false);
        case 'cut': return void stream(res, 5, 2, false);
        case 'slow': return void stream(res, 20, null, true);
        default: {
          const out = JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' }], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
          res.end(out);
        }
      }
    });
  });
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(up.server.address() as AddressInfo).port}`;
  up.close = () => new Promise<void>((r) => { up.server.closeAllConnections(); up.server.close(() => r()); });
  return up;
}
