/**
 * The daily reconciliation of each seller (the task `reconcile:<seller>`, every
 * settings.reconcileHours; not in a --once cycle, `dockgate reconcile` runs it by hand):
 *
 *   Amazon (merchant listings report + FBA fulfillable) + store -> by-SKU rows -> inventory-drift per (seller, SKU)
 *   Amazon (searchOrders of the window) + store                  -> order rows  -> order-stuck per (seller, order)
 *
 * Each run's result is stored (src/reconciliation/store.ts) for the API and the dashboard. An
 * exception is resolved by the first later run that finds its SKU within tolerance or its order
 * moved on; an order stuck at another step than its open exception says is a new cause.
 */
import { AmazonApiError, AmazonConfigError } from '../amazon/index.ts';
import type { CheckTask, SellerTask } from '../gateway/gateway.ts';
import { readAmazonSide, type AmazonSide } from '../reconciliation/amazon-side.ts';
import { reconcileBySku, type ReconciliationReport, type ReconciliationRow } from '../reconciliation/by-sku.ts';
import { reconcileOrders, type OrderReconciliationRow, type OrdersReconciliation, type OrdersReconcileOptions } from '../reconciliation/orders.ts';
import { saveInventoryRun, saveOrdersRun } from '../reconciliation/store.ts';
import type { DocumentRoute, ExceptionRetries, FlowRunSummary, GatewayContext, JobHandlers } from './context.ts';

export interface InventoryRun {
  report: ReconciliationReport;
  amazon: AmazonSide;
  drift: ReconciliationRow[];
  raised: number;
  resolved: number;
}

const figures = (r: ReconciliationRow) => `warehouse expects ${r.expected ?? '?'}, Dockgate's last accepted ${r.amazonAccepted ?? 'none'}${r.pending !== null ? ` (pending ${r.pending})` : ''}, Amazon shows ${r.amazonQuantity ?? 'no MFN quantity'}`;

/** The by-SKU reconciliation of one seller against Amazon now: rows, exceptions raised and resolved, the run stored. */
export async function reconcileInventory(ctx: GatewayContext, seller: string): Promise<InventoryRun> {
  const t0 = performance.now();
  const amazon = await readAmazonSide(ctx, seller);
  const t1 = performance.now();
  const tolerance = ctx.settings.reconcileToleranceUnits;
  const report = await reconcileBySku(ctx, { seller, amazon: new Map([[seller, amazon]]), toleranceUnits: tolerance });
  const t2 = performance.now();
  const now = report.generatedAt;
  const drift = report.rows.filter((r) => r.status === 'drift');
  const open = new Map((await ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], kind: 'inventory-drift', seller })).map((x) => [x.key, x]));
  let raised = 0;
  let resolved = 0;
  for (const r of drift) {
    await ctx.store.work.exceptions.raise({
      kind: 'inventory-drift',
      severity: 'warning',
      seller,
      key: r.sku,
      message: `${seller} ${r.sku}: ${figures(r)}: ${r.driftUnits} unit(s) apart (tolerance ${tolerance}); ${r.movedNote ?? 'which side moved last is not known'}`,
      context: {
        where: `SKU ${r.sku}`,
        details: {
          expected: r.expected,
          accepted: r.amazonAccepted,
          acceptedAt: r.acceptedAt,
          pending: r.pending,
          amazonQuantity: r.amazonQuantity,
          amazonCheckedAt: r.amazonCheckedAt,
          driftUnits: r.driftUnits,
          tolerance,
          movedLast: r.movedLast,
          movedAt: r.movedAt,
          warehouseMovedAt: r.warehouseMovedAt,
          snapshotAsOf: r.snapshotAsOf,
        },
      },
      now,
    });
    raised++;
  }
  // Resolved only where this run could judge the SKU (a stale count says nothing either way).
  const judged = new Map(report.rows.filter((r) => r.status !== 'stale').map((r) => [r.sku, r]));
  const listed = new Set(report.rows.map((r) => r.sku));
  for (const [sku] of open) {
    const r = judged.get(sku);
    const gone = !listed.has(sku);
    if (gone || (r && r.status !== 'drift')) {
      await ctx.store.work.exceptions.resolveCause('inventory-drift', sku, seller, null, gone ? 'the SKU is no longer in the table or on Amazon' : `within tolerance at ${now}: ${figures(r!)}`, now);
      resolved++;
    }
  }
  const t3 = performance.now();
  await saveInventoryRun(ctx.store, amazon, { skus: report.rows.length, drift: drift.length }, now);
  const ms = { amazon: Math.round(t1 - t0), rows: Math.round(t2 - t1), exceptions: Math.round(t3 - t2), stored: Math.round(performance.now() - t3) };
  ctx.log.info({ event: 'reconcile.inventory', seller, skus: report.rows.length, drift: drift.length, raised, resolved, ms }, 'by-SKU reconciliation');
  return { report, amazon, drift, raised, resolved };
}

export interface OrdersRun {
  report: OrdersReconciliation;
  stuck: OrderReconciliationRow[];
  raised: number;
  resolved: number;
}

/** The orders reconciliation of one seller: rows, order-stuck raised and resolved, the run stored. */
export async function reconcileOrdersRun(ctx: GatewayContext, seller: string, options: OrdersReconcileOptions = {}): Promise<OrdersRun> {
  const report = await reconcileOrders(ctx, seller, options);
  const now = report.generatedAt;
  const w = ctx.store.work;
  const stuck = report.rows.filter((r) => r.stuck);
  const byId = new Map(report.rows.map((r) => [r.orderId, r]));
  let raised = 0;
  let resolved = 0;
  const open = await w.exceptions.list({ states: ['open', 'acknowledged'], kind: 'order-stuck', seller });
  for (const x of open) {
    const r = byId.get(x.key);
    // Out of this run's rows (before the window, confirmed since): it moved on. At another step: a new cause.
    if (!r || !r.stuck || r.step !== x.context.details?.step) {
      await w.exceptions.resolveCause('order-stuck', x.key, seller, x.partner, r ? `moved on: now at ${r.step}${r.stuck ? ' (stuck there)' : ''} (${now})` : `no longer open (${now})`, now);
      resolved++;
    }
  }
  for (const r of stuck) {
    await w.exceptions.raise({
      kind: 'order-stuck',
      severity: r.step === 'received' || r.step === 'shipment' ? 'error' : 'warning',
      seller,
      ...(r.partner && { partner: r.partner }),
      key: r.orderId,
      message: `order ${r.orderId} stuck at ${r.step} since ${r.since}${r.dueAt ? ` (due ${r.dueAt})` : ''}: ${r.reason}`,
      context: { where: `order ${r.orderId}`, details: { step: r.step, since: r.since, dueAt: r.dueAt, state: r.state, amazonStatus: r.amazonStatus, onAmazon: r.onAmazon, partner: r.partner } },
      ref: r.orderId,
      now,
    });
    raised++;
  }
  await saveOrdersRun(ctx.store, report, { orders: report.rows.length, stuck: stuck.length }, now);
  ctx.log.info({ event: 'reconcile.orders', seller, orders: report.rows.length, stuck: stuck.length, raised, resolved }, 'orders reconciliation');
  return { report, stuck, raised, resolved };
}

/** Both reconciliations of one seller, as the scheduled task runs them. */
export async function reconcileSeller(ctx: GatewayContext, seller: string): Promise<FlowRunSummary> {
  const counts: Record<string, number> = {};
  let failed = 0;
  // The seller itself unavailable (credentials, auth, Amazon down): the gateway's seller-unavailable handling takes it.
  const unavailable = (e: unknown) => e instanceof AmazonConfigError || (e instanceof AmazonApiError && (e.kind === 'auth' || e.retryable));
  // One failing (a report Amazon did not produce) does not keep the other from running.
  try {
    const inv = await reconcileInventory(ctx, seller);
    Object.assign(counts, { skus: inv.report.rows.length, drift: inv.drift.length });
  } catch (e) {
    if (unavailable(e)) throw e;
    failed++;
    ctx.log.error({ event: 'reconcile.failed', seller, part: 'inventory', err: (e as Error).message }, `by-SKU reconciliation of ${seller} failed: ${(e as Error).message}`);
  }
  try {
    const ord = await reconcileOrdersRun(ctx, seller);
    Object.assign(counts, { orders: ord.report.rows.length, stuck: ord.stuck.length });
  } catch (e) {
    if (unavailable(e)) throw e;
    failed++;
    ctx.log.error({ event: 'reconcile.failed', seller, part: 'orders', err: (e as Error).message }, `orders reconciliation of ${seller} failed: ${(e as Error).message}`);
  }
  return { flow: 'reconcile', scope: seller, counts, failed };
}

export const sellerTasks: SellerTask[] = [{ name: 'reconcile', everySeconds: (ctx) => ctx.settings.reconcileHours * 3600, inOnce: false, run: reconcileSeller }];
export const checks: CheckTask[] = [];
export const handlers: JobHandlers = {};
export const retries: ExceptionRetries = {};
export const routes: DocumentRoute[] = [];
