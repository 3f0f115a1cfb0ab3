/** Simulators started by a test file, all closed after it. */
import { after } from 'node:test';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const started: Simulator[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.close()));
});

export async function sim(opts: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator(opts);
  started.push(s);
  return s;
}
