/**
 * A TCP relay in front of a real server that can hold back the server's replies on chosen
 * connections: the bytes arrive here and wait until `release()`. Used to put a reply "in flight"
 * for as long as a test needs (a Redis MULTI executed, its answer not yet seen by the client)
 * — an ordering a busy machine produces by chance, made deterministic.
 *
 * Connections that have sent SUBSCRIBE are never held (so pub/sub messages still flow while a
 * command connection's replies wait).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair { client: Socket; server: Socket; subscriber: boolean; held: Buffer[] }

export interface HoldProxy {
  url: string;
  /** Start holding the replies of the command (non-subscriber) connections. */
  hold(): void;
  /** What is being held, as text. */
  heldText(): string;
  /** Stop holding and deliver what was held, in order. */
  release(): void;
  close(): Promise<void>;
}

export async function startHoldProxy(targetPort: number): Promise<HoldProxy> {
  const pairs = new Set<Pair>();
  let holding = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const p: Pair = { client, server: upstream, subscriber: false, held: [] };
    pairs.add(p);
    client.on('data', (d: Buffer) => {
      if (!p.subscriber && /subscribe/i.test(d.toString('latin1'))) p.subscriber = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (holding && !p.subscriber) p.held.push(d);
      else client.write(d);
    });
    const end = (): void => { pairs.delete(p); client.destroy(); upstream.destroy(); };
    client.on('close', end); upstream.on('close', end);
    client.on('error', end); upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold: () => { holding = true; },
    heldText: () => [...pairs].map((p) => Buffer.concat(p.held).toString('utf8')).join(''),
    release: () => {
      holding = false;
      for (const p of pairs) { for (const d of p.held) p.client.write(d); p.held = []; }
    },
    close: async () => {
      for (const p of pairs) { p.client.destroy(); p.server.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
