/**
 * A raw TCP client for wire-level tests (pipelining, framing, parser errors): writes exactly the
 * given bytes and collects everything the server sends until it closes the connection.
 */
import { connect, type Socket } from 'node:net';

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: { code?: string; type?: string; message?: string } } | undefined;
}

export interface Exchange {
  /** Everything received, as latin1 text. */
  text: string;
  /** The responses found in it, in order (bodies framed by content-length). */
  responses: ParsedResponse[];
  /** Whether the connection ended in an error (a reset) rather than a clean close. */
  error: string | null;
}

/** `allowHalfOpen`: keep our side open after the server's FIN (as a client still uploading does). */
export function openSocket(url: string, allowHalfOpen = false): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), allowHalfOpen }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Parses consecutive HTTP/1.1 responses (skipping interim 1xx ones into the list too). */
export function parseResponses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const lines = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const len = status >= 200 ? Number(headers['content-length'] ?? 0) : 0;
    const body = text.slice(end + 4, end + 4 + len);
    let json: ParsedResponse['json'];
    try { json = JSON.parse(body) as ParsedResponse['json']; } catch { json = undefined; }
    out.push({ status, headers, body, json });
    at = end + 4 + len;
  }
  return out;
}

/** Collects what the server sends on `socket` until it is closed. */
export function collect(socket: Socket): Promise<Exchange> {
  const chunks: Buffer[] = [];
  let error: string | null = null;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message; });
  return new Promise((resolve) => {
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, responses: parseResponses(text), error });
    });
  });
}

/** Connects, writes `data` (pieces in order), and returns what came back when the server closed. */
export async function exchange(url: string, data: string | Buffer | (string | Buffer)[]): Promise<Exchange> {
  const socket = await openSocket(url);
  const done = collect(socket);
  for (const piece of Array.isArray(data) ? data : [data]) socket.write(piece);
  return done;
}

/** Resolves with the received text once it contains `marker`. */
export function waitFor(socket: Socket, marker: string): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer): void => {
      text += c.toString('latin1');
      if (text.includes(marker)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before "${marker}"; got: ${text.slice(0, 200)}`)));
  });
}

/** A request head (HTTP/1.1, Host set) with the given extra header lines. */
export function head(method: string, path: string, headers: Record<string, string | number>): string {
  let h = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  return `${h}\r\n`;
}

/** A JSON POST with Content-Length, as raw bytes. */
export function jsonPost(path: string, body: string, headers: Record<string, string | number>): string {
  return head('POST', path, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }) + body;
}
