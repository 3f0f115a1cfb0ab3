/** `modelgate keys generate [--id ID]`: a new random key (256 bits, prefix mg_) and its hash line. */
import { createHash, randomBytes } from 'node:crypto';
import type { Command } from './main.js';

export function generateKey(): string {
  return `mg_${randomBytes(32).toString('base64url')}`;
}

export function keyHashLine(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export const keysCommand: Command = {
  summary: 'generate an API key and the hash line for the config',
  usage: 'modelgate keys generate [--id ID]',
  options: { id: { type: 'string', description: 'the key id to print in the config snippet (default: new-key)' } },
  async run(values, positionals) {
    if (positionals[0] !== 'generate' || positionals.length > 1) {
      process.stderr.write('usage: modelgate keys generate [--id ID]\n');
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
