/** `modelgate start --config <file>`: run the gateway until SIGINT/SIGTERM (then drain; see process.ts). */
// The gateway's modules are imported when the command runs, not when the CLI starts: `--help`
// and a usage error load none of them (the configuration schema's compilation alone took 0.5 s).
import { CONFIG_OPTION, configFileArg } from './config-arg.js';
import type { Command } from './main.js';

export const startCommand: Command = {
  summary: 'run the gateway',
  usage: 'modelgate start --config <file> [--watch]   (or MODELGATE_CONFIG; `start <file>` also works)',
  options: {
    config: CONFIG_OPTION,
    watch: { type: 'boolean', description: 'reload keys and tiers when the file changes (SIGHUP always does)' },
  },
  async run(values, positionals) {
    const arg = configFileArg(values, positionals);
    if ('error' in arg) {
      process.stderr.write(`modelgate start: ${arg.error}\nusage: ${this.usage}\n`);
      return 2;
    }
    const file = arg.file;
    const [{ loadConfigFile }, { createGateway }, { reportConfigError }, { exitOnCrash, stopOnSignals }, { reloadConfig, watchConfig }] = await Promise.all([
      import('../config/load.js'), import('../server/gateway.js'), import('./check-config.js'), import('./process.js'), import('../keys/reload.js'),
    ]);
    let config;
    try {
      config = loadConfigFile(file);
    } catch (err) {
      await reportConfigError(err, file);
      return 1;
    }
    let gw;
    try {
      gw = createGateway(config);
    } catch (err) {
      // A certificate file that changed between the check and now (src/util/pem.ts: no PEM content in the message).
      process.stderr.write(`modelgate: cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    exitOnCrash(gw.logger);
    try {
      await gw.start();
    } catch (err) {
      process.stderr.write(`modelgate: cannot listen: ${(err as Error).message}\n`);
      await gw.close().catch(() => undefined);
      return 1;
    }
    // The CLI shuts down gracefully (delay, then in-flight work up to the timeout); see gateway.ts.
    stopOnSignals({ close: () => gw.close({ graceful: true }), hurry: () => gw.hurry() }, gw.logger);
    // Keys and tiers reload without a restart (src/keys/reload.ts).
    process.on('SIGHUP', () => { reloadConfig(gw, file, 'SIGHUP'); });
    if (values.watch === true) watchConfig(file, () => { reloadConfig(gw, file, 'watch'); });
    return 0;
  },
};
