/**
 * mulberry32: a tiny seeded PRNG returning floats in [0, 1). Used wherever a run must be
 * reproducible (the simulator's text, detector training, benchmark and test data); Math.random
 * cannot be seeded. Hand-written: it is eight lines, and a package would add nothing.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
