import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs, type BackoffSettings } from './backoff.js';
import { isPermanent, RetryLaterError } from './errors.js';

/** How `withRetries` retries: the waits, when to give up, and what it tells the caller. */
export interface RetryOptions {
  /** The wait before retry n (0 for the first): exponential, capped, with jitter (backoffDelayMs). */
  backoff: BackoffSettings;
  /** Attempts in all, the first included; absent: no limit. */
  maxAttempts?: number;
  /** No attempt starts later than this after the first one did; absent: no limit. */
  maxElapsedMs?: number;
  /** Whether a failure may be retried. Default: all but a PermanentError. */
  retryable?(error: Error): boolean;
  /**
   * The wait the other side asked for (RetryInfo, Retry-After), which replaces the backoff's.
   * Default: a RetryLaterError's retryAfterMs.
   */
  retryAfterMs?(error: Error): number | undefined;
  /** Called before each wait, with the number of the attempt that failed (1 for the first). */
  onRetry?(error: Error, delayMs: number, attempt: number): void;
  /**
   * Ends the retries: a wait in progress ends at once, and from then on a failure is final. An
   * attempt still runs when the signal is already aborted, so the work is tried at least once.
   */
  signal?: AbortSignal;
  /**
   * After a wait that `signal` cut short, one last attempt rather than none: for work that is lost
   * unless it is taken now. Default: none (work that stays queued for the next start).
   */
  finalAttemptOnAbort?: boolean;
  /** For the jitter; Math.random by default. */
  random?: () => number;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
const retryLaterDelay = (error: Error): number | undefined => (error instanceof RetryLaterError ? error.retryAfterMs : undefined);

/**
 * Runs `work` until it succeeds, waiting between attempts as `options` say; rejects with the last
 * failure once that is not retryable, the attempts or the time are used up, or `signal` ended the
 * retries (the caller tells which by what it asked for).
 */
export async function withRetries<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal, retryable = (error: Error) => !isPermanent(error), retryAfterMs = retryLaterDelay } = options;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const error = asError(err);
      if (signal?.aborted || !retryable(error)) throw error;
      if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) throw error;
      const delayMs = retryAfterMs(error) ?? backoffDelayMs(options.backoff, attempt - 1, options.random);
      if (options.maxElapsedMs !== undefined && performance.now() - started + delayMs > options.maxElapsedMs) throw error;
      options.onRetry?.(error, delayMs, attempt);
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        // Cut short by `signal`: the attempt after it, if any, is the last.
        if (!options.finalAttemptOnAbort) throw error;
      }
    }
  }
}
