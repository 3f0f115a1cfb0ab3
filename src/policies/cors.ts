/**
 * CORS with the configured origins only (request phase). A request whose Origin is not listed
 * is refused (403) when CORS is configured; an allowed one gets Access-Control-Allow-Origin on
 * its response, errors included. Preflights are answered by `preflight()`.
 */
import { deny } from '../errors.js';
import type { CorsConfig } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';

export function corsHeaders(cors: CorsConfig, origin: string): Record<string, string> {
  const h: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (cors.credentials) h['access-control-allow-credentials'] = 'true';
  return h;
}

export function corsPolicy(cors: CorsConfig): Policy {
  return {
    name: 'cors',
    phase: 'request',
    onError: 'fail-closed',
    run: function corsCheck(ctx) {
      const origin = ctx.headers.origin;
      if (origin === undefined) return undefined;
      if (!cors.origins.has(origin)) return deny('MG_CORS_ORIGIN_DENIED');
      Object.assign(ctx.responseHeaders, corsHeaders(cors, origin));
      return undefined;
    },
  };
}

/** The answer to an OPTIONS preflight: headers to send with 204, or null to refuse. */
export function preflight(cors: CorsConfig, origin: string | undefined, method: string | undefined): Record<string, string> | null {
  if (origin === undefined || !cors.origins.has(origin)) return null;
  if (method === undefined || !cors.methods.includes(method.toUpperCase())) return null;
  return {
    ...corsHeaders(cors, origin),
    'access-control-allow-methods': cors.methods.join(', '),
    'access-control-allow-headers': cors.headers.join(', '),
    'access-control-max-age': String(cors.maxAgeSeconds),
  };
}
