/**
 * Our own token buckets, one per seller and operation: seeded with Amazon's published rate and
 * burst, adapted to x-amzn-RateLimit-Limit when Amazon sends it, emptied by a 429. Callers wait
 * for a token instead of finding out from Amazon.
 */
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
  /** Callers waiting, in order, so that a burst of callers does not stampede. */
  queue: Promise<void> = Promise.resolve();
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

export class QuotaRegistry {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    /** The same speed-up the emulator runs at (1 against Amazon). */
    private readonly timeScale = 1,
    private readonly clock: Clock = realClock,
  ) {}

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
    const turn = b.queue.then(async () => {
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

  /** Amazon said the applied rate (requests per second). */
  observe(seller: string, operation: string, headerRate: string | undefined): void {
    const rate = Number(headerRate);
    if (!headerRate || !Number.isFinite(rate) || rate <= 0) return;
    this.bucket(seller, operation).rate = rate * this.timeScale;
  }

  /** Amazon said 429: whatever we thought we had, we have nothing. */
  throttled(seller: string, operation: string): void {
    const b = this.bucket(seller, operation);
    b.refill(this.clock.now());
    b.tokens = Math.min(b.tokens, 0);
  }

  limit(seller: string, operation: string): Limit {
    const b = this.bucket(seller, operation);
    return { rate: b.rate, burst: b.burst };
  }
}
