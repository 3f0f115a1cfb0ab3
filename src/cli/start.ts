/** `modelgate start --config <file>`: run the gateway until SIGINT/SIGTERM. */
import { loadConfigFile } from '../config/load.js';
import { createGateway } from '../server/gateway.js';
import { reportConfigError } from './check-config.js';
import type { Command } from './main.js';

export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export const startCommand: Command = {
  summary: 'run the gateway',
  usage: 'modelgate start --config <file>',
  options: { config: { type: 'string', short: 'c', description: 'configuration file (YAML)' } },
  async run(values) {
    const file = values.config;
    if (typeof file !== 'string') {
      process.stderr.write('usage: modelgate start --config <file>\n');
      return 2;
    }
    let config;
    try {
      config = loadConfigFile(file);
    } catch (err) {
      reportConfigError(err, file);
      return 1;
    }
    const gw = createGateway(config);
    try {
      await gw.start();
    } catch (err) {
      process.stderr.write(`modelgate: cannot listen: ${(err as Error).message}\n`);
      await gw.close().catch(() => undefined);
      return 1;
    }
    stopOnSignals(() => gw.close());
    return 0;
  },
};
