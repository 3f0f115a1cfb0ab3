/**
 * Per-line cost of the log writer options (the access log is one line per request), written to a
 * pipe read by a child process, like stdout under a container runtime. Prints ns per line.
 *
 *   none         serialisation only (a destination that drops the line): the baseline
 *   sync         every line is one write(2) on the calling thread
 *   async-0      sonic-boom asynchronous, no minimum: one libuv write request per line (or per batch
 *                while one is in flight)
 *   buffered     sonic-boom asynchronous, 4 KB minimum write, plus modelgate's 250 ms flush timer
 */
import { spawn } from 'node:child_process';
import pino from 'pino';
import { createLogger } from '../src/observability/logger.js';

const LINES = 50_000;
const line = { reqId: '3b2c1f9e-1d2a-4c7e-9a55-0f3c2b1a9d8e', route: '/v1/chat/completions', method: 'POST', status: 200, keyId: 'acme', ip: '10.0.0.7', bodyBytes: 512, promptChars: 420, cost: { estimate: 600, actual: 512 }, complete: true, ms: 12.5 };

async function measure(name: string, make: (fd: number) => { logger: pino.Logger; flush(cb: () => void): void }): Promise<void> {
  // A reader on the other end of a pipe, as a log collector would be.
  const reader = spawn('sh', ['-c', 'cat > /dev/null'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  const { logger, flush } = make(fd);
  for (let i = 0; i < 5000; i++) logger.info(line, 'request');
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  // Paced like a busy gateway (one line per event-loop turn, ~20 µs of other work between lines),
  // not a flood: a flood measures the pipe reader, not the writer.
  for (let i = 0; i < LINES; i++) {
    logger.info(line, 'request');
    const until = process.hrtime.bigint() + 20_000n;
    while (process.hrtime.bigint() < until) { /* the request's own work */ }
    if (i % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise<void>((r) => flush(r));
  const wall = Number(process.hrtime.bigint() - t0) / LINES;
  const cpu = process.cpuUsage(c0);
  console.log(`${name.padEnd(10)} ${(wall - 20_000).toFixed(0).padStart(6)} ns/line wall, ${((((cpu.user + cpu.system) * 1000) / LINES) - 20_000).toFixed(0).padStart(6)} ns/line CPU (all threads), beyond the 20 µs of work`);
  reader.stdin.end();
  await new Promise((r) => reader.on('close', r));
}

await measure('none', () => {
  const d = { write: (_s: string): boolean => true };
  return { logger: pino({ base: null }, d), flush: (cb) => cb() };
});
await measure('sync', (fd) => {
  const d = pino.destination({ fd, sync: true });
  return { logger: pino({ base: null }, d), flush: (cb) => cb() };
});
await measure('async-0', (fd) => {
  const d = pino.destination({ fd, sync: false, minLength: 0 });
  return { logger: pino({ base: null }, d), flush: (cb) => { if ((d as unknown as { _writing: boolean })._writing) d.once('drain', cb); else cb(); } };
});
await measure('buffered', (fd) => {
  const logger = createLogger('info', undefined, fd);
  return { logger, flush: (cb) => logger.flush(() => cb()) };
});
process.exit(0);
