/**
 * `Expect: 100-continue` on demand. Node would answer `100 Continue` as soon as the headers are
 * parsed, inviting the client to send a body that the gateway may refuse unread a moment later
 * (auth, route, declared size). The public server (wire.ts) takes over Node's 'checkContinue'
 * and records the request here; the body phase calls `bodyWanted` when it starts reading.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

/** The client sent `Expect: 100-continue` and waits (or not) for our go-ahead. */
export function expectsContinue(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.set(req, res);
}

/** The request will not be read (dropped or refused): nothing is ever to be sent. */
export function forgetContinue(req: IncomingMessage): void {
  awaitingContinue.delete(req);
}

/**
 * The body phase is about to read the body: send `100 Continue` now if the client waits for it.
 * Called by every body reader (src/policies/body-read.ts, the multipart image reader).
 */
export function bodyWanted(req: IncomingMessage): void {
  const res = awaitingContinue.get(req);
  if (res === undefined) return;
  awaitingContinue.delete(req);
  if (!res.headersSent && !res.writableEnded) res.writeContinue();
}
