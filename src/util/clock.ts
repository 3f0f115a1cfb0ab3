/**
 * Time as a dependency. Logic that waits (queues, leases, breakers, limits) takes a `Clock` so its
 * unit tests can advance time by hand instead of sleeping; production code passes `realClock`.
 *
 * Node's fake timers (`node:test` mock.timers) patch the globals of the whole process, which
 * would also freeze the sockets and timers of anything else a test runs; an explicit parameter
 * changes only the object under test. That is why this small interface is hand-written.
 */

declare const timerBrand: unique symbol;
/** An opaque timer handle: only the clock that made it can cancel it. */
export interface TimerHandle { readonly [timerBrand]: true }

export interface Clock {
  /** Milliseconds since the Unix epoch (Date.now() for the real clock). */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired yet; harmless on one that has (or was cancelled). */
  clearTimeout(handle: TimerHandle): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => { clearTimeout(handle as unknown as NodeJS.Timeout); },
};
