/**
 * Waiting on events instead of time. `waitFor` polls a condition the test can observe (a gauge,
 * a recorded request, a log line) until it holds; the cap only turns a hang into a clear failure
 * and is far above any normal wait, so a busy machine makes the test slower, never red.
 */
import { post, type RawResponse, type Stack } from './helpers.js';

export const WAIT_CAP_MS = 30_000;

/** Resolves once `cond()` is true (checked every few ms); rejects after `capMs` naming `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, capMs = WAIT_CAP_MS): Promise<void> {
  const until = Date.now() + capMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`waitFor: ${what}: not reached within ${capMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The access-log lines ("msg":"request") written so far. */
export function accessLines(s: Pick<Stack, 'logs'>): string[] {
  return s.logs.filter((l) => l.includes('"msg":"request"'));
}

/**
 * Waits until the request `reqId` (its x-request-id) has been settled: its access-log line is
 * written after the reservation is reconciled and the lease released. Returns the parsed line.
 */
export async function settled(s: Pick<Stack, 'logs'>, reqId: string): Promise<Record<string, unknown>> {
  let line: string | undefined;
  await waitFor(() => (line = accessLines(s).find((l) => l.includes(`"reqId":"${reqId}"`))) !== undefined, `access log of ${reqId}`);
  return JSON.parse(line as string) as Record<string, unknown>;
}

/** Waits until at least `n` requests have been settled (for requests whose id the client never saw). */
export async function settledCount(s: Pick<Stack, 'logs'>, n: number): Promise<void> {
  await waitFor(() => accessLines(s).length >= n, `${n} access-log lines`);
}

/** A JSON POST that returns only once the gateway has settled it (the next request sees its final charge and released lease). */
export async function postSettled(s: Pick<Stack, 'logs' | 'url'>, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const r = await post(s.url, path, body, headers);
  await settled(s, String(r.headers['x-request-id']));
  return r;
}
