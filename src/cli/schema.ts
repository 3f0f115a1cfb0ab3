/** `modelgate schema`: print the configuration's JSON Schema (as in schema/modelgate.schema.json). */
import type { Command } from './main.js';

/** The schema text (the configuration's schema module is imported when asked for). */
export async function schemaText(): Promise<string> {
  const { jsonSchema } = await import('../config/schema.js');
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

export const schemaCommand: Command = {
  summary: 'print the configuration JSON Schema',
  usage: 'modelgate schema',
  options: {},
  async run() {
    process.stdout.write(await schemaText());
    return 0;
  },
};
