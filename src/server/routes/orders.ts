/**
 * /api/v1/orders and /api/v1/packages: where each Amazon order stands (sent, acknowledged,
 * shipped, confirmed, lag, held), one order's timeline from Amazon to the warehouse and back, and
 * the packages. The buyer's address (shipTo) only for tokens with buyerData. Data from
 * src/server/views/order-timeline.ts.
 */
import { z } from 'zod';
import { ACK_STATES, DELIVERY_STATES, ORDER_STATES, PACKAGE_STATES } from '../../store/work.ts';
import { ApiError, defineRoute, type RouteModule } from '../api.ts';
import { listOrderSummaries, listPackages, orderDetail, TIMELINE_STAGES } from '../views/order-timeline.ts';
import { cursorOf, decodeCursor, Limit } from '../views/paging.ts';

const Nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const OrderSummarySchema = z.strictObject({
  seller: z.string(),
  orderId: z.string(),
  marketplaceId: z.string(),
  partner: z.string(),
  state: z.enum(ORDER_STATES),
  amazonStatus: z.string(),
  amazonUpdatedAt: z.string(),
  shipBy: Nullable(z.string()),
  revision: z.number().int(),
  held: z.boolean(),
  heldBy: Nullable(z.number().int()),
  sent: z.boolean(),
  acknowledged: z.boolean(),
  acknowledgement: Nullable(z.enum(ACK_STATES)),
  shipped: z.boolean(),
  confirmed: z.boolean(),
  packages: z.number().int(),
  lagSeconds: Nullable(z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const PackageSchema = z.strictObject({
  id: z.number().int(),
  seller: z.string(),
  orderId: z.string(),
  partner: z.string(),
  fileMessageId: z.number().int(),
  warehousePackageId: Nullable(z.string()),
  trackingNumber: z.string(),
  carrierCode: Nullable(z.string()),
  carrierName: Nullable(z.string()),
  shippingMethod: Nullable(z.string()),
  items: z.array(z.strictObject({ orderItemId: z.string(), sellerSku: z.string(), quantity: z.number().int() })),
  shippedAt: z.string(),
  state: z.enum(PACKAGE_STATES),
  confirmedAt: Nullable(z.string()),
  lagSeconds: Nullable(z.number()),
});

const LineSchema = z.strictObject({
  lineNumber: z.number().int(),
  sellerSku: z.string(),
  orderItemId: z.string().optional(),
  ordered: z.number().int(),
  shipped: z.number().int(),
});

export const OrderDetailSchema = z.strictObject({
  order: OrderSummarySchema.extend({
    lines: z.array(LineSchema),
    shipTo: z.unknown().describe("The buyer's address as last sent; null without buyerData or when retention purged it"),
  }).strict(),
  revisions: z.array(
    z.strictObject({
      revision: z.number().int(),
      purpose: z.enum(['new', 'change', 'cancel']),
      fileMessageId: z.number().int(),
      setMessageId: Nullable(z.number().int()),
      fileName: Nullable(z.string()),
      createdAt: z.string(),
      delivery: Nullable(z.enum(DELIVERY_STATES)),
      deliveredAt: Nullable(z.string()),
      acknowledgement: Nullable(z.enum(ACK_STATES)),
      acknowledgedAt: Nullable(z.string()),
    }),
  ),
  packages: z.array(PackageSchema),
  exceptions: z.array(z.strictObject({ id: z.number().int(), kind: z.string(), state: z.string(), message: z.string(), firstSeen: z.string(), resolvedAt: Nullable(z.string()) })),
  timeline: z.array(
    z.strictObject({
      at: z.string(),
      stage: z.enum(TIMELINE_STAGES),
      what: z.string(),
      messageId: Nullable(z.number().int()),
      exceptionId: Nullable(z.number().int()),
      packageId: Nullable(z.number().int()),
    }),
  ),
  redacted: z.boolean(),
});

const orderCursor = (v: unknown) => {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return null;
  return { createdAt: v[0] as string, seller: v[1] as string, orderId: v[2] as string };
};
const idCursor = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

export const ordersRoutes: RouteModule = {
  name: 'orders',
  routes: [
    defineRoute({
      method: 'get',
      path: '/orders',
      operationId: 'listOrders',
      summary: 'Orders, newest first, with where each stands: sent, acknowledged, shipped, confirmed, lag, held',
      tags: ['orders'],
      query: z.strictObject({
        seller: z.string().min(1).optional(),
        partner: z.string().min(1).optional(),
        state: z.enum(ORDER_STATES).optional(),
        limit: Limit,
        cursor: z.string().min(1).optional().describe("The list's `next`, to continue it"),
      }),
      responses: { 200: { description: 'A page of orders', schema: z.strictObject({ items: z.array(OrderSummarySchema), next: Nullable(z.string()) }) } },
      async handler({ query, deps }) {
        const after = query.cursor ? decodeCursor(query.cursor, orderCursor) : undefined;
        const page = await listOrderSummaries(deps.ctx.store, { seller: query.seller, partner: query.partner, state: query.state, limit: query.limit, after });
        return { json: { items: page.items, next: page.next ? cursorOf([page.next.createdAt, page.next.seller, page.next.orderId]) : null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orders/{seller}/{orderId}',
      operationId: 'getOrder',
      summary: "One order's timeline from Amazon to the warehouse and back: revisions and their files, acknowledgements, holds, packages and confirmations",
      tags: ['orders'],
      params: z.strictObject({ seller: z.string().min(1), orderId: z.string().min(1) }),
      responses: { 200: { description: 'The order', schema: OrderDetailSchema } },
      async handler({ params, principal, deps }) {
        const detail = await orderDetail(deps.ctx.store, params.seller, params.orderId, { buyerData: principal.buyerData });
        if (!detail) throw new ApiError('not-found', `no order ${params.orderId} of seller ${params.seller}`, 'path.orderId');
        return { json: detail };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/packages',
      operationId: 'listPackages',
      summary: 'Packages the warehouses shipped, newest first, with their confirmation at Amazon and tracking lag',
      tags: ['orders'],
      query: z.strictObject({
        seller: z.string().min(1).optional(),
        partner: z.string().min(1).optional(),
        orderId: z.string().min(1).optional(),
        state: z.enum(PACKAGE_STATES).optional(),
        limit: Limit,
        cursor: z.string().min(1).optional().describe("The list's `next`, to continue it"),
      }),
      responses: { 200: { description: 'A page of packages', schema: z.strictObject({ items: z.array(PackageSchema), next: Nullable(z.string()) }) } },
      async handler({ query, deps }) {
        const beforeId = query.cursor ? decodeCursor(query.cursor, idCursor) : undefined;
        const page = await listPackages(deps.ctx.store, { seller: query.seller, partner: query.partner, orderId: query.orderId, state: query.state, limit: query.limit, beforeId });
        return { json: { items: page.items, next: page.nextBeforeId === null ? null : cursorOf(page.nextBeforeId) } };
      },
    }),
  ],
  schemas: { OrderSummary: OrderSummarySchema, OrderDetail: OrderDetailSchema, Package: PackageSchema },
};
