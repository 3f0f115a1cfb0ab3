/**
 * The ban checks (request phase). `ip-ban` runs before anything that costs: right after the CORS
 * origin check (so a refused browser caller still gets its CORS headers and can read the 403),
 * before the per-IP limit, authentication and the body. `key-ban` runs right after API-key
 * authentication. Both refuse with 403 MG_TEMPORARILY_BLOCKED and Retry-After (seconds until the
 * ban ends); nothing is reserved, nothing forwarded. A ban on the key of an exempt tier is not
 * enforced (exempt tiers are never banned).
 */
import { deny } from '../errors.js';
import type { ModelgateConfig } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';
import type { Abuse } from './abuse.js';

export function ipBanPolicy(abuse: Abuse): Policy {
  return {
    name: 'ip-ban',
    phase: 'request',
    onError: 'fail-closed',
    run: function ipBan(ctx) {
      const ban = abuse.ipBan(ctx.ip);
      if (ban === null) return undefined;
      abuse.refused(ban);
      return deny('MG_TEMPORARILY_BLOCKED', `${ban.kind} ban ${ban.id} (${ban.rule})`, { 'retry-after': abuse.retryAfter(ban) });
    },
  };
}

/** Whether the key's tier (its own, else the default tier) is exempt. */
export function exemptTier(config: ModelgateConfig): (tier: string | null) => boolean {
  return (tier) => config.tiers.get(tier ?? config.defaultTier ?? '')?.exempt === true;
}

export function keyBanPolicy(abuse: Abuse, config: ModelgateConfig): Policy {
  const exempt = exemptTier(config);
  return {
    name: 'key-ban',
    phase: 'request',
    onError: 'fail-closed',
    run: function keyBan(ctx) {
      const id = ctx.identity;
      if (id === null) return undefined;
      const ban = abuse.keyBan(id.keyId);
      if (ban === null || exempt(id.tier)) return undefined;
      abuse.refused(ban);
      return deny('MG_TEMPORARILY_BLOCKED', `key ban ${ban.id} (${ban.rule})`, { 'retry-after': abuse.retryAfter(ban) });
    },
  };
}
