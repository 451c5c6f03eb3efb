/**
 * Real data for the messages and orders API tests, made by running the real flows: acme's orders
 * from the SP-API emulator through the orders flow into a 940 delivered by the outbox to
 * reno-wms's directory; the warehouse simulator takes it, answers with a 997 that rejects the set
 * of one order (AK5 R with AK3 / AK4 reasons) and, a minute later, ships the other in a 945; the
 * inbound poll settles the 997 and records the package; the outbox confirms it at the emulator.
 * One more order, for a SKU no table maps, is held by an unmapped-sku exception.
 */
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import type { MessageRow } from '../../src/store/store.ts';
import { sampleSeed, startHarness, TestClock, type Harness } from '../flows/harness.ts';

export const RENO = 'reno-wms';
/** Shipped and confirmed (the buyer named in the seed: Jane Doe, 123 Main St, 206-555-0100). */
export const SHIPPED_ORDER = '112-3456789-1234567';
/** Its set is rejected by the warehouse's 997 the first time. */
export const REJECTED_ORDER = '112-9999999-0000001';
/** A SKU no table maps: held. */
export const HELD_ORDER = '112-5555555-0000002';
/** Text of the seed's buyers that must never reach a token without buyerData. */
export const BUYER_TEXT = ['Jane Doe', '123 Main St', '206-555-0100', 'Tremblay', 'Sainte-Catherine', 'Heldon Buyer', '9 Hold Lane'];

export interface OrderFlowData {
  h: Harness;
  clock: TestClock;
  sim: WarehouseSimulator;
  /** The 940 we sent, the 997 and the 945 the warehouse sent. */
  shipOrderFile: MessageRow;
  ackFile: MessageRow;
  adviceFile: MessageRow;
  drain(): Promise<unknown>;
  /** One warehouse cycle, then the gateway's inbound poll and the outbox. */
  exchange(): Promise<void>;
}

export async function runOrderFlow(): Promise<OrderFlowData> {
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  const seed = sampleSeed();
  const acme = seed.sellers.find((s) => s.id === 'acme')!;
  acme.orders ??= [];
  acme.orders.push({
    orderId: HELD_ORDER,
    marketplaceId: 'ATVPDKIKX0DER',
    fulfilledBy: 'MERCHANT',
    status: 'UNSHIPPED',
    createdTime: '2026-11-24T19:00:00Z',
    recipient: { name: 'Heldon Buyer', addressLine1: '9 Hold Lane', city: 'Reno', stateOrRegion: 'NV', postalCode: '89501', countryCode: 'US' },
    items: [{ orderItemId: '44400011133344', sellerSku: 'NOT-IN-ANY-TABLE', asin: 'B0ACME0009', quantity: 1 }],
  });
  const h = await startHarness({ seed, clock, emulator: { clock } });
  const drain = () => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
  const sim = new WarehouseSimulator({ mappings: h.mappings, partner: RENO, root: h.partnerRoot, inventoryEverySeconds: 0, clock, ack: 'accept', rejectOrders: [REJECTED_ORDER] });
  const exchange = async () => {
    await sim.step();
    await pollPartnerFiles(h.ctx, RENO);
    await drain();
  };
  await pollOrders(h.ctx, 'acme');
  await drain();
  clock.advance(10_000);
  await exchange();
  // The simulator ships a minute after it took the order.
  clock.advance(61_000);
  await exchange();
  const files = h.store.list({ kind: 'file', limit: 100 });
  const find = (what: string, f: (m: MessageRow) => boolean) => {
    const m = files.find(f);
    if (!m) throw new Error(`the flows left no ${what}: ${files.map((x) => `${x.direction} ${x.fileName} ${x.status}`).join('; ')}`);
    return m;
  };
  return {
    h,
    clock,
    sim,
    shipOrderFile: find('sent 940', (m) => m.direction === 'out' && /_940_/.test(m.fileName ?? '')),
    ackFile: find('received 997', (m) => m.direction === 'in' && /_997_/.test(m.fileName ?? '')),
    adviceFile: find('received 945', (m) => m.direction === 'in' && /_945_/.test(m.fileName ?? '')),
    drain,
    exchange,
  };
}
