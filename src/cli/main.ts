#!/usr/bin/env node
/**
 * modelgate's command line: start | check-config | keys generate | demo | simulate | schema.
 * Every command answers --help. Exit codes: 0 success, 1 invalid configuration or failure,
 * 2 wrong usage.
 */
import { parseArgs } from 'node:util';
import { startCommand } from './start.js';
import { checkConfigCommand } from './check-config.js';
import { keysCommand } from './keys.js';
import { demoCommand } from './demo.js';
import { schemaCommand } from './schema.js';
import { simulateCommand } from './simulate.js';

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; description: string }>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: startCommand,
  'check-config': checkConfigCommand,
  keys: keysCommand,
  demo: demoCommand,
  simulate: simulateCommand,
  schema: schemaCommand,
};

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `modelgate — a security gateway for model inference servers

Usage: modelgate <command> [options]

Commands:
${lines.join('\n')}

Run 'modelgate <command> --help' for a command's options.
`;
}

function commandHelp(name: string, c: Command): string {
  const opts = Object.entries(c.options).map(([k, o]) => {
    const flag = `--${k}${o.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(22)} ${o.description}`;
  });
  return `modelgate ${name} — ${c.summary}

Usage: ${c.usage}

Options:
${[...opts, `  ${'--help'.padEnd(22)} show this help`].join('\n')}
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('modelgate 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`modelgate: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  let parsed;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
    for (const [k, o] of Object.entries(cmd.options)) options[k] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`modelgate ${name}: ${(err as Error).message}\n\n${commandHelp(name, cmd)}`);
    return 2;
  }
  if (parsed.values.help === true) {
    process.stdout.write(commandHelp(name, cmd));
    return 0;
  }
  return cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`modelgate: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
