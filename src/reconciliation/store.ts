/**
 * Each reconciliation run's result, kept through the store interface: the bytes in the blob
 * store, a cursor `reconcile:<seller>:inventory` / `reconcile:<seller>:orders` naming the last
 * run's blob with its time and counts. The API and `dockgate serve` read them back without
 * calling Amazon per request.
 */
import type { GatewayStore } from '../store/work.ts';
import { fromStored, toStored, type AmazonSide, type StoredAmazonSide } from './amazon-side.ts';
import type { OrdersReconciliation } from './orders.ts';

export type RunKind = 'inventory' | 'orders';

export const runCursor = (seller: string, kind: RunKind) => `reconcile:${seller}:${kind}`;

export interface RunPointer {
  runAt: string;
  sha256: string;
  counts: Record<string, number>;
}

/** The last parsed blobs (a 50,000-SKU run is megabytes: parse it once per run, not per request). */
const parsed = new Map<string, unknown>();

async function save(store: GatewayStore, seller: string, kind: RunKind, body: unknown, counts: Record<string, number>, now: string): Promise<RunPointer> {
  const blob = await store.blobs.putBuffer(Buffer.from(JSON.stringify(body)));
  const pointer: RunPointer = { runAt: now, sha256: blob.sha256, counts };
  await store.work.cursors.set(runCursor(seller, kind), JSON.stringify(pointer), now);
  return pointer;
}

async function load<T>(store: GatewayStore, seller: string, kind: RunKind): Promise<{ pointer: RunPointer; body: T } | null> {
  const text = await store.work.cursors.get(runCursor(seller, kind));
  if (!text) return null;
  const pointer = JSON.parse(text) as RunPointer;
  if (!store.blobs.has(pointer.sha256)) return null;
  let body = parsed.get(pointer.sha256) as T | undefined;
  if (body === undefined) {
    body = JSON.parse((await store.blobs.read(pointer.sha256)).toString('utf8')) as T;
    if (parsed.size >= 16) parsed.delete(parsed.keys().next().value!);
    parsed.set(pointer.sha256, body);
  }
  return { pointer, body };
}

export const saveInventoryRun = (store: GatewayStore, side: AmazonSide, counts: Record<string, number>, now: string) => save(store, side.seller, 'inventory', toStored(side), counts, now);

export async function loadInventoryRun(store: GatewayStore, seller: string): Promise<{ pointer: RunPointer; amazon: AmazonSide } | null> {
  const r = await load<StoredAmazonSide>(store, seller, 'inventory');
  return r && { pointer: r.pointer, amazon: fromStored(r.body) };
}

/** The Amazon side of each seller's last run, for reconcileBySku's `amazon` option. */
export async function lastAmazonSides(store: GatewayStore, sellers: string[]): Promise<Map<string, AmazonSide>> {
  const out = new Map<string, AmazonSide>();
  for (const s of sellers) {
    const r = await loadInventoryRun(store, s);
    if (r) out.set(s, r.amazon);
  }
  return out;
}

export const saveOrdersRun = (store: GatewayStore, report: OrdersReconciliation, counts: Record<string, number>, now: string) => save(store, report.seller, 'orders', report, counts, now);

export async function loadOrdersRun(store: GatewayStore, seller: string): Promise<{ pointer: RunPointer; report: OrdersReconciliation } | null> {
  const r = await load<OrdersReconciliation>(store, seller, 'orders');
  return r && { pointer: r.pointer, report: r.body };
}
