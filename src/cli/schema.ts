/** `modelgate schema`: print the configuration's JSON Schema (as in schema/modelgate.schema.json). */
import { jsonSchema } from '../config/schema.js';
import type { Command } from './main.js';

export function schemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

export const schemaCommand: Command = {
  summary: 'print the configuration JSON Schema',
  usage: 'modelgate schema',
  options: {},
  async run() {
    process.stdout.write(schemaText());
    return 0;
  },
};
