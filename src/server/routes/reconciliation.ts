/**
 * The by-SKU reconciliation report over HTTP, as JSON and as CSV (the same rows and order).
 * The computation is src/reconciliation/by-sku.ts; this module only checks the query and
 * shapes the answer.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { CSV_COLUMNS, RECONCILIATION_STATUSES, reconcileBySku, SORTABLE_COLUMNS, type ReconciliationOptions } from '../../reconciliation/by-sku.ts';
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
    status: z.enum(RECONCILIATION_STATUSES),
  })
  .strict();

const ReportSchema = z.object({ generatedAt: z.string(), rows: z.array(RowSchema) }).strict();

const SORTS = SORTABLE_COLUMNS.flatMap((c) => [c, `-${c}`]) as [string, ...string[]];

const Query = z
  .object({
    seller: z.string().min(1).max(64).optional(),
    status: z.enum(RECONCILIATION_STATUSES).optional(),
    sort: z.enum(SORTS).optional().describe('A column, or -column for descending (default: seller, then SKU)'),
  })
  .strict();

async function report(deps: ApiDeps, q: z.output<typeof Query>) {
  if (q.seller && !deps.ctx.mappings.sellers.has(q.seller)) throw new ApiError('not-found', `no seller '${q.seller}' in the mappings`, 'query.seller');
  return reconcileBySku(deps.ctx, q as ReconciliationOptions);
}

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
        const stamp = r.generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
        return { text, contentType: 'text/csv; charset=utf-8', filename: `reconciliation-${query.seller ?? 'all'}-${stamp}.csv` };
      },
    }),
  ],
};
