/**
 * Respond phase — non-2xx answers of the model server, which must not leak what model servers
 * put in errors (stack traces, internal hosts and addresses, paths, keys, echoed prompts):
 *
 * - 5xx, and 401/403/407 (the gateway-to-server setup is wrong, not the client's request): 502
 *   MG_UPSTREAM_ERROR, the body discarded;
 * - any other status (4xx) keeps its status; its body is reduced to the OpenAI error fields.
 *   `message` keeps its first line only, goes through the route's output filter when the route
 *   has one (else it is replaced by a generic message), then through the secret and IP address
 *   recognizers, and is cut to 1 KB; `type`, `param` and `code` are kept only when they are short
 *   plain tokens (and `code` never when it looks like one of ours, MG_…). A body that is not such
 *   JSON becomes the generic MG_UPSTREAM_ERROR body, still with the upstream's status.
 *
 * Only the status and the body's length are reported (kind 'status' for the hidden ones, 'refused'
 * for the 4xx passed on), never the body. At most ERROR_BODY_MAX
 * bytes of an error body are read; a longer one is not an error message.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { deny, errorBody } from '../errors.js';
import { releaseGpu, type RequestContext } from '../pipeline/context.js';
import { createPiiScanner, redact } from '../detectors/pii/index.js';
import type { OutputFilter } from '../protocols/openai/output.js';
import { readBounded } from './body-relay.js';
import { upstreamFailed, type ForwardHooks } from './forward-hooks.js';

const ERROR_BODY_MAX = 64 * 1024;
const MESSAGE_MAX_BYTES = 1024;
const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The message a client gets when the upstream's cannot be shown. */
export const GENERIC_UPSTREAM_MESSAGE = 'The model server refused the request';

/** Secrets and addresses are never something a client needs from an error message. */
const SECRETS = createPiiScanner({ types: ['api_key', 'ip_address'] });

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True for statuses whose answer the client never sees (502 MG_UPSTREAM_ERROR instead). */
export function isHiddenStatus(status: number): boolean {
  return status >= 500 || status === 401 || status === 403 || status === 407;
}

function token(v: unknown): string | null {
  if (typeof v === 'number' && Number.isInteger(v)) v = String(v);
  return typeof v === 'string' && TOKEN.test(v) ? v : null;
}

/** UTF-8 safe cut to at most `max` bytes. */
function cutBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  return Buffer.from(s, 'utf8').subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '');
}

function shownMessage(raw: unknown, output: OutputFilter | null): string {
  if (typeof raw !== 'string' || output === null) return GENERIC_UPSTREAM_MESSAGE;
  const first = (raw.split(/\r\n|\n|\r/, 1)[0] ?? '').trim();
  if (first === '') return GENERIC_UPSTREAM_MESSAGE;
  const filtered = output.text(first);
  if (filtered === null) return GENERIC_UPSTREAM_MESSAGE;
  const clean = redact(filtered, SECRETS.scan(filtered));
  return cutBytes(clean, MESSAGE_MAX_BYTES);
}

/**
 * The body the client gets for a non-2xx upstream body: the OpenAI error shape with our request
 * id. Accepts the OpenAI shape `{error: {message, type, param, code}}`, and, as model servers
 * also answer, `{error: "message"}` (KServe/Triton) and `{message, type, code}` (TorchServe).
 */
export function sanitizeErrorBody(raw: Buffer | null, output: OutputFilter | null, requestId: string): string {
  let v: unknown;
  try { v = raw === null ? null : JSON.parse(raw.toString('utf8')); } catch { v = null; }
  if (!isObj(v)) return errorBody('MG_UPSTREAM_ERROR', requestId);
  let fields: Obj;
  if (isObj(v.error)) fields = v.error;
  else if (typeof v.error === 'string') fields = { message: v.error };
  else if (typeof v.message === 'string') fields = v;
  else return errorBody('MG_UPSTREAM_ERROR', requestId);
  const code = token(fields.code);
  return JSON.stringify({
    error: {
      message: shownMessage(fields.message, output),
      type: token(fields.type),
      code: code !== null && code.startsWith('MG_') ? null : code,
      param: token(fields.param),
    },
    request_id: requestId,
  });
}

/** Answer a non-2xx upstream response (see the header). */
export async function respondUpstreamError(ctx: RequestContext, res: ServerResponse, data: Dispatcher.ResponseData, hooks: ForwardHooks): Promise<void> {
  const status = data.statusCode;
  let raw: Buffer | null = null;
  let length: number | string = 0;
  try {
    raw = await readBounded(data.body, ERROR_BODY_MAX);
    length = raw.length;
  } catch {
    length = `>${ERROR_BODY_MAX} or cut`; // a longer body is not an error message; a cut one says nothing
  }
  releaseGpu(ctx);
  if (ctx.clientGone.aborted) return;
  if (ctx.stop.aborted && raw === null) return hooks.sendDenial(ctx, res, deny('MG_SHUTTING_DOWN', 'shutdown deadline'));
  if (isHiddenStatus(status)) {
    upstreamFailed(hooks, ctx, 'status', { status, bodyLength: length });
    return hooks.sendDenial(ctx, res, deny('MG_UPSTREAM_ERROR', `upstream status ${status}`));
  }
  // Logged (status and length only) and counted apart from failures: kind 'refused'.
  upstreamFailed(hooks, ctx, 'refused', { status, bodyLength: length });
  const body = sanitizeErrorBody(raw, ctx.output, ctx.id);
  const headers: Record<string, string> = {
    ...hooks.baseHeaders(ctx),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  };
  const retryAfter = data.headers['retry-after'];
  if (typeof retryAfter === 'string' && /^\d{1,9}$/.test(retryAfter)) headers['retry-after'] = retryAfter;
  if (!ctx.raw.complete) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}
