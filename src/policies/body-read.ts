/**
 * Bounded body read (body phase). Counts the bytes that actually arrive — Content-Length is a
 * claim, chunked bodies have none — and stops at the route's cap. A compressed body is inflated
 * as a stream under the same cap on *decoded* bytes and a cap on the expansion ratio, so a
 * 20 KB gzip of 20 MB is stopped after at most `maxBodyBytes` of output, never inflated in full.
 * The whole body must arrive within `server.timeouts.body`.
 */
import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { deny, DenialError, type ErrorCode } from '../errors.js';
import type { Limits } from '../config/defaults.js';
import type { Policy } from '../pipeline/policy.js';
import { bodyWanted } from '../server/continue.js';

/** Below this many decoded bytes the ratio is not judged: tiny bodies compress extremely well. */
const RATIO_FLOOR_BYTES = 64 * 1024;

function decoderFor(encoding: string): Transform | null {
  switch (encoding) {
    case 'gzip': case 'x-gzip': return createGunzip();
    case 'deflate': return createInflate();
    case 'br': return createBrotliDecompress();
    default: return null;
  }
}

export function readBody(req: IncomingMessage, limits: Limits, timeoutMs: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = encoding === 'identity' ? null : decoderFor(encoding);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let decodedBytes = 0;
    let done = false;
    const finish = (err: DenialError | null, body?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.off('error', onWireError);
      req.off('aborted', onAborted);
      if (decoder !== null) decoder.destroy();
      if (err !== null) {
        // Stop reading; the response (with Connection: close) ends the exchange.
        req.pause();
        reject(err);
      } else resolve(body as Buffer);
    };
    const fail = (code: ErrorCode, detail: string): void => finish(new DenialError(deny(code, detail)));
    const timer = setTimeout(() => fail('MG_BODY_TIMEOUT', `body not complete after ${timeoutMs} ms`), timeoutMs);

    const onDecoded = (chunk: Buffer): void => {
      decodedBytes += chunk.length;
      if (decodedBytes > limits.maxBodyBytes) return fail('MG_BODY_TOO_LARGE', 'decoded body over the cap');
      if (decoder !== null && decodedBytes > RATIO_FLOOR_BYTES && decodedBytes / Math.max(wireBytes, 1) > limits.maxCompressionRatio) {
        return fail('MG_BODY_COMPRESSION_RATIO', `ratio over ${limits.maxCompressionRatio}`);
      }
      chunks.push(chunk);
    };
    const onWire = (chunk: Buffer): void => {
      wireBytes += chunk.length;
      if (wireBytes > limits.maxBodyBytes) return fail('MG_BODY_TOO_LARGE', 'wire body over the cap');
      if (decoder === null) onDecoded(chunk);
      else decoder.write(chunk);
    };
    const onWireEnd = (): void => {
      if (decoder === null) finish(null, Buffer.concat(chunks, decodedBytes));
      else decoder.end();
    };
    const onWireError = (): void => fail('MG_BODY_INCOMPLETE', 'client stream error');
    const onAborted = (): void => fail('MG_BODY_INCOMPLETE', 'client aborted');

    if (decoder !== null) {
      decoder.on('data', onDecoded);
      decoder.on('end', () => finish(null, Buffer.concat(chunks, decodedBytes)));
      decoder.on('error', () => fail('MG_BODY_CORRUPT', `bad ${encoding} stream`));
    } else if (encoding !== 'identity') {
      fail('MG_UNSUPPORTED_ENCODING', 'unknown encoding');
      return;
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    // The request passed every check that needs no body: a client waiting for 100 may send now.
    bodyWanted(req);
    req.on('error', onWireError);
    req.on('aborted', onAborted);
  });
}

/** The body-phase policy: reads `ctx`'s request stream into ctx.rawBody. */
export function bodyRead(limits: Limits, timeoutMs: number): Policy {
  return {
    name: 'body-read',
    phase: 'body',
    onError: 'fail-closed',
    run: async function bodyReadPolicy(ctx) {
      ctx.rawBody = await readBody(ctx.raw, limits, timeoutMs);
      return undefined;
    },
  };
}
