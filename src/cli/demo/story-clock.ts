/**
 * The demo's clock, shared by the gateway, the SP-API emulator's order times and the simulated
 * warehouses. While the story is told it stands still and is moved (a late 997 is an hour and a
 * half of story that takes no time); a flow's sleep moves it too, as the tests' clock does. Once
 * the story is told it goes live: wall-clock time from then on (never back before the story's
 * last moment), so the gateway and the warehouses keep running while the dashboard is up.
 */
import type { GatewayClock } from '../../flows/context.ts';
import { realWarehouseClock, type WarehouseClock } from '../../sandbox/warehouse/index.ts';

export class StoryClock implements GatewayClock, WarehouseClock {
  private t: number;
  private liveFrom: { wall: number; story: number } | null = null;

  constructor(
    /** The story's first moment (T). */
    readonly start: Date,
  ) {
    this.t = start.getTime();
  }

  now(): Date {
    if (!this.liveFrom) return new Date(this.t);
    return new Date(this.liveFrom.story + (Date.now() - this.liveFrom.wall));
  }

  /** Minutes of story since T. */
  minutes(): number {
    return Math.round((this.now().getTime() - this.start.getTime()) / 60_000);
  }

  /** Move to T + minutes (never back). */
  at(minutes: number): void {
    if (this.liveFrom) throw new Error('the story clock is live: it cannot be moved');
    this.t = Math.max(this.t, this.start.getTime() + minutes * 60_000);
  }

  /** Wall-clock time from now on, from the later of the story's moment and the wall clock's. */
  goLive(): void {
    if (this.liveFrom) return;
    const wall = Date.now();
    this.liveFrom = { wall, story: Math.max(this.t, wall) };
  }

  get live(): boolean {
    return this.liveFrom !== null;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.liveFrom) return realWarehouseClock.sleep(ms, signal);
    this.t += ms;
  }
}
