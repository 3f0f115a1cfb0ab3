/**
 * The operator console on the admin listener: `/console` serves a small static page (HTML, one
 * script, one stylesheet, from `console/` in the package; no CDN, no inline script) under a strict
 * Content-Security-Policy; the page holds no data. Everything it shows comes from admin routes
 * behind the admin token — `/admin/console/state` here, `/admin/keys` and `/admin/bans` where those
 * exist — called with the token in the Authorization header, never a cookie, so a page on another
 * site cannot make the browser act on the operator's behalf (no CSRF).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ConsoleState } from '../console/state.js';

const ASSETS = new URL('../../../console/', import.meta.url);

/** default-src 'none' and only our own script, style and API: no inline code, no other origin, no framing. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FILES: Record<string, { file: string; type: string }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export function consoleRoutes(state: ConsoleState): (app: FastifyInstance, guard: preHandlerAsyncHookHandler) => void {
  // Read once at start-up: a missing file is a packaging error, seen at once, not per request.
  const bodies = new Map(Object.entries(FILES).map(([path, f]) => [path, { body: readFileSync(new URL(f.file, ASSETS)), type: f.type }]));
  return (app, guard) => {
    for (const [path, f] of bodies) {
      app.get(path, async (_req, reply) => reply
        .header('content-type', f.type)
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(f.body));
    }
    app.get('/admin/console/state', { preHandler: guard }, async (_req, reply) => reply.header('cache-control', 'no-store').send(await state.snapshot()));
  };
}
