/**
 * Forward and respond: the entry point the public listener calls. The work is split by concern:
 *
 *   forward.ts         forward — target failover, one attempt, abort on client exit / shutdown
 *   failure.ts         forward — what an upstream failure means for the client (pure)
 *   upstream-error.ts  respond — non-2xx answers reduced to safe OpenAI error fields
 *   sse-relay.ts       respond — SSE relay through usage accounting and the output filter
 *   body-relay.ts      respond — non-streamed bodies: buffered (bounded) or piped
 *   usage.ts           respond — usage and generated text, for settle's reconciliation
 *   send-timeout.ts    respond — bounded per-client buffering and the slow-reader watchdog
 *   forward-hooks.ts   the hooks the public listener provides
 */
export { forward, type ForwardHooks } from './forward.js';
