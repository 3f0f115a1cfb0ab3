/**
 * Lingering close (accept phase). When the gateway refuses a request whose body it has not read
 * (401, 413, 415, 404 … before the body phase), closing the socket at once makes the kernel answer
 * the unread bytes with a TCP reset, and most clients (fetch, the OpenAI SDK, curl, requests) then
 * report "connection reset" / EPIPE instead of the 413 they were sent. Node does exactly that:
 * `resOnFinish` → `socket.destroySoon()` → `destroy()` with bytes still unread.
 *
 * Like nginx's `lingering_close`, the gateway instead sends the response, half-closes (FIN on its
 * write side) and keeps reading and discarding what the client still sends, for a bounded time and
 * number of bytes, then closes. The HTTP parser is detached first, so nothing read here is ever
 * parsed as a further request. Hand-written: Node has no option for it and no library does it for
 * a Node http.Server (it needs Node's parser detached, as Node itself does for upgrades).
 */
import type { Socket } from 'node:net';

export interface LingerBounds {
  /** Longest the gateway keeps reading after its response (nginx `lingering_time`, 30 s). */
  timeMs: number;
  /** Longest wait for the next bytes (nginx `lingering_timeout`, 5 s). */
  idleMs: number;
  /** Most bytes discarded; more and the socket is closed (a reset is then the client's problem). */
  maxBytes: number;
}

/**
 * 30 s / 5 s are nginx's defaults. 64 MB lets a client finish a 20 MB upload (and any body the
 * largest usual route cap allows) over a slow link; discarding costs bandwidth, not memory, and a
 * client can hold a connection as long with a slow body anyway (server.timeouts.body).
 */
export const LINGER_DEFAULTS: LingerBounds = { timeMs: 30_000, idleMs: 5_000, maxBytes: 64 * 1024 * 1024 };

interface HttpParser { incoming: { complete: boolean } | null }
type ParsedSocket = Socket & { parser?: HttpParser | null; _handle?: { reading: boolean; readStart(): number } | null };

const discarding = new WeakSet<Socket>();
const lingering = new WeakSet<Socket>();

/** Whether the socket's bytes no longer reach the HTTP parser. */
export function isDiscarding(socket: Socket): boolean {
  return discarding.has(socket);
}

/**
 * Detach Node's HTTP parser from the socket and discard (count) every further byte. Adding a
 * 'data' listener makes Node's socket wrapper unconsume the parser from the handle (see Node's
 * `generateSocketListenerWrapper`); removing Node's own 'data'/'end' listeners then leaves the
 * parser without input, as Node's upgrade path does. Idempotent.
 */
export function stopParsing(socket: Socket, bounds: LingerBounds): void {
  if (discarding.has(socket) || socket.destroyed) return;
  discarding.add(socket);
  const nodeData = socket.listeners('data') as ((chunk: Buffer) => void)[];
  const nodeEnd = socket.listeners('end') as (() => void)[];
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > bounds.maxBytes) socket.destroy();
  });
  for (const l of nodeData) socket.removeListener('data', l);
  for (const l of nodeEnd) socket.removeListener('end', l);
  // The client has sent everything: once our own bytes are out, close (no unread data: no reset).
  socket.on('end', () => closeWhenFlushed(socket));
  // The parser read the handle itself and may have stopped it (back-pressure from an unread
  // request) while the stream still counts as flowing: restart the handle's reads the way Node's
  // own `onSocketResume` does.
  socket.resume();
  const handle = (socket as ParsedSocket)._handle;
  if (handle !== undefined && handle !== null && !handle.reading) {
    handle.reading = true;
    handle.readStart();
  }
}

function closeWhenFlushed(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) socket.destroy();
  else {
    socket.end();
    socket.once('finish', () => socket.destroy());
  }
}

/** Half-close now (after what is queued), discard what still arrives within the bounds, then close. */
export function lingerClose(socket: Socket, bounds: LingerBounds): void {
  if (lingering.has(socket) || socket.destroyed) return;
  lingering.add(socket);
  stopParsing(socket, bounds);
  if (socket.readableEnded) return closeWhenFlushed(socket);
  for (const l of socket.listeners('timeout') as (() => void)[]) socket.removeListener('timeout', l);
  const timer = setTimeout(() => socket.destroy(), bounds.timeMs);
  socket.once('close', () => clearTimeout(timer));
  socket.setTimeout(bounds.idleMs, () => socket.destroy());
  socket.end();
}

/**
 * Replace `socket.destroySoon` (what Node calls after a `Connection: close` response) for this
 * socket: when request bytes may still be unread (the parser holds a request that has not been
 * read to its end, or a pipelined one), linger; otherwise Node's own behaviour.
 */
export function lingerOnClose(socket: Socket, bounds: LingerBounds): void {
  const s = socket as ParsedSocket;
  const nodeDestroySoon = s.destroySoon.bind(s);
  s.destroySoon = function destroySoon(): void {
    if (discarding.has(s) || (s.parser?.incoming ?? null) !== null) lingerClose(s, bounds);
    else nodeDestroySoon();
  };
}
