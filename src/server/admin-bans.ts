/**
 * The ban admin API, behind the admin token (adminTokenGuard), every change audit-logged:
 *
 *   GET    /admin/bans        the bans in force (all replicas: read from the store)
 *   POST   /admin/bans        a manual ban: { ip | cidr | key, duration, reason? } → 201 the ban
 *   DELETE /admin/bans/{id}   lifts a ban on every replica → 200 the ban, 404 when there is none
 *
 * A key is named by its id, never by the key itself.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Abuse } from '../abuse/abuse.js';
import { canonicalCidr, canonicalIp } from '../abuse/address.js';
import type { Ban, BanKind } from '../abuse/bans.js';
import type { Logger } from '../observability/logger.js';
import { durationMs } from '../config/units.js';

interface BanBody { ip?: string; cidr?: string; key?: string; duration: string | number; reason?: string }

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['duration'],
  properties: {
    ip: { type: 'string', maxLength: 64 },
    cidr: { type: 'string', maxLength: 64 },
    key: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    duration: { anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$' }, { type: 'integer', minimum: 1 }] },
    reason: { type: 'string', maxLength: 200 },
  },
  oneOf: [{ required: ['ip'] }, { required: ['cidr'] }, { required: ['key'] }],
} as const;

function invalid(message: string): { error: { message: string; type: string; code: string } } {
  return { error: { message, type: 'invalid_request_error', code: 'MG_REQUEST_INVALID' } };
}

/** Who a ban is on, for the audit log: an address, or a key id. */
function target(ban: Ban): Record<string, string> {
  return ban.kind === 'key' ? { keyId: ban.value } : { [ban.kind]: ban.value };
}

export function banRoutes(abuse: Abuse, logger: Logger, exempt: (keyId: string) => boolean) {
  return (app: FastifyInstance, guard: preHandlerAsyncHookHandler): void => {
    app.get('/admin/bans', { preHandler: guard }, async () => ({ bans: await abuse.list() }));

    app.post<{ Body: BanBody }>('/admin/bans', {
      preHandler: guard,
      schema: { body: bodySchema },
      // Fastify's schema errors carry the schema's wording; answer in the error shape instead.
      attachValidation: true,
    }, async (req, reply) => {
      if (req.validationError !== undefined) return reply.code(400).send(invalid('body must be { ip | cidr | key, duration, reason? }'));
      const b = req.body;
      let kind: BanKind;
      let value: string | null;
      if (b.ip !== undefined) { kind = 'ip'; value = canonicalIp(b.ip); }
      else if (b.cidr !== undefined) { kind = 'cidr'; value = canonicalCidr(b.cidr); }
      else { kind = 'key'; value = b.key ?? null; }
      if (value === null) return reply.code(400).send(invalid(`not a valid ${kind}`));
      if (kind === 'key' && exempt(value)) return reply.code(400).send(invalid('keys of an exempt tier are never banned'));
      const ms = durationMs(b.duration);
      if (ms <= 0) return reply.code(400).send(invalid('duration must be longer than 0'));
      const ban = await abuse.ban(kind, value, 'manual', ms);
      logger.warn({ audit: 'ban.add', banId: ban.id, kind, ...target(ban), expiresAt: new Date(ban.expiresAt).toISOString(), reason: b.reason, from: req.ip }, 'admin: ban made');
      return reply.code(201).send(ban);
    });

    app.delete<{ Params: { id: string } }>('/admin/bans/:id', { preHandler: guard }, async (req, reply) => {
      if (!/^[0-9a-f]{16}$/.test(req.params.id)) return reply.code(404).send({ error: { message: 'Not found', type: 'not_found_error', code: 'MG_ROUTE_NOT_FOUND' } });
      const ban = await abuse.lift(req.params.id);
      if (ban === null) return reply.code(404).send({ error: { message: 'No such ban', type: 'not_found_error', code: 'MG_ROUTE_NOT_FOUND' } });
      logger.warn({ audit: 'ban.lift', banId: ban.id, kind: ban.kind, ...target(ban), rule: ban.rule, from: req.ip }, 'admin: ban lifted');
      return reply.send(ban);
    });
  };
}
