/**
 * Requests from a chosen loopback address (127.0.0.0/8 is all local on Linux), so that tests see
 * distinct client IPs over real sockets without trusting any header.
 */
import { request } from 'node:http';
import type { Abuse } from '../../src/abuse/abuse.js';
import type { Ban } from '../../src/abuse/bans.js';
import { WAIT_CAP_MS } from '../wait.js';

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; code: string | undefined }

export function from(localAddress: string, url: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: u.hostname, port: u.port, path, localAddress, agent: false,
      method: text === undefined ? 'GET' : 'POST',
      headers: { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: string | undefined;
        try { code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } }).error?.code; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, code });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/**
 * Waits for an event of `abuse` matching `pred`. The cap (test/wait.ts) only turns a hang into a
 * clear failure: a replica that never applies the change fails the test instead of stalling it.
 */
function nextEvent<E extends 'applied' | 'lifted'>(abuse: Abuse, event: E, pred: (v: E extends 'applied' ? Ban : string) => boolean, what: string): Promise<E extends 'applied' ? Ban : string> {
  type V = E extends 'applied' ? Ban : string;
  return new Promise((resolve, reject) => {
    const on = (v: V): void => { if (pred(v)) { stop(); resolve(v); } };
    const timer = setTimeout(() => { stop(); reject(new Error(`${what}: not seen within ${WAIT_CAP_MS} ms`)); }, WAIT_CAP_MS);
    const stop = (): void => { clearTimeout(timer); abuse.off(event, on as never); };
    abuse.on(event, on as never);
  });
}

/** Resolves with the next ban this replica puts in force matching `pred` (an event, not a sleep). */
export function nextBan(abuse: Abuse, pred: (b: Ban) => boolean = () => true, what = 'a ban applied on this replica'): Promise<Ban> {
  return nextEvent(abuse, 'applied', pred, what);
}

export async function nextLift(abuse: Abuse, id: string, what = `ban ${id} lifted on this replica`): Promise<void> {
  await nextEvent(abuse, 'lifted', (lifted) => lifted === id, what);
}

export const WRONG = { authorization: 'Bearer mg_wrong_key_wrong_key_wrong_key_0000' };
