/**
 * /admin/keys on the admin listener, behind the admin token (adminTokenGuard):
 *   POST   /admin/keys              create; the key is in this response and nowhere else, ever
 *   GET    /admin/keys              every key: id, source, tier, created, expires, scope, last used
 *   POST   /admin/keys/:id/rotate   a new value; the old one stays valid for `grace` (default 24h)
 *   DELETE /admin/keys/:id          revoke now
 *   PATCH  /admin/keys/:id          tier, expiresAt, routes, models, allowedCidrs (null clears)
 * Errors use the table's codes (MG_ADMIN_BAD_REQUEST, MG_KEY_NOT_FOUND, MG_KEY_EXISTS,
 * MG_KEY_CONFIG_MANAGED, MG_KEY_STORE_UNAVAILABLE). Each change is one audit line whose `who` is
 * the admin token's id (a short fingerprint, never the token).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors.js';
import type { ModelgateConfig } from '../config/types.js';
import { durationMs } from '../config/units.js';
import { KEY_ID_PATTERN, parseScope, type ScopeProblem } from '../keys/scope.js';
import { KeyOpError, type KeyChange, type KeyService } from '../keys/service.js';
import type { KeyScope } from '../keys/types.js';

export const DEFAULT_GRACE_MS = 24 * 3600_000;
const SCOPE_FIELDS = ['expiresAt', 'routes', 'models', 'allowedCidrs'] as const;

/** The admin token's id in audit lines: `admin:` and 8 hex digits of its SHA-256. */
export function adminTokenId(token: string | null): string {
  return token === null ? 'admin' : `admin:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
}

function fail(reply: FastifyReply, code: ErrorCode, problems?: ScopeProblem[]): FastifyReply {
  const spec = ERRORS[code];
  return reply.code(spec.status).send({ error: { message: spec.message, type: spec.type, code, ...(problems === undefined ? {} : { problems }) } });
}

function body(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null;
}

export function adminKeyRoutes(keys: KeyService, config: ModelgateConfig) {
  const who = adminTokenId(config.admin.token);
  const routePaths = (): Set<string> => new Set(config.routes.map((r) => r.path));
  const tierProblem = (t: unknown, problems: ScopeProblem[]): string | null => {
    if (t === undefined || t === null) return null;
    if (typeof t !== 'string' || !config.tiers.has(t)) problems.push({ path: 'tier', message: 'no such tier' });
    return typeof t === 'string' ? t : null;
  };
  const unknownFields = (b: Record<string, unknown>, allowed: readonly string[], problems: ScopeProblem[]): void => {
    for (const k of Object.keys(b)) if (!allowed.includes(k)) problems.push({ path: k, message: 'unknown field' });
  };
  const run = async (reply: FastifyReply, f: () => Promise<unknown>, status = 200): Promise<FastifyReply> => {
    try {
      return await reply.code(status).send(await f());
    } catch (err) {
      if (err instanceof KeyOpError) return fail(reply, err.code);
      throw err;
    }
  };

  return function register(app: FastifyInstance, guard: preHandlerAsyncHookHandler): void {
    app.get('/admin/keys', { preHandler: guard }, async (_req, reply) => run(reply, async () => ({ keys: await keys.list() })));

    app.post('/admin/keys', { preHandler: guard }, async (req, reply) => {
      const b = body(req.body ?? {});
      if (b === null) return fail(reply, 'MG_ADMIN_BAD_REQUEST');
      const problems: ScopeProblem[] = [];
      unknownFields(b, ['id', 'tier', ...SCOPE_FIELDS], problems);
      const id = b.id === undefined ? `key-${randomBytes(6).toString('hex')}` : b.id;
      if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) problems.push({ path: 'id', message: 'letters, digits, . _ - (at most 64)' });
      const tier = tierProblem(b.tier, problems);
      const scope = parseScope(b, '', routePaths(), problems);
      if (problems.length > 0) return fail(reply, 'MG_ADMIN_BAD_REQUEST', problems.map((p) => ({ ...p, path: p.path.replace(/^\./, '') })));
      return run(reply, async () => {
        const made = await keys.create(who, id as string, tier, scope);
        return { ...made.view, key: made.key };
      }, 201);
    });

    app.post<{ Params: { id: string } }>('/admin/keys/:id/rotate', { preHandler: guard }, async (req, reply) => {
      const b = body(req.body ?? {});
      if (b === null) return fail(reply, 'MG_ADMIN_BAD_REQUEST');
      const problems: ScopeProblem[] = [];
      unknownFields(b, ['grace'], problems);
      let graceMs = DEFAULT_GRACE_MS;
      if (b.grace !== undefined) {
        try {
          graceMs = durationMs(b.grace as string | number);
          if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error('negative');
        } catch {
          problems.push({ path: 'grace', message: 'a duration such as 24h, 30m or 0s' });
        }
      }
      if (problems.length > 0) return fail(reply, 'MG_ADMIN_BAD_REQUEST', problems);
      return run(reply, async () => {
        const made = await keys.rotate(who, req.params.id, graceMs);
        return { ...made.view, key: made.key };
      });
    });

    app.delete<{ Params: { id: string } }>('/admin/keys/:id', { preHandler: guard }, async (req, reply) => run(reply, async () => {
      await keys.revoke(who, req.params.id);
      return { id: req.params.id, revoked: true };
    }));

    app.patch<{ Params: { id: string } }>('/admin/keys/:id', { preHandler: guard }, async (req, reply) => {
      const b = body(req.body);
      if (b === null) return fail(reply, 'MG_ADMIN_BAD_REQUEST');
      const problems: ScopeProblem[] = [];
      unknownFields(b, ['tier', ...SCOPE_FIELDS], problems);
      const change: KeyChange = {};
      if ('tier' in b) change.tier = tierProblem(b.tier, problems);
      const parsed = parseScope(b, '', routePaths(), problems);
      const scope: Partial<KeyScope> = {};
      for (const f of SCOPE_FIELDS) if (f in b) (scope as Record<string, unknown>)[f] = parsed[f];
      change.scope = scope;
      if (Object.keys(b).length === 0) problems.push({ path: '(body)', message: 'nothing to change' });
      if (problems.length > 0) return fail(reply, 'MG_ADMIN_BAD_REQUEST', problems.map((p) => ({ ...p, path: p.path.replace(/^\./, '') })));
      return run(reply, () => keys.update(who, req.params.id, change));
    });
  };
}
