/**
 * The logger: pino JSON lines. Redaction by construction — modelgate never passes a key, a
 * prompt or a completion to the logger (only a key id, lengths and a short hash); the pino
 * `redact` paths are a second net for credential headers should any code log headers.
 *
 * Lines are buffered (one write(2) per 4 KB instead of one per request: the hot path stays cheap)
 * but never held for long: a timer flushes whatever is buffered every FLUSH_INTERVAL_MS, so a line
 * reaches stdout within that time even at one request an hour, and a crash or SIGKILL loses at
 * most that much. Exits flush synchronously (`flushLogSync`); see src/cli/process.ts.
 */
import { createHash } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]',
  'authorization', 'apiKey', 'key', 'token', 'prompt', 'completion', 'messages',
];

/** Longest a line waits in the buffer before it is written. */
export const FLUSH_INTERVAL_MS = 250;
/** Buffered bytes that trigger a write at once (under load, the timer never has to). */
const MIN_WRITE_BYTES = 4096;

/**
 * pino's isoTime (`,"time":"<ISO 8601>"`), the string made once per millisecond: under load many
 * lines share a millisecond, and Date#toISOString per line was about 2% of a request's CPU
 * (bench:profile, 2026-12-07). At a few thousand lines a second most lines still start a new
 * millisecond, and toISOString was then 0.6% of a streamed request's profile: the date and time
 * up to the second are made once per second, and the milliseconds appended from a table. A time
 * whose ISO string is not 24 characters (a year outside 0–9999) takes toISOString whole.
 */
export function isoTimeCached(now: () => number = Date.now): () => string {
  let last = NaN;
  let lastSecond = NaN;
  let head = '';
  let out = '';
  return () => {
    const t = now();
    if (t !== last) {
      last = t;
      const ms = ((t % 1000) + 1000) % 1000;
      const second = t - ms;
      if (second !== lastSecond) {
        lastSecond = second;
        const iso = new Date(second).toISOString();
        head = iso.length === 24 ? `,"time":"${iso.slice(0, 20)}` : '';
      }
      out = head === '' ? `,"time":"${new Date(t).toISOString()}"` : `${head}${MILLIS[ms] as string}Z"`;
    }
    return out;
  };
}

type Boom = ReturnType<typeof pino.destination> & { readonly destroyed?: boolean };
/** '000' … '999'. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

const BOOMS = new WeakMap<Logger, Boom>();

/**
 * sonic-boom (pino's own writer) with a minimum write size, plus an unref'd timer that flushes it
 * when something was written since the last tick. sonic-boom has no "flush if older than" option,
 * hence the timer; the `pending` flag keeps an idle process from issuing empty writes.
 */
function bufferedDestination(fd: number): Boom {
  // Buffer mode: in its default (string) mode sonic-boom takes Buffer.byteLength of the whole
  // pending string on every write, which flattens and scans up to maxWrite bytes per line (4–5 µs
  // of CPU per access-log line on a 2-vCPU AMD machine, more than the line's JSON.stringify).
  // In buffer mode it keeps the lengths; a line becomes bytes once, here.
  const boom: Boom = pino.destination({ fd, sync: false, minLength: MIN_WRITE_BYTES, contentMode: 'buffer' });
  let pending = false;
  const write = boom.write.bind(boom) as unknown as (chunk: Buffer) => boolean;
  boom.write = (chunk: string | Buffer): boolean => {
    pending = true;
    return write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  };
  const timer = setInterval(() => {
    if (!pending || boom.destroyed === true) return;
    pending = false;
    boom.flush();
  }, FLUSH_INTERVAL_MS);
  timer.unref();
  boom.once('close', () => clearInterval(timer));
  return boom;
}

/**
 * A logger writing JSON lines to `destination` when given (tests capture lines that way), else to
 * file descriptor `fd` (stdout by default) through the buffered writer above.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, fd = 1): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: { service: 'modelgate' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: isoTimeCached(),
  };
  const boom = destination === undefined ? bufferedDestination(fd) : undefined;
  const logger = pino(opts, boom ?? destination);
  if (boom !== undefined) BOOMS.set(logger, boom);
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as pino.DestinationStream;
  const chindings = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym];
  const time = opts.timestamp as () => string;
  const info = logger.levels.values.info as number;
  if (typeof chindings === 'string' && typeof stream?.write === 'function') {
    LINES.set(logger, (fields, msg) => {
      const body = JSON.stringify(fields);
      stream.write(`{"level":${info}${time()}${chindings}${body.length > 2 ? `,${body.slice(1, -1)}` : ''},"msg":${JSON.stringify(msg)}}\n`);
    });
  }
  return logger;
}

/** The top-level field of every redact path ('req.headers.authorization' → 'req'): a line holding one goes through pino. */
const REDACT_FIELDS: readonly string[] = [...new Set(REDACT_PATHS.map((p) => (/^[A-Za-z_$][\w$]*/.exec(p) ?? [p])[0]))];
/** Info lines of plain fields written without pino's generic serialiser, for loggers made here. */
const LINES = new WeakMap<Logger, (fields: Readonly<Record<string, unknown>>, msg: string) => void>();

/**
 * An info line of `fields` (strings, numbers, booleans, undefined, and plain objects or arrays of
 * them: no Error) — the access log's line, once per request. A line with a field the redact paths
 * start with goes through logger.info, so pino redacts it as before. Otherwise, for a
 * logger made by createLogger it is written as pino would write it (level, time, bindings, the
 * fields, msg; undefined fields left out), with one JSON.stringify instead of pino's serialiser and
 * redaction wrappers (about 4% of a request's CPU, bench:profile 2026-12-07); for any other logger
 * (a library user's own pino), through logger.info.
 */
export function infoLine(logger: Logger, fields: Readonly<Record<string, unknown>>, msg: string): void {
  if (!logger.isLevelEnabled('info')) return;
  const line = LINES.get(logger);
  if (line !== undefined && !REDACT_FIELDS.some((f) => f in fields)) line(fields, msg);
  else logger.info(fields, msg); // pino's redaction stays the second net should a field it names ever appear
}

/**
 * Write everything buffered now, synchronously: for the last moments of a process (fatal error,
 * uncaught exception, exit). Never throws — a log that cannot be written must not hide the exit.
 */
export function flushLogSync(logger: Logger): void {
  const boom = BOOMS.get(logger);
  try {
    if (boom !== undefined && boom.destroyed !== true) boom.flushSync();
    else logger.flush();
  } catch { /* stdout closed: nothing more can be done */ }
}

/** Resolves once everything logged so far has been handed to the OS (graceful exit). */
export function flushLog(logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** What may be logged about a text: its length and a short hash to correlate repeats. */
export function fingerprint(text: string): string {
  return `len=${text.length} sha256=${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}
