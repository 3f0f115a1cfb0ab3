/**
 * `modelgate keys generate [--id ID]`: a new random key (256 bits, prefix mg_) and its hash line.
 * `modelgate keys create|list|rotate|revoke|update --admin URL`: the admin key API (keys-admin.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Command } from './main.js';
import { ADMIN_USAGE, runAdminKeys } from './keys-admin.js';

export function generateKey(): string {
  return `mg_${randomBytes(32).toString('base64url')}`;
}

export function keyHashLine(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export const keysCommand: Command = {
  summary: 'generate a key for the config, or create|list|rotate|revoke|update keys through the admin API',
  usage: `modelgate keys generate [--id ID]\n${ADMIN_USAGE}`,
  options: {
    id: { type: 'string', description: 'the key id (generate: printed in the config snippet, default new-key)' },
    admin: { type: 'string', description: 'admin listener URL, e.g. http://127.0.0.1:9090 (token from $MODELGATE_ADMIN_TOKEN)' },
    tier: { type: 'string', description: 'create/update: the tier (update: none clears)' },
    expires: { type: 'string', description: 'create/update: expiry, ISO 8601 (update: none clears)' },
    routes: { type: 'string', description: 'create/update: allowed route paths, comma-separated (none clears)' },
    models: { type: 'string', description: 'create/update: allowed models, comma-separated (none clears)' },
    cidrs: { type: 'string', description: 'create/update: allowed client CIDRs, comma-separated (none clears)' },
    grace: { type: 'string', description: 'rotate: how long the old value stays valid (default 24h)' },
  },
  async run(values, positionals) {
    const action = positionals[0] ?? '';
    if (['create', 'list', 'rotate', 'revoke', 'update'].includes(action) && positionals.length === 1) return runAdminKeys(action, values);
    if (action !== 'generate' || positionals.length > 1) {
      process.stderr.write(`usage: modelgate keys generate [--id ID]\n${ADMIN_USAGE}`);
      return 2;
    }
    const id = typeof values.id === 'string' ? values.id : 'new-key';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) {
      process.stderr.write('modelgate keys generate: --id must be letters, digits, . _ - (at most 64)\n');
      return 2;
    }
    const key = generateKey();
    process.stdout.write(`key (shown once, give it to the client): ${key}\n\n`);
    process.stdout.write(`# paste under auth.keys:\n    - id: ${id}\n      hash: ${keyHashLine(key)}\n`);
    return 0;
  },
};
