/**
 * The one table of every denial and failure modelgate can answer with.
 *
 * A code is stable forever: never renamed, never reused for another meaning. `docs/errors.md`
 * lists every code, and `test/unit/errors.test.ts` keeps the two equal. Messages are generic and
 * safe to show to anyone: they never carry a detector score, a regex, an upstream body, a path
 * or a stack. Details go to the server log under the request id.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error';

export interface ErrorSpec {
  readonly status: number;
  readonly type: ErrorType;
  readonly message: string;
}

function e(status: number, type: ErrorType, message: string): ErrorSpec {
  return { status, type, message };
}

export const ERRORS = {
  // accept phase (malformed HTTP, answered before any route is known)
  MG_BAD_REQUEST: e(400, 'invalid_request_error', 'Malformed HTTP request'),
  MG_HEADERS_TOO_LARGE: e(431, 'invalid_request_error', 'Request headers too large'),
  MG_HEADERS_TIMEOUT: e(408, 'invalid_request_error', 'Request headers not received in time'),
  MG_TOO_MANY_HEADERS: e(431, 'invalid_request_error', 'Too many request headers'),
  MG_URI_TOO_LONG: e(414, 'invalid_request_error', 'Request URI too long'),
  MG_EXPECTATION_FAILED: e(417, 'invalid_request_error', 'Unsupported Expect header'),
  MG_SHUTTING_DOWN: e(503, 'api_error', 'The gateway is shutting down; retry'),
  // request phase
  MG_ROUTE_NOT_FOUND: e(404, 'not_found_error', 'Not found'),
  MG_METHOD_NOT_ALLOWED: e(405, 'invalid_request_error', 'Method not allowed'),
  MG_BODY_NOT_ALLOWED: e(400, 'invalid_request_error', 'This method takes no request body'),
  MG_AUTH_MISSING: e(401, 'authentication_error', 'Missing API key'),
  MG_AUTH_INVALID: e(401, 'authentication_error', 'Invalid API key'),
  MG_CLIENT_CERT_REQUIRED: e(401, 'authentication_error', 'A valid client certificate is required'),
  MG_CLIENT_CERT_UNKNOWN: e(403, 'permission_error', 'Client certificate not allowed'),
  MG_KEY_EXPIRED: e(401, 'authentication_error', 'API key expired'),
  MG_KEY_ROUTE_DENIED: e(403, 'permission_error', 'This API key may not use this endpoint'),
  MG_KEY_IP_DENIED: e(403, 'permission_error', 'This API key may not be used from this address'),
  MG_TEMPORARILY_BLOCKED: e(403, 'permission_error', 'Temporarily blocked; retry later'),
  MG_CORS_ORIGIN_DENIED: e(403, 'permission_error', 'Origin not allowed'),
  MG_UNSUPPORTED_MEDIA_TYPE: e(415, 'invalid_request_error', 'Unsupported content type'),
  MG_UNSUPPORTED_ENCODING: e(415, 'invalid_request_error', 'Unsupported content encoding'),
  MG_BODY_TOO_LARGE: e(413, 'invalid_request_error', 'Request body too large'),
  // body phase
  MG_BODY_COMPRESSION_RATIO: e(413, 'invalid_request_error', 'Compressed request body expands too much'),
  MG_BODY_CORRUPT: e(400, 'invalid_request_error', 'Request body could not be decoded'),
  MG_BODY_INCOMPLETE: e(400, 'invalid_request_error', 'Request body incomplete'),
  MG_BODY_TIMEOUT: e(408, 'invalid_request_error', 'Request body not received in time'),
  MG_BODY_INVALID_UTF8: e(400, 'invalid_request_error', 'Request body is not valid UTF-8'),
  MG_JSON_INVALID: e(400, 'invalid_request_error', 'Request body is not valid JSON'),
  MG_JSON_TOO_DEEP: e(400, 'invalid_request_error', 'JSON nesting too deep'),
  MG_JSON_ARRAY_TOO_LONG: e(400, 'invalid_request_error', 'JSON array too long'),
  MG_JSON_STRING_TOO_LONG: e(400, 'invalid_request_error', 'JSON string too long'),
  MG_JSON_TOO_MANY_KEYS: e(400, 'invalid_request_error', 'JSON object has too many keys'),
  MG_JSON_FORBIDDEN_KEY: e(400, 'invalid_request_error', 'JSON contains a forbidden key'),
  // inspect phase
  MG_REQUEST_INVALID: e(400, 'invalid_request_error', 'Request does not match the API schema'),
  MG_TOO_MANY_MESSAGES: e(400, 'invalid_request_error', 'Too many messages'),
  MG_MESSAGE_TOO_LONG: e(400, 'invalid_request_error', 'A message is too long'),
  MG_PROMPT_TOO_LONG: e(400, 'invalid_request_error', 'Total prompt too long'),
  MG_MAX_TOKENS_TOO_LARGE: e(400, 'invalid_request_error', 'max_tokens above the allowed maximum'),
  MG_PARAM_OUT_OF_RANGE: e(400, 'invalid_request_error', 'A parameter is out of its allowed range'),
  MG_TOO_MANY_INPUTS: e(400, 'invalid_request_error', 'Too many inputs'),
  MG_INPUT_REJECTED: e(400, 'invalid_request_error', 'Invalid input'),
  MG_GATEWAY_BUSY: e(503, 'api_error', 'The gateway is busy; retry'),
  MG_INPUT_CHECK_UNAVAILABLE: e(503, 'api_error', 'The input cannot be checked right now; retry later'),
  MG_KEY_MODEL_DENIED: e(403, 'permission_error', 'This API key may not use this model'),
  MG_MODEL_NOT_FOUND: e(404, 'not_found_error', 'Model not found'),
  MG_TENSOR_INPUT_NAME: e(400, 'invalid_request_error', 'Tensor inputs do not match the model'),
  MG_TENSOR_DATATYPE: e(400, 'invalid_request_error', 'Tensor datatype or value does not match the model'),
  MG_TENSOR_SHAPE: e(400, 'invalid_request_error', 'Tensor shape does not match the model'),
  MG_TENSOR_DATA_LENGTH: e(400, 'invalid_request_error', 'Tensor data length does not match its shape'),
  MG_TENSOR_NOT_FINITE: e(400, 'invalid_request_error', 'Tensor contains NaN or Infinity'),
  MG_TENSOR_OUT_OF_RANGE: e(400, 'invalid_request_error', 'Tensor value out of the allowed range'),
  MG_BATCH_TOO_LARGE: e(400, 'invalid_request_error', 'Batch size above the allowed maximum'),
  MG_TENSOR_TOO_LARGE: e(413, 'invalid_request_error', 'Tensor has too many elements'),
  MG_IMAGE_TOO_LARGE: e(413, 'invalid_request_error', 'Image too large'),
  MG_IMAGE_TYPE_NOT_ALLOWED: e(415, 'invalid_request_error', 'Image type not allowed'),
  MG_IMAGE_TYPE_MISMATCH: e(415, 'invalid_request_error', 'Image content does not match its declared type'),
  MG_IMAGE_CORRUPT: e(422, 'invalid_request_error', 'Image could not be read'),
  MG_IMAGE_TOO_MANY_PIXELS: e(422, 'invalid_request_error', 'Image dimensions above the allowed maximum'),
  MG_IMAGE_TOO_MANY_FRAMES: e(422, 'invalid_request_error', 'Image has too many frames'),
  MG_TOO_MANY_IMAGES: e(400, 'invalid_request_error', 'Too many images'),
  MG_IMAGE_URL_FORBIDDEN: e(400, 'invalid_request_error', 'Image URL not allowed'),
  // admit phase
  MG_RATE_LIMITED_IP: e(429, 'rate_limit_error', 'Too many requests from this address'),
  MG_RATE_LIMITED_REQUESTS: e(429, 'rate_limit_error', 'Request rate limit reached'),
  MG_RATE_LIMITED_COST: e(429, 'rate_limit_error', 'Cost rate limit reached'),
  MG_BUDGET_EXHAUSTED: e(429, 'rate_limit_error', 'Budget exhausted'),
  MG_CONCURRENCY_LIMIT: e(429, 'rate_limit_error', 'Too many requests in flight'),
  MG_COST_OVER_LIMIT: e(400, 'invalid_request_error', 'Request cost exceeds what this key may ever spend at once'),
  MG_QUEUE_FULL: e(429, 'rate_limit_error', 'The model server is busy'),
  MG_QUEUE_TIMEOUT: e(503, 'api_error', 'The model server is busy; timed out waiting'),
  MG_STORE_UNAVAILABLE: e(503, 'api_error', 'Limits cannot be checked right now'),
  // forward phase
  MG_UPSTREAM_ERROR: e(502, 'api_error', 'The model server failed to answer'),
  MG_UPSTREAM_UNREACHABLE: e(502, 'api_error', 'The model server is unreachable'),
  MG_UPSTREAM_TIMEOUT: e(504, 'api_error', 'The model server did not answer in time'),
  MG_UPSTREAM_TOO_LARGE: e(502, 'api_error', 'The model server answer is too large'),
  MG_UPSTREAM_UNAVAILABLE: e(503, 'api_error', 'No model server is available; retry later'),
  // respond phase
  MG_OUTPUT_BLOCKED: e(403, 'permission_error', 'The response was withheld by output protection'),
  MG_OUTPUT_CHECK_FAILED: e(502, 'api_error', 'The response could not be checked'),
  // admin API (/admin/keys on the admin listener)
  MG_ADMIN_BAD_REQUEST: e(400, 'invalid_request_error', 'Invalid admin request'),
  MG_KEY_NOT_FOUND: e(404, 'not_found_error', 'No such key'),
  MG_KEY_EXISTS: e(409, 'invalid_request_error', 'A key with this id exists'),
  MG_KEY_CONFIG_MANAGED: e(409, 'invalid_request_error', 'This key is defined in the configuration file; change it there'),
  MG_KEY_STORE_UNAVAILABLE: e(503, 'api_error', 'The key store is unavailable; retry'),
  // any phase
  MG_CLIENT_GONE: e(499, 'invalid_request_error', 'The client closed the request'),
  MG_POLICY_ERROR: e(500, 'api_error', 'The request could not be checked'),
  MG_INTERNAL: e(500, 'api_error', 'Internal error'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A decision to refuse a request: only a code; the status and message come from the table. */
export interface Denial {
  readonly code: ErrorCode;
  /** Extra response headers (Retry-After, Allow, …). Never anything secret. */
  readonly headers?: Record<string, string>;
  /** Why, for the server log only. Never sent to the client. */
  readonly detail?: string;
}

export function deny(code: ErrorCode, detail?: string, headers?: Record<string, string>): Denial {
  const d: { code: ErrorCode; detail?: string; headers?: Record<string, string> } = { code };
  if (detail !== undefined) d.detail = detail;
  if (headers !== undefined) d.headers = headers;
  return d;
}

export function isDenial(v: unknown): v is Denial {
  return typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string'
    && Object.prototype.hasOwnProperty.call(ERRORS, (v as { code: string }).code);
}

/** The OpenAI error shape, so OpenAI SDKs raise their usual typed errors; plus our request id. */
export function errorBody(code: ErrorCode, requestId: string): string {
  const spec = ERRORS[code];
  return JSON.stringify({
    error: { message: spec.message, type: spec.type, code, param: null },
    request_id: requestId,
  });
}

/** Thrown inside the pipeline to stop with a denial (e.g. from deep inside the body reader). */
export class DenialError extends Error {
  readonly denial: Denial;
  constructor(denial: Denial) {
    super(denial.code);
    this.name = 'DenialError';
    this.denial = denial;
  }
}
