/**
 * The reconciliation reports over HTTP, as JSON and as CSV (the same rows and order).
 *
 * By SKU: computed now from the store (src/reconciliation/by-sku.ts), with Amazon's side (the
 * listing's channel and MFN quantity, FBA fulfillable, which side moved last) from each
 * seller's last reconciliation run: no Amazon call per request. Orders: the last run of each
 * seller as stored (the run searched Amazon; a request cannot). This module only checks the
 * query and shapes the answer.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { CSV_COLUMNS, MOVED_SIDES, RECONCILIATION_STATUSES, reconcileBySku, SORTABLE_COLUMNS, type ReconciliationOptions } from '../../reconciliation/by-sku.ts';
import { ORDER_CSV_COLUMNS, ORDER_SORTABLE_COLUMNS, ORDER_STEPS, sortOrderRows, type OrderReconciliationRow } from '../../reconciliation/orders.ts';
import { lastAmazonSides, loadInventoryRun, loadOrdersRun } from '../../reconciliation/store.ts';
import { ACK_STATES, ORDER_STATES } from '../../store/work.ts';
import { ApiError, defineRoute, type ApiDeps, type RouteModule } from '../api.ts';

const Num = z.number().int().nullable();

const RowSchema = z
  .object({
    seller: z.string(),
    sku: z.string(),
    partner: z.string().nullable().describe("The partners whose counts fill the seller's MFN orders"),
    warehouseSku: z.string().nullable().describe('The warehouse item (null for a kit or an unmapped SKU)'),
    packSize: Num,
    kit: z.array(z.object({ warehouseItem: z.string(), perKit: z.number().int(), sellable: z.number().int(), inFlight: z.number().int() }).strict()).nullable(),
    warehouseStock: z
      .array(z.object({ partner: z.string(), warehouseItem: z.string(), state: z.string(), quantity: z.number().int(), sellable: z.boolean() }).strict())
      .describe("The last snapshot's counts of the SKU's warehouse item(s), every state"),
    sellable: Num.describe('Warehouse units in sellable states'),
    inFlight: Num.describe('Warehouse units of orders the count does not account for'),
    available: Num.describe('Seller units after packs, kits and in-flight orders'),
    buffer: Num,
    expected: Num.describe('What the inventory flow would publish now'),
    amazonAccepted: Num,
    acceptedAt: z.string().nullable(),
    pending: Num,
    pendingSince: z.string().nullable(),
    difference: Num.describe('expected - amazonAccepted'),
    channel: z.enum(['MFN', 'FBA', 'unknown']).nullable(),
    channelCheckedAt: z.string().nullable(),
    snapshotAsOf: z.string().nullable(),
    snapshotAppliedAt: z.string().nullable(),
    warehouseMovedAt: z.string().nullable().describe('The last warehouse movement: the count applied, or a later order taking units'),
    amazonChannel: z.string().nullable().describe("The listing's fulfillment-channel in the last run's merchant listings report (DEFAULT, AMAZON_NA...)"),
    amazonListingStatus: z.string().nullable(),
    amazonQuantity: Num.describe('The MFN quantity Amazon showed at the last run'),
    amazonFulfillable: Num.describe("FBA only: Amazon's fulfillable units (never total supply); never fed from warehouse stock"),
    amazonCheckedAt: z.string().nullable().describe('When the last run read Amazon'),
    amazonDifference: Num.describe('amazonQuantity - amazonAccepted'),
    driftUnits: Num.describe('The widest gap between expected, accepted and Amazon, units'),
    movedLast: z.enum(MOVED_SIDES).nullable().describe('Which side moved last when the figures disagree'),
    movedAt: z.string().nullable().describe('When (null for Amazon: after acceptedAt, by amazonCheckedAt)'),
    movedNote: z.string().nullable(),
    status: z.enum(RECONCILIATION_STATUSES),
  })
  .strict();

const RunSchema = z.object({ seller: z.string(), runAt: z.string(), counts: z.record(z.string(), z.number()) }).strict();

const ReportSchema = z
  .object({
    generatedAt: z.string(),
    toleranceUnits: z.number().int(),
    runs: z.array(RunSchema).describe("Each seller's last reconciliation run (the Amazon columns come from it); a seller without one has them null"),
    rows: z.array(RowSchema),
  })
  .strict();

const SORTS = SORTABLE_COLUMNS.flatMap((c) => [c, `-${c}`]) as [string, ...string[]];

const Query = z
  .object({
    seller: z.string().min(1).max(64).optional(),
    status: z.enum(RECONCILIATION_STATUSES).optional(),
    sort: z.enum(SORTS).optional().describe('A column, or -column for descending (default: seller, then SKU)'),
  })
  .strict();

const sellersOf = (deps: ApiDeps, seller: string | undefined) => {
  if (seller && !deps.ctx.mappings.sellers.has(seller)) throw new ApiError('not-found', `no seller '${seller}' in the mappings`, 'query.seller');
  return seller ? [seller] : [...deps.ctx.mappings.sellers.keys()].sort();
};

async function report(deps: ApiDeps, q: z.output<typeof Query>) {
  const sellers = sellersOf(deps, q.seller);
  const amazon = await lastAmazonSides(deps.ctx.store, sellers);
  const runs = [];
  for (const seller of sellers) {
    const r = await loadInventoryRun(deps.ctx.store, seller);
    if (r) runs.push({ seller, runAt: r.pointer.runAt, counts: r.pointer.counts });
  }
  const r = await reconcileBySku(deps.ctx, { ...(q as ReconciliationOptions), amazon });
  return { generatedAt: r.generatedAt, toleranceUnits: deps.ctx.settings.reconcileToleranceUnits, runs, rows: r.rows };
}

const OrderRowSchema = z
  .object({
    seller: z.string(),
    orderId: z.string(),
    partner: z.string().nullable(),
    onAmazon: z.boolean().nullable().describe("In the run's Amazon search of the window (unshipped / partially shipped); null: not searched"),
    amazonStatus: z.string().nullable(),
    state: z.enum(ORDER_STATES).nullable().describe("Dockgate's state; null: Dockgate never recorded the order"),
    createdAt: z.string(),
    shipBy: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    acknowledgement: z.enum(ACK_STATES).nullable(),
    acknowledgedAt: z.string().nullable(),
    packages: z.number().int(),
    adviceAt: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    step: z.enum(ORDER_STEPS).describe('The step it waits on'),
    since: z.string().nullable(),
    dueAt: z.string().nullable().describe("When the step's window ends"),
    stuck: z.boolean(),
    reason: z.string().nullable(),
  })
  .strict();

const OrdersReportSchema = z
  .object({
    runs: z.array(RunSchema.extend({ since: z.string(), amazonSearched: z.boolean() }).strict()).describe("Each seller's last orders reconciliation run; a seller without one has no rows"),
    rows: z.array(OrderRowSchema),
  })
  .strict();

const ORDER_SORTS = ORDER_SORTABLE_COLUMNS.flatMap((c) => [c, `-${c}`]) as [string, ...string[]];

const OrdersQuery = z
  .object({
    seller: z.string().min(1).max(64).optional(),
    stuck: z.enum(['true', 'false']).optional().describe('true: only the stuck orders; false: only the others'),
    step: z.enum(ORDER_STEPS).optional(),
    sort: z.enum(ORDER_SORTS).optional().describe('A column, or -column for descending (default: stuck first, then oldest)'),
  })
  .strict();

async function ordersReport(deps: ApiDeps, q: z.output<typeof OrdersQuery>) {
  const runs = [];
  let rows: OrderReconciliationRow[] = [];
  for (const seller of sellersOf(deps, q.seller)) {
    const r = await loadOrdersRun(deps.ctx.store, seller);
    if (!r) continue;
    runs.push({ seller, runAt: r.pointer.runAt, counts: r.pointer.counts, since: r.report.since, amazonSearched: r.report.amazonSearched });
    rows.push(...r.report.rows);
  }
  if (q.stuck) rows = rows.filter((r) => r.stuck === (q.stuck === 'true'));
  if (q.step) rows = rows.filter((r) => r.step === q.step);
  return { runs, rows: sortOrderRows(rows, q.sort) };
}

const stampOf = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export const reconciliationRoutes: RouteModule = {
  name: 'reconciliation',
  routes: [
    defineRoute({
      method: 'get',
      path: '/reconciliation',
      operationId: 'reconciliationBySku',
      summary: 'By (seller, SKU): warehouse stock, the quantity expected on Amazon, what Amazon accepted, the difference and a status',
      tags: ['reconciliation'],
      query: Query,
      responses: { 200: { description: 'The report', schema: ReportSchema } },
      handler: async ({ query, deps }) => ({ json: await report(deps, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/reconciliation.csv',
      operationId: 'reconciliationBySkuCsv',
      summary: 'The same report as CSV (one row per seller and SKU, the same order)',
      tags: ['reconciliation'],
      query: Query,
      responses: { 200: { description: 'The report as CSV, with a header row', contentType: 'text/csv' } },
      handler: async ({ query, deps }) => {
        const r = await report(deps, query);
        const text = stringify([CSV_COLUMNS.map((c) => c.header), ...r.rows.map((row) => CSV_COLUMNS.map((c) => c.value(row) ?? ''))], { record_delimiter: '\r\n' });
        return { text, contentType: 'text/csv; charset=utf-8', filename: `reconciliation-${query.seller ?? 'all'}-${stampOf(r.generatedAt)}.csv` };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reconciliation/orders',
      operationId: 'reconciliationOrders',
      summary: "Each seller's last orders reconciliation: every MFN order of its window, the step it waits on, since when, and whether it is stuck past the step's window",
      tags: ['reconciliation'],
      query: OrdersQuery,
      responses: { 200: { description: 'The last runs and their rows', schema: OrdersReportSchema } },
      handler: async ({ query, deps }) => ({ json: await ordersReport(deps, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/reconciliation/orders.csv',
      operationId: 'reconciliationOrdersCsv',
      summary: 'The same orders rows as CSV',
      tags: ['reconciliation'],
      query: OrdersQuery,
      responses: { 200: { description: 'The rows as CSV, with a header row', contentType: 'text/csv' } },
      handler: async ({ query, deps }) => {
        const r = await ordersReport(deps, query);
        const text = stringify([ORDER_CSV_COLUMNS.map((c) => c.header), ...r.rows.map((row) => ORDER_CSV_COLUMNS.map((c) => c.value(row) ?? ''))], { record_delimiter: '\r\n' });
        return { text, contentType: 'text/csv; charset=utf-8', filename: `reconciliation-orders-${query.seller ?? 'all'}-${stampOf(deps.ctx.clock.now().toISOString())}.csv` };
      },
    }),
  ],
};
