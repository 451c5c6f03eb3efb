/** The emulator seeded with the sample sellers, and adapters for them, for the Amazon tests. */
import { join, resolve } from 'node:path';
import { AmazonAdapter, type AdapterOptions } from '../../src/amazon/adapter.ts';
import { AmazonEmulator, type EmulatorOptions } from '../../src/sandbox/amazon/emulator.ts';
import { loadSeed, type Seed } from '../../src/sandbox/amazon/state.ts';
import { QuotaRegistry, type Clock } from '../../src/amazon/quota.ts';

export const root = resolve(import.meta.dirname, '../..');
export const sampleSeed = (): Seed => loadSeed(join(root, 'samples/sandbox/amazon-seed.yaml'));

export const SELLERS = {
  acme: { id: 'acme', sellingPartnerId: 'A1ACMEBRANDS01', region: 'na' as const, marketplaces: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'], credentials: { clientId: 'amzn1.application-oa2-client.test', clientSecret: 'test-secret', refreshToken: 'Atzr|acme-sandbox-refresh-token' } },
  northwind: { id: 'northwind', sellingPartnerId: 'A2NORTHWIND001', region: 'na' as const, marketplaces: ['ATVPDKIKX0DER'], credentials: { clientId: 'amzn1.application-oa2-client.test', clientSecret: 'test-secret', refreshToken: 'Atzr|northwind-sandbox-refresh-token' } },
};

export async function withEmulator<T>(options: Partial<EmulatorOptions>, run: (emu: AmazonEmulator, adapter: (seller: keyof typeof SELLERS, o?: AdapterOptions) => AmazonAdapter) => Promise<T>): Promise<T> {
  const emu = new AmazonEmulator({ seed: sampleSeed(), timeScale: 100, ...options });
  const port = await emu.start();
  if (options.clock instanceof LockstepClock) options.clock.watch(emu);
  const made: AmazonAdapter[] = [];
  try {
    return await run(emu, (seller, o = {}) => {
      const a = new AmazonAdapter(SELLERS[seller], { endpoint: { port }, timeScale: options.timeScale ?? 100, timeoutMs: 2000, ...o });
      made.push(a);
      return a;
    });
  } finally {
    for (const a of made) a.close();
    await emu.stop();
  }
}

/** A seed order for the many-orders tests. */
export function manyOrders(n: number, marketplaceId = 'ATVPDKIKX0DER') {
  return Array.from({ length: n }, (_, i) => ({
    orderId: `114-${String(1000000 + i).slice(-7)}-${String(7000000 + i).slice(-7)}`,
    marketplaceId,
    createdTime: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    recipient: { name: `Buyer ${i}`, addressLine1: `${i} Main St`, city: 'Reno', stateOrRegion: 'NV', postalCode: '89502', countryCode: 'US' },
    items: [{ orderItemId: String(40000000000000 + i), sellerSku: 'TSHIRT-RED-M', asin: 'B0ACME0001', quantity: 1 }],
  }));
}

/**
 * Emulated time shared by the emulator's buckets and ours, for quota tests that must not depend on
 * how loaded the machine is. Time passes only when the adapter sleeps, and only once every request
 * it was granted a token for has reached the emulator: a request therefore arrives at the emulated
 * instant its token was taken, whatever the scheduler does in between. A bucket that lets too much
 * through still meets Amazon's 429, deterministically.
 */
export class LockstepClock implements Clock {
  private t = Date.now();
  /** Requests granted by our buckets (counted by `quota()`), against calls the emulator has answered. */
  private granted = 0;
  private emu: AmazonEmulator | null = null;

  now(): number {
    return this.t;
  }

  async sleep(ms: number): Promise<void> {
    const wake = this.t + ms;
    // Bounded in real time only so that a request that never arrives (a test's own hang fault) cannot deadlock.
    const giveUp = Date.now() + 60_000;
    do await new Promise((r) => setImmediate(r));
    while (!this.settled() && Date.now() < giveUp);
    if (wake > this.t) this.t = wake;
  }

  private settled(): boolean {
    return !this.emu || this.emu.calls.filter((c) => c.operation !== 'lwaToken').length >= this.granted;
  }

  /** The emulator to watch for arrivals. */
  watch(emu: AmazonEmulator): void {
    this.emu = emu;
  }

  /** A quota registry on this clock that counts what it grants. */
  quota(timeScale: number): QuotaRegistry {
    const registry = new QuotaRegistry(timeScale, this);
    const acquire = registry.acquire.bind(registry);
    registry.acquire = async (seller, operation) => {
      await acquire(seller, operation);
      this.granted++;
    };
    return registry;
  }
}
