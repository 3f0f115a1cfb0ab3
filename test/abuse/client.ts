/**
 * Requests from a chosen loopback address (127.0.0.0/8 is all local on Linux), so that tests see
 * distinct client IPs over real sockets without trusting any header.
 */
import { request } from 'node:http';
import type { Abuse } from '../../src/abuse/abuse.js';
import type { Ban } from '../../src/abuse/bans.js';

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

/** Resolves with the next ban this replica puts in force matching `pred` (an event, not a sleep). */
export function nextBan(abuse: Abuse, pred: (b: Ban) => boolean = () => true): Promise<Ban> {
  return new Promise((resolve) => {
    const on = (b: Ban): void => { if (pred(b)) { abuse.off('applied', on); resolve(b); } };
    abuse.on('applied', on);
  });
}

export function nextLift(abuse: Abuse, id: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (lifted: string): void => { if (lifted === id) { abuse.off('lifted', on); resolve(); } };
    abuse.on('lifted', on);
  });
}

export const WRONG = { authorization: 'Bearer mg_wrong_key_wrong_key_wrong_key_0000' };
