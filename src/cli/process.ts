/**
 * The process around a running gateway: signals and fatal errors.
 *
 * - First SIGTERM/SIGINT: graceful shutdown (see src/server/gateway.ts), logs flushed, exit 0
 *   (1 if the shutdown itself failed).
 * - Second signal: the shutdown hurries — what is left of the delay and the timeout is skipped,
 *   streams get their final error event, connections are cut; still exit 0 once closed.
 * - Third signal: exit 1 at once (logs flushed synchronously).
 * - An uncaught exception or unhandled rejection: logged as fatal, logs flushed synchronously,
 *   exit 1. The process state is unknown after one, so nothing else is attempted.
 */
import { flushLog, flushLogSync, type Logger } from '../observability/logger.js';

export interface Stoppable {
  /** The graceful shutdown. */
  close(): Promise<void>;
  /** Skip to the end of the graceful shutdown in progress. */
  hurry?(): void;
}

export function stopOnSignals(target: Stoppable, logger: Logger): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      logger.info({ signal }, 'shutdown: signal received');
      target.close().then(
        async () => {
          await flushLog(logger);
          process.exit(0);
        },
        (err: unknown) => {
          logger.fatal({ err: (err as Error)?.message }, 'shutdown failed');
          flushLogSync(logger);
          process.exit(1);
        },
      );
      return;
    }
    if (signals === 2 && target.hurry !== undefined) {
      logger.warn({ signal }, 'shutdown: second signal; stopping in-flight work now');
      target.hurry();
      return;
    }
    logger.warn({ signal }, 'shutdown: exiting at once');
    flushLogSync(logger);
    process.exit(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Fatal errors are logged and flushed before the process exits 1. */
export function exitOnCrash(logger: Logger): void {
  const die = (kind: string) => (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    try {
      logger.fatal({ err: e.name, stack: e.stack }, kind);
    } finally {
      flushLogSync(logger);
      process.exit(1);
    }
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}
