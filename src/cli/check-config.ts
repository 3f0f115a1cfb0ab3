/** `modelgate check-config --config <file>`: exit 0 when valid, else 1 and every problem with its YAML path. */
// The configuration loader (and its schema's compilation) is imported when the command runs.
import { CONFIG_OPTION, configFileArg } from './config-arg.js';
import type { Command } from './main.js';

export async function reportConfigError(err: unknown, file: string): Promise<void> {
  const { ConfigError } = await import('../config/load.js');
  if (err instanceof ConfigError) {
    process.stderr.write(`${file}: invalid configuration (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'})\n`);
    for (const p of err.problems) process.stderr.write(`  ${p.path}: ${p.message}\n`);
  } else {
    process.stderr.write(`${file}: ${(err as Error).message}\n`);
  }
}

export const checkConfigCommand: Command = {
  summary: 'validate a configuration file',
  usage: 'modelgate check-config --config <file>   (or MODELGATE_CONFIG; `check-config <file>` also works)',
  options: { config: CONFIG_OPTION },
  async run(values, positionals) {
    const arg = configFileArg(values, positionals);
    if ('error' in arg) {
      process.stderr.write(`modelgate check-config: ${arg.error}\nusage: ${this.usage}\n`);
      return 2;
    }
    const file = arg.file;
    const { loadConfigFile } = await import('../config/load.js');
    try {
      const config = loadConfigFile(file);
      process.stdout.write(`${file}: valid (${config.routes.length} routes, ${config.auth.keys.length} keys, ${config.upstreams.size} upstreams)\n`);
      return 0;
    } catch (err) {
      await reportConfigError(err, file);
      return 1;
    }
  },
};
