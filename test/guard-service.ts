/**
 * A real local prompt-injection detection service (Lakera-Guard-like, or generic), on a free
 * port, whose answer the test scripts per request:
 *   flagged  → 200 {"flagged": true,  "score": flaggedScore}
 *   clean    → 200 {"flagged": false, "score": cleanScore}
 *   slow     → no answer until the test calls release() (then clean) — the caller's timeout fires first
 *   500      → 500 with a JSON error body
 *   bad-json → 200 with a body that is not JSON
 * The mode of a call is `decide(messages)` when set, else the next of `queue`, else `mode`.
 * Every call is recorded (headers and parsed body) before it is answered.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type GuardMode = 'flagged' | 'clean' | 'slow' | '500' | 'bad-json';

export interface GuardCall { headers: IncomingHttpHeaders; path: string; body: { messages: Array<{ role: string; content: string }> } }

export interface GuardService {
  url: string;
  calls: GuardCall[];
  mode: GuardMode;
  queue: GuardMode[];
  decide: ((messages: GuardCall['body']['messages']) => GuardMode) | null;
  flaggedScore: number;
  cleanScore: number;
  /** Calls held in `slow` mode, not yet released. */
  readonly hanging: number;
  /** Answers every held call (clean), if its caller is still there. */
  release(): void;
  close(): Promise<void>;
}

export async function startGuardService(): Promise<GuardService> {
  const held: ServerResponse[] = [];
  const answer = (res: ServerResponse, flagged: boolean, score: number): void => {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ flagged, score, metadata: { request_uuid: 'test' } }));
  };
  const g: GuardService = {
    url: '', calls: [], mode: 'clean', queue: [], decide: null, flaggedScore: 0.9, cleanScore: 0.25,
    get hanging() { return held.filter((r) => !r.destroyed).length; },
    release() {
      for (const res of held.splice(0)) answer(res, false, g.cleanScore);
    },
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as GuardCall['body'];
      g.calls.push({ headers: req.headers, path: req.url ?? '', body });
      const mode = g.decide?.(body.messages) ?? g.queue.shift() ?? g.mode;
      switch (mode) {
        case 'flagged': return answer(res, true, g.flaggedScore);
        case 'clean': return answer(res, false, g.cleanScore);
        case 'slow': held.push(res); return undefined;
        case '500': res.writeHead(500, { 'content-type': 'application/json' }); return void res.end('{"error":"internal"}');
        case 'bad-json': res.writeHead(200, { 'content-type': 'application/json' }); return void res.end('<html>not json</html>');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  g.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  g.close = () => new Promise<void>((r) => { held.splice(0); server.closeAllConnections(); server.close(() => r()); });
  return g;
}
