/**
 * How every command names its configuration file, one way for all: `--config FILE` (`-c`), or
 * the `MODELGATE_CONFIG` environment variable; a single positional FILE is kept as an alias.
 * Two different names at once is a usage error, not a silent pick.
 */
export const CONFIG_OPTION = { type: 'string', short: 'c', description: 'configuration file (YAML); or set MODELGATE_CONFIG' } as const;

export type ConfigArg = { file: string } | { error: string };

export function configFileArg(values: Record<string, string | boolean | undefined>, positionals: string[], env: NodeJS.ProcessEnv = process.env): ConfigArg {
  if (positionals.length > 1) return { error: 'one configuration file at most' };
  const flag = typeof values.config === 'string' ? values.config : undefined;
  const positional = positionals[0];
  if (flag !== undefined && positional !== undefined && flag !== positional) return { error: `two configuration files named (--config ${flag} and ${positional})` };
  const file = flag ?? positional ?? (env.MODELGATE_CONFIG === '' ? undefined : env.MODELGATE_CONFIG);
  return file === undefined ? { error: 'no configuration file: pass --config FILE or set MODELGATE_CONFIG' } : { file };
}
