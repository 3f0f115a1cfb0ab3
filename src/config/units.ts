/** Durations and sizes as the configuration writes them ("30s", "100kb") or as plain numbers. */

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function parseUnit(value: string | number, table: Record<string, number>, what: string): number {
  if (typeof value === 'number') return value;
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-z]+)$/.exec(value);
  const factor = m?.[2] !== undefined ? table[m[2]] : undefined;
  if (m === null || m[1] === undefined || factor === undefined) throw new Error(`not a ${what}: ${value}`);
  return Math.round(Number(m[1]) * factor);
}

export function durationMs(value: string | number): number {
  return parseUnit(value, DURATION_MS, 'duration');
}

export function sizeBytes(value: string | number): number {
  return parseUnit(value, SIZE_BYTES, 'size');
}
