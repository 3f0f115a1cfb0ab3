/**
 * Abuse metrics, registered in the gateway's registry (kept here, beside the code that counts
 * them). Labels are bounded: rule names, actions and ban kinds — never an address or a key.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BanKind } from './bans.js';

export interface AbuseMetrics {
  detected: Counter<'rule' | 'action'>;
  bans: Counter<'kind' | 'rule'>;
  refused: Counter<'kind'>;
  storeFailures: Counter<'op'>;
}

export function createAbuseMetrics(registry: Registry, active: () => Record<BanKind, number>): AbuseMetrics {
  const registers = [registry];
  new Gauge({
    name: 'modelgate_bans_active',
    help: 'Bans in force on this replica, by kind (ip, cidr, key)',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const [kind, n] of Object.entries(active())) this.set({ kind }, n);
    },
  });
  return {
    detected: new Counter({ name: 'modelgate_abuse_detected_total', help: 'Abuse rules triggered on this replica, by rule and action (ban, suspend, flag)', labelNames: ['rule', 'action'], registers }),
    bans: new Counter({ name: 'modelgate_bans_total', help: 'Bans made on this replica, by kind and rule (manual: through the admin API)', labelNames: ['kind', 'rule'], registers }),
    refused: new Counter({ name: 'modelgate_ban_refusals_total', help: 'Requests refused because their address or key is banned, by ban kind', labelNames: ['kind'], registers }),
    storeFailures: new Counter({ name: 'modelgate_abuse_store_failures_total', help: 'Ban store calls that failed (a ban stays in force on this replica and is written again later; a failure is counted by this replica alone)', labelNames: ['op'], registers }),
  };
}
