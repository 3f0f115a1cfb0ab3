/**
 * The floor of modelgate's stack, for the benchmark: the least a gateway built on Fastify 5 and
 * undici 7 (or on node:http and undici) does for one chat request, with no policy at all. It
 * checks the bearer key (a string compare, as nginx's map does), takes the body as bytes, sends
 * them to the simulator over an undici Pool, and relays status, content type and body (JSON or an
 * SSE stream) back as they come. No JSON parse, no log line, no metrics.
 *
 * It is not a product and guards nothing: it is the part of modelgate's CPU per request that no
 * change to modelgate's own code can remove, measured in the same run as modelgate, so that
 * modelgate's figure can be split into "the stack" and "what modelgate adds".
 *
 * Prints {"url":...,"port":...} as one JSON line on stdout once listening; SIGTERM/SIGINT close it.
 *
 *   node dist/bench/floor-proxy.js fastify|node <upstream origin> <api key>
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Pool } from 'undici';

const [kind, upstream, key] = process.argv.slice(2);
if ((kind !== 'fastify' && kind !== 'node') || upstream === undefined || key === undefined) {
  process.stderr.write('usage: floor-proxy.js fastify|node <upstream origin> <api key>\n');
  process.exit(2);
}
const expected = `Bearer ${key}`;
const pool = new Pool(upstream, { connections: 64, pipelining: 1 });

/** Forwards one request's bytes; the caller relays what comes back. */
function forward(path: string, body: Buffer) {
  return pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body });
}

let port: number;
let close: () => Promise<void>;
if (kind === 'fastify') {
  const app = Fastify({ logger: false, bodyLimit: 100 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/v1/chat/completions', async (req, reply) => {
    if (req.headers.authorization !== expected) return reply.code(401).send({ error: 'unauthorized' });
    const res = await forward(req.url, req.body as Buffer);
    reply.code(res.statusCode);
    const ct = res.headers['content-type'];
    if (typeof ct === 'string') reply.header('content-type', ct);
    return reply.send(res.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  close = () => app.close();
} else {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions' || req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      forward(req.url ?? '/', Buffer.concat(chunks)).then((up) => {
        const ct = up.headers['content-type'];
        res.writeHead(up.statusCode, typeof ct === 'string' ? { 'content-type': ct } : {});
        up.body.on('data', (c: Buffer) => res.write(c));
        up.body.on('end', () => res.end());
        up.body.on('error', () => res.destroy());
      }, () => {
        res.writeHead(502).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
}
const url = `http://127.0.0.1:${port}`;
process.stdout.write(`${JSON.stringify({ url, port })}\n`);

let closing = false;
const stop = (): void => {
  if (closing) process.exit(1);
  closing = true;
  Promise.all([close(), pool.close()]).then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
