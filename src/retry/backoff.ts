/**
 * The one retry delay of the gateway: exponential with full jitter (AWS's "full jitter": a
 * delay drawn uniformly from 0 to min(cap, base * 2^(attempt-1))). Full jitter spreads the
 * retries of many jobs that failed together (a partner's server back after an outage) instead
 * of sending them back in waves. The random source is injected so tests can pin it.
 */

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Outbox jobs: 5 s, 10 s, 20 s ... up to 15 minutes (before jitter). */
export const JOB_BACKOFF: BackoffPolicy = { baseMs: 5000, capMs: 15 * 60_000 };

/** The delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = JOB_BACKOFF, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoffDelay: attempt must be a whole number from 1, got ${attempt}`);
  // 2 ** 60 overflows nothing in a double, but cap the exponent so the product stays finite for any attempt.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt - 1, 52));
  const r = random();
  // A source that returns 1 (or more) must not exceed the ceiling.
  return Math.floor(Math.min(Math.max(r, 0), 0.999999999) * ceiling);
}
