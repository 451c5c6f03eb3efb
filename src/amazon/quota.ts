/**
 * Our own token buckets, one per seller and operation: seeded with Amazon's published rate and
 * burst, adapted to x-amzn-RateLimit-Limit when Amazon sends it, emptied by a 429. Callers wait
 * for a token instead of finding out from Amazon.
 *
 * Amazon's quota is per seller, not per process: several gateway instances on one store share
 * their buckets through the store (`shared`, the store's QuotaRepo), each token taken there in
 * one atomic statement, so that together they send no more than one instance would. Without it
 * (tests, the CLI without a store) the buckets live in this process.
 */
import type { QuotaRepo } from '../store/work.ts';
import rateLimits from './rate-limits.json' with { type: 'json' };

export interface Limit {
  rate: number;
  burst: number;
}

export const PUBLISHED_LIMITS: Record<string, Limit> = rateLimits.operations;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

class Bucket {
  tokens: number;
  at: number;
  /** Callers waiting, in order, so that a burst of callers does not stampede (the database, when shared). */
  queue: Promise<void> = Promise.resolve();
  /** The rate last written to the shared bucket (undefined: the seed, never written). */
  sharedRate: number | undefined;
  constructor(
    public rate: number,
    public burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }
  refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}

export interface SharedQuota {
  /** The store's buckets, shared by every instance on it. */
  repo: QuotaRepo;
  /**
   * A write to the shared bucket after Amazon answered (its rate, a 429) failed: told here, not
   * thrown, so that a call Amazon carried out is not reported failed (and sent again) for it.
   */
  onError?: (error: unknown, what: { seller: string; operation: string; write: 'drain' | 'setRate' }) => void;
}

export class QuotaRegistry {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    /** The same speed-up the emulator runs at (1 against Amazon). */
    private readonly timeScale = 1,
    private readonly clock: Clock = realClock,
    private readonly shared?: SharedQuota,
  ) {}

  /**
   * The shared bucket's key. Its rate is scaled by the time scale, so the scale is part of the key
   * unless it is 1: a data directory used against the emulator and then against Amazon must not
   * hand Amazon the emulator's rate.
   */
  private sharedKey(seller: string, operation: string): string {
    return `${seller}/${operation}${this.timeScale === 1 ? '' : `@x${this.timeScale}`}`;
  }

  private bucket(seller: string, operation: string): Bucket {
    const key = `${seller}\u0000${operation}`;
    let b = this.buckets.get(key);
    if (!b) {
      const l = PUBLISHED_LIMITS[operation] ?? { rate: 1, burst: 1 };
      // One token of the burst is kept back: requests leave a little later than they are
      // allowed (a free socket, network jitter), and two that bunch up must not make a 429.
      b = new Bucket(l.rate * this.timeScale, Math.max(1, l.burst - 1), this.clock.now());
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Wait until a request may be sent. */
  acquire(seller: string, operation: string): Promise<void> {
    const b = this.bucket(seller, operation);
    const shared = this.shared;
    const key = this.sharedKey(seller, operation);
    const turn = b.queue.then(async () => {
      if (shared) {
        // One round trip per token; this process's other callers wait their turn in the queue.
        // The clock is read once the store's write lock is ours (a wait for it would otherwise
        // count as the request's way to Amazon, and requests that bunch up there make a 429).
        const now = () => this.clock.now();
        for (;;) {
          const wait = await shared.repo.take(key, b.rate, b.burst, now);
          if (wait === 0) return;
          await this.clock.sleep(wait);
        }
      }
      for (;;) {
        b.refill(this.clock.now());
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        await this.clock.sleep(Math.max(1, ((1 - b.tokens) / b.rate) * 1000));
      }
    });
    b.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Amazon said the applied rate (requests per second). Never rejects (see SharedQuota.onError). */
  async observe(seller: string, operation: string, headerRate: string | undefined): Promise<void> {
    const rate = Number(headerRate);
    if (!headerRate || !Number.isFinite(rate) || rate <= 0) return;
    const b = this.bucket(seller, operation);
    b.rate = rate * this.timeScale;
    // Written when it changes (not on every call), and again after a failed write.
    if (!this.shared || b.sharedRate === b.rate) return;
    const written = b.rate;
    try {
      await this.shared.repo.setRate(this.sharedKey(seller, operation), written);
      b.sharedRate = written;
    } catch (e) {
      this.shared.onError?.(e, { seller, operation, write: 'setRate' });
    }
  }

  /** Amazon said 429: whatever we (every instance, when shared) thought we had, we have nothing. Never rejects. */
  async throttled(seller: string, operation: string): Promise<void> {
    const b = this.bucket(seller, operation);
    b.refill(this.clock.now());
    b.tokens = Math.min(b.tokens, 0);
    if (!this.shared) return;
    try {
      await this.shared.repo.drain(this.sharedKey(seller, operation), () => this.clock.now());
    } catch (e) {
      this.shared.onError?.(e, { seller, operation, write: 'drain' });
    }
  }

  limit(seller: string, operation: string): Limit {
    const b = this.bucket(seller, operation);
    return { rate: b.rate, burst: b.burst };
  }
}
