/**
 * Respond phase — SSE relay: a `text/event-stream` answer is relayed event by event as it
 * arrives, through usage accounting (usage.ts) and, on a route with output protection, the
 * output filter. What is held back is bounded: the splitter's one incomplete event and the
 * filter's hold-back; the client's side is a ClientSink (pause upstream when the client is
 * behind, cut it after the send timeout).
 *
 * Every end is a clean SSE end: the upstream's own end; a failure mid-stream (an OpenAI-shaped
 * MG_UPSTREAM_ERROR event); output withheld (MG_OUTPUT_BLOCKED / MG_OUTPUT_CHECK_FAILED event);
 * the shutdown deadline (MG_SHUTTING_DOWN event). The GPU slot is freed as soon as the upstream
 * is done, or the client is cut.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { deny } from '../errors.js';
import { releaseGpu, type RequestContext } from '../pipeline/context.js';
import { SseSplitter, type SseEvent } from '../protocols/sse.js';
import type { OutputFilter } from '../protocols/openai/output.js';
import { clientHeaders } from './headers.js';
import { errCode, sseError } from './failure.js';
import { ClientSink } from './send-timeout.js';
import { HIDDEN, NOT_JSON, observeEvent } from './usage.js';
import { clientCut, outputFailed, upstreamFailed, type ForwardHooks } from './forward-hooks.js';

/**
 * What the client sees of one event on a route with output protection: the event as it is, the
 * re-serialised filtered event, '' (nothing), or null when the response must be withheld.
 * `[DONE]` is preceded by whatever text the filters still hold. Throws on what it cannot filter.
 */
function filterEvent(filter: OutputFilter, ev: SseEvent, parsed: unknown): string | null {
  const data = ev.data;
  if (data === null) return ev.raw;
  if (data === '[DONE]') {
    const rest = filter.finish();
    if (rest === null) return null;
    return rest === '' ? ev.raw : `data: ${rest}\n\n${ev.raw}`;
  }
  const out = filter.event(data, parsed === NOT_JSON ? undefined : parsed);
  if (out === null) return null;
  return out === data ? ev.raw : `data: ${out}\n\n`;
}

export function relayStream(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks, sendTimeoutMs: number): Promise<void> {
  const headers = clientHeaders(data.headers, hooks.baseHeaders(ctx));
  headers['cache-control'] = 'no-cache';
  res.writeHead(data.statusCode, headers);
  const sse = new SseSplitter();
  let filter = ctx.output;
  const body = data.body;
  return new Promise<void>((resolve) => {
    let stopped = false;
    const sink = new ClientSink(res, body, sendTimeoutMs, () => {
      clientCut(hooks, ctx);
      stop(undefined);
    });
    sink.flushHeaders();
    /** The end of the relay: `last` is written and the stream ended (undefined: nothing more can be sent). */
    const stop = (last: string | undefined): void => {
      releaseGpu(ctx);
      if (stopped) return;
      stopped = true;
      if (last !== undefined) sink.end(last);
      body.destroy();
      resolve();
    };
    const fail = (err: unknown): void => {
      if (ctx.stop.aborted) return stop(sseError(ctx.id, 'MG_SHUTTING_DOWN'));
      if (!res.destroyed) upstreamFailed(hooks, ctx, 'stream', { code: errCode(err) });
      stop(sseError(ctx.id));
    };
    const withheld = (): void => {
      ctx.denial = deny('MG_OUTPUT_BLOCKED', ctx.output?.leak ?? 'output match');
      stop(sseError(ctx.id, 'MG_OUTPUT_BLOCKED'));
    };
    /** The filter threw: withhold (fail-closed), or carry on unfiltered (fail-open). True = go on. */
    const filterFailed = (err: unknown): boolean => {
      const open = ctx.route.output?.onError === 'fail-open';
      outputFailed(hooks, ctx, err, open);
      if (open) {
        filter = null;
        return true;
      }
      ctx.denial = deny('MG_OUTPUT_CHECK_FAILED', (err as Error)?.message);
      stop(sseError(ctx.id, 'MG_OUTPUT_CHECK_FAILED'));
      return false;
    };
    body.on('data', (chunk: Buffer) => {
      if (stopped) return; // data already read from the socket before the destroy took effect
      let events: SseEvent[];
      try { events = sse.push(chunk); } catch (err) { return fail(err); }
      let out = '';
      for (const ev of events) {
        const parsed = observeEvent(ctx, ev);
        if (parsed === HIDDEN) continue;
        if (filter === null) { out += ev.raw; continue; }
        let shown: string | null;
        try { shown = filterEvent(filter, ev, parsed); } catch (err) {
          if (!filterFailed(err)) return;
          shown = ev.raw;
        }
        if (shown === null) {
          if (out.length > 0) sink.write(out);
          return withheld();
        }
        out += shown;
      }
      if (out.length > 0) sink.write(out);
    });
    body.on('end', () => {
      releaseGpu(ctx);
      if (stopped) return;
      if (filter === null) return stop(sse.rest());
      // An unterminated last event is not an event (clients discard it); held text is released.
      let rest: string | null;
      try { rest = filter.finish(); } catch (err) {
        if (!filterFailed(err)) return;
        rest = '';
      }
      if (rest === null) return withheld();
      stop(rest === '' ? '' : `data: ${rest}\n\n`);
    });
    body.on('error', fail);
  });
}
