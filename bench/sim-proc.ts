/**
 * The simulator in its own process, for the benchmark: every latency 0 (so it creates no timers
 * and measures the gateway, not itself) and enough generation slots that nothing ever queues.
 * Prints {"url":...,"port":...} as one JSON line on stdout once listening; SIGTERM/SIGINT close it.
 *
 *   node dist/bench/sim-proc.js [port]
 */
import { startSimulator } from '../src/simulator/index.js';

const port = Number(process.argv[2] ?? '0');
const sim = await startSimulator({
  host: '127.0.0.1',
  port: Number.isInteger(port) && port >= 0 ? port : 0,
  msPerToken: 0,
  msPerPromptToken: 0,
  eventDelayMs: 0,
  slots: 4096,
});
process.stdout.write(`${JSON.stringify({ url: sim.url, port: sim.port })}\n`);

let closing = false;
const stop = (): void => {
  if (closing) process.exit(1);
  closing = true;
  sim.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
