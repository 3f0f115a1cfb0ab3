/**
 * Respond phase — non-streamed bodies, two ways:
 *
 * - buffered (bounded): a JSON answer of an OpenAI route, or any answer on a route with output
 *   protection, is read whole — the output filter and usage accounting need all of it — up to
 *   `upstreams.*.maxResponseBytes`. A larger answer (declared by Content-Length, or counted as it
 *   arrives) is refused with 502 MG_UPSTREAM_TOO_LARGE and its upstream body destroyed at once,
 *   never read to the end. The client gets a recomputed Content-Length, and a failure while
 *   reading is still a clean error response.
 * - piped: every other answer (KServe, TorchServe, images, non-JSON) goes to the client as it
 *   arrives, with back-pressure (ClientSink) and no whole-body buffer; the upstream's
 *   Content-Length is kept when it gave one. The status line is then already sent, so a failure
 *   mid-body can only destroy the client connection: the client sees a truncated body (a
 *   Content-Length it does not reach, or a chunked body without its last chunk), never a
 *   complete-looking one.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { deny } from '../errors.js';
import { releaseGpu, type RequestContext } from '../pipeline/context.js';
import type { OutputFilter } from '../protocols/openai/output.js';
import { clientHeaders } from './headers.js';
import { denialFor, errCode, TooLargeError } from './failure.js';
import { clientCut, outputFailed, upstreamFailed, type ForwardHooks } from './forward-hooks.js';
import { ClientSink } from './send-timeout.js';
import { observeJson } from './usage.js';

/** The declared Content-Length, or null. */
export function declaredLength(headers: Dispatcher.ResponseData['headers']): number | null {
  const v = headers['content-length'];
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

/**
 * The whole body, at most `max` bytes: rejects with TooLargeError (and destroys the body, so the
 * rest is never read) as soon as it is known to be larger. Events rather than an async iterator,
 * which cost more per chunk.
 */
export function readBounded(body: Readable, max: number, declared: number | null = null): Promise<Buffer> {
  if (declared !== null && declared > max) {
    body.destroy();
    return Promise.reject(new TooLargeError());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        body.destroy();
        reject(new TooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    body.on('end', () => resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)));
    body.on('error', reject);
  });
}

/** Filter a whole response body (routes with output protection). Returns what to send, or null when answered already. */
function filterBody(ctx: RequestContext, res: ServerResponse, filter: OutputFilter, body: Buffer, json: boolean, hooks: ForwardHooks, parsed: unknown): Buffer | null {
  let out: Buffer | null;
  try {
    if (!json) throw new Error('response is not JSON');
    out = filter.json(body, json, parsed);
  } catch (err) {
    const open = ctx.route.output?.onError === 'fail-open';
    outputFailed(hooks, ctx, err, open);
    if (open) return body;
    hooks.sendDenial(ctx, res, deny('MG_OUTPUT_CHECK_FAILED', (err as Error)?.message));
    return null;
  }
  if (out === null) hooks.sendDenial(ctx, res, deny('MG_OUTPUT_BLOCKED', filter.leak ?? 'output match'));
  return out;
}

/** A 2xx non-streamed answer held whole (bounded), filtered, and sent with its own Content-Length. */
export async function relayBuffered(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks, maxBytes: number, sendTimeoutMs: number): Promise<void> {
  let body: Buffer;
  try {
    body = await readBounded(data.body, maxBytes, declaredLength(data.headers));
  } catch (err) {
    releaseGpu(ctx);
    if (ctx.clientGone.aborted) return;
    if (ctx.stop.aborted) return hooks.sendDenial(ctx, res, deny('MG_SHUTTING_DOWN', 'shutdown deadline'));
    const code = errCode(err);
    upstreamFailed(hooks, ctx, 'body', { code });
    return hooks.sendDenial(ctx, res, denialFor(code));
  }
  releaseGpu(ctx);
  const ct = data.headers['content-type'];
  const json = typeof ct === 'string' && ct.startsWith('application/json');
  const parsed = json ? observeJson(ctx, body) : undefined;
  if (ctx.output !== null) {
    const filtered = filterBody(ctx, res, ctx.output, body, json, hooks, parsed);
    if (filtered === null) return;
    body = filtered;
  }
  const headers = clientHeaders(data.headers, hooks.baseHeaders(ctx));
  headers['content-length'] = String(body.length);
  res.writeHead(data.statusCode, headers);
  const sink = new ClientSink(res, data.body, sendTimeoutMs, () => clientCut(hooks, ctx));
  sink.end(body);
}

/** Any other answer: streamed to the client with back-pressure, never held whole. */
export function relayPiped(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks, sendTimeoutMs: number): Promise<void> {
  const headers = clientHeaders(data.headers, hooks.baseHeaders(ctx));
  const length = declaredLength(data.headers);
  if (length !== null) headers['content-length'] = String(length);
  res.writeHead(data.statusCode, headers);
  const body = data.body;
  return new Promise<void>((resolve) => {
    let over = false;
    const finish = (): void => {
      releaseGpu(ctx);
      if (over) return;
      over = true;
      resolve();
    };
    const sink = new ClientSink(res, body, sendTimeoutMs, () => {
      clientCut(hooks, ctx);
      body.destroy();
      finish();
    });
    body.on('data', (chunk: Buffer) => sink.write(chunk));
    body.on('end', () => {
      sink.end();
      finish();
    });
    body.on('error', (err) => {
      // Mid-body: the status is sent, so the only honest signal left is a cut connection.
      if (!res.destroyed && !ctx.stop.aborted) upstreamFailed(hooks, ctx, 'body', { code: errCode(err) });
      res.destroy();
      finish();
    });
  });
}
