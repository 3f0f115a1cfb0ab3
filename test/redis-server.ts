/**
 * Starts a private `redis-server` (from PATH) on a free port in a temp dir, for tests. Never uses
 * the machine's own Redis on 6379. No persistence (`--save "" --appendonly no`), bound to 127.0.0.1.
 *
 * When the binary is missing: under CI (`CI=true`) this throws, so the run fails instead of silently
 * skipping; elsewhere it returns null and the caller skips VISIBLY (t.skip + console.warn).
 */
import { findBinary } from './binaries.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL the server (no graceful shutdown) and wait for it to exit. */
  kill(): Promise<void>;
  /** Start it again on the same port (after kill) and wait until it answers PING. */
  restart(): Promise<void>;
  /** Freeze the process (SIGSTOP): connections stay open but nothing answers — a blackhole. */
  pause(): void;
  resume(): void;
  /** Kill it for good and remove its temp dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Start a one-node Redis Cluster owning all 16384 slots (CROSSSLOT rules apply). */
  cluster?: boolean;
}

export const REDIS_MISSING = 'redis-server not installed: install Redis (e.g. apt-get install redis-server) to run the Redis store tests';


async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One raw RESP command over a fresh socket; resolves with the raw reply text (enough for tests). */
function rawCommand(port: number, args: string[], timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (err: Error | null, v = ''): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => done(new Error('redis raw command timed out')), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      const bulk = /^\$(\d+)\r\n/.exec(buf);
      if (bulk) {
        if (Buffer.byteLength(buf) >= bulk[0].length + Number(bulk[1]) + 2) done(null, buf);
      } else if (buf.endsWith('\r\n')) {
        done(null, buf);
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startRedisServer(opts: StartOptions = {}): Promise<RedisServer | null> {
  const bin = findBinary('redis-server');
  if (bin === null) {
    if (process.env.CI === 'true') throw new Error(`${REDIS_MISSING} (CI=true: refusing to skip)`);
    return null;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mg-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
  // announce-ip: a lone node otherwise reports its address as "" in CLUSTER SLOTS.
  if (opts.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-announce-ip', '127.0.0.1');
  let child: ChildProcess | null = null;
  let log = '';
  const killOnExit = (): void => { child?.kill('SIGKILL'); };
  process.once('exit', killOnExit);

  async function launch(): Promise<void> {
    const proc = spawn(bin as string, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // Drain the output (a full pipe would block the server) and keep a tail for diagnostics.
    const keep = (d: Buffer): void => { log = (log + d.toString('utf8')).slice(-4000); };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let exited = false;
    proc.once('exit', () => { exited = true; });
    const until = Date.now() + 5000;
    for (;;) {
      if (exited) throw new Error(`redis-server exited during start:\n${log}`);
      try {
        if ((await rawCommand(port, ['PING'])).startsWith('+PONG')) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`redis-server did not answer PING on ${port}:\n${log}`);
      await sleep(20);
    }
    if (opts.cluster) {
      // One node owning every slot: a real cluster as far as CROSSSLOT checks go. Once configured,
      // nodes.conf in `dir` keeps the slots across restart().
      const info = await rawCommand(port, ['CLUSTER', 'INFO']);
      if (!info.includes('cluster_state:ok')) await rawCommand(port, ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
      for (;;) {
        if ((await rawCommand(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) break;
        if (Date.now() > until) throw new Error('redis cluster did not become ok');
        await sleep(20);
      }
    }
  }

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGCONT'); // a paused process must be able to die
    proc.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    pause: () => { child?.kill('SIGSTOP'); },
    resume: () => { child?.kill('SIGCONT'); },
    stop: async () => {
      await kill();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
