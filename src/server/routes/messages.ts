/**
 * /api/v1/messages: the files the gateway moved (filtered, paged), one file's history and
 * acknowledgement, its raw bytes and parsed form (buyer data redacted for tokens without
 * buyerData), and resending a ship-order file. The data comes from src/server/views/message-view.ts.
 */
import { z } from 'zod';
import { FLOWS } from '../../gateway/messages.ts';
import { resendMessage, ResendRefusedError } from '../../flows/acknowledgements.ts';
import { ApiError, defineRoute, type RouteModule } from '../api.ts';
import { fileRowOf, listMessageSummaries, messageDetail, parsedView, RawUnavailableError, rawView, type Viewer } from '../views/message-view.ts';
import { cursorOf, decodeCursor, ErrorBody, IsoTime, Limit, MessageId } from '../views/paging.ts';

// ------------------------------------------------------------------ schemas

const Nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const MessageSummarySchema = z.strictObject({
  id: z.number().int(),
  direction: z.enum(['in', 'out']),
  kind: z.literal('file'),
  flow: z.enum(FLOWS),
  partner: Nullable(z.string()),
  seller: Nullable(z.string()),
  fileName: Nullable(z.string()),
  control: Nullable(z.string()),
  sets: z.array(z.string()),
  status: z.string(),
  statusReason: Nullable(z.string()),
  validation: Nullable(z.string()),
  delivery: Nullable(z.string()),
  deliveredAt: Nullable(z.string()),
  acknowledgement: Nullable(z.string()),
  acknowledgedAt: Nullable(z.string()),
  ackDueAt: Nullable(z.string()),
  orderIds: z.array(z.string()),
  containsPii: z.boolean(),
  purged: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const EnvelopeRowSchema = z.strictObject({
  id: z.number().int(),
  parentId: Nullable(z.number().int()),
  kind: z.enum(['interchange', 'group', 'set']),
  control: Nullable(z.string()),
  docType: Nullable(z.string()),
  status: z.string(),
  statusReason: Nullable(z.string()),
  validation: Nullable(z.string()),
  delivery: Nullable(z.string()),
  acknowledgement: Nullable(z.string()),
  acknowledgedAt: Nullable(z.string()),
});

const AckReasonSchema = z.strictObject({
  set: Nullable(z.string()),
  segment: Nullable(z.string()),
  position: Nullable(z.number().int()),
  element: Nullable(z.string()),
  code: z.string(),
  text: z.string(),
});

const AcknowledgementSchema = z.strictObject({
  state: z.string(),
  at: Nullable(z.string()),
  dueAt: Nullable(z.string()),
  ackMessageId: Nullable(z.number().int()),
  reasons: z.array(AckReasonSchema),
  groups: z.array(
    z.strictObject({
      groupId: z.number().int(),
      control: Nullable(z.string()),
      state: Nullable(z.string()),
      at: Nullable(z.string()),
      ackMessageId: Nullable(z.number().int()),
      ackKind: Nullable(z.enum(['997', '999'])),
      reasons: z.array(AckReasonSchema),
    }),
  ),
});

export const MessageDetailSchema = z.strictObject({
  message: MessageSummarySchema,
  selected: Nullable(EnvelopeRowSchema),
  events: z.array(z.strictObject({ at: z.string(), messageId: z.number().int(), kind: z.string(), what: z.string(), detail: Nullable(z.string()) })),
  children: z.array(EnvelopeRowSchema),
  acknowledgement: Nullable(AcknowledgementSchema),
  orders: z.array(z.strictObject({ seller: z.string(), orderId: z.string(), state: z.string() })),
  redacted: z.boolean(),
});

const Format = z.enum(['x12', 'csv', 'xml', 'json', 'text']);

export const RawSchema = z.strictObject({
  id: z.number().int(),
  fileName: Nullable(z.string()),
  format: Format,
  encoding: z.enum(['utf-8', 'latin1']),
  size: z.number().int(),
  truncated: z.boolean(),
  redacted: z.boolean(),
  text: Nullable(z.string()),
  withheld: Nullable(z.string()),
  lines: z.number().int(),
  segments: z.array(z.strictObject({ index: z.number().int().min(1), line: z.number().int().min(1), tag: z.string(), text: z.string() })).optional(),
});

export const ParsedSchema = z.strictObject({
  id: z.number().int(),
  format: Format,
  tree: z.unknown(),
  diagnostics: z.array(
    z.strictObject({
      level: z.enum(['error', 'warning', 'info']),
      code: z.string(),
      message: z.string(),
      segmentIndex: Nullable(z.number().int().min(1)),
      line: Nullable(z.number().int()),
      segment: Nullable(z.string()),
    }),
  ),
  failingSegments: z.array(z.number().int().min(1)),
  redacted: z.boolean(),
  withheld: Nullable(z.string()),
  truncated: z.boolean(),
});

const ResendSchema = z.strictObject({
  message: z.string(),
  newMessageId: Nullable(z.number().int()),
  newMessageIds: z.array(z.number().int()),
});

const ListQuery = z.strictObject({
  partner: z.string().min(1).optional(),
  seller: z.string().min(1).optional(),
  flow: z.enum(FLOWS).optional(),
  state: z.string().min(1).optional().describe('A status or a value of any axis: delivered, awaiting, overdue, rejected, accepted, invalid, processed...'),
  direction: z.enum(['in', 'out']).optional(),
  orderId: z.string().min(1).optional(),
  since: IsoTime.optional().describe('Files recorded at or after this time (ISO 8601)'),
  until: IsoTime.optional().describe('Files recorded before this time (ISO 8601)'),
  limit: Limit,
  cursor: z.string().min(1).optional().describe("The list's `next`, to continue it"),
});

const IdParams = z.strictObject({ id: MessageId });

const viewer = (p: { buyerData: boolean }): Viewer => ({ buyerData: p.buyerData });
const notFound = (id: number) => new ApiError('not-found', `no message ${id}`, 'path.id');

/** The raw and parsed views refuse when the bytes are gone: a 404 saying so (retention, or never stored). */
function unavailable(e: unknown): never {
  if (e instanceof RawUnavailableError) throw new ApiError('not-found', e.message, 'path.id', { messageId: e.messageId });
  throw e;
}

export const messagesRoutes: RouteModule = {
  name: 'messages',
  routes: [
    defineRoute({
      method: 'get',
      path: '/messages',
      operationId: 'listMessages',
      summary: 'Files the gateway moved, newest first, with their flow and status axes',
      tags: ['messages'],
      query: ListQuery,
      responses: { 200: { description: 'A page of files', schema: z.strictObject({ items: z.array(MessageSummarySchema), next: Nullable(z.string()) }) } },
      async handler({ query, principal, deps }) {
        if (query.since && query.until && Date.parse(query.since) >= Date.parse(query.until)) throw new ApiError('bad-request', 'since must be before until', 'query.since');
        const beforeId = query.cursor ? decodeCursor(query.cursor, (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null)) : undefined;
        const page = await listMessageSummaries(
          deps.ctx.store,
          { partner: query.partner, seller: query.seller, flow: query.flow, state: query.state, direction: query.direction, orderId: query.orderId, since: query.since, until: query.until, limit: query.limit, beforeId },
          viewer(principal),
        );
        return { json: { items: page.items, next: page.nextBeforeId === null ? null : cursorOf(page.nextBeforeId) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/messages/{id}',
      operationId: 'getMessage',
      summary: "One file (or a row in it): its status history, envelope rows, acknowledgement and orders",
      tags: ['messages'],
      params: IdParams,
      responses: { 200: { description: 'The file and its story', schema: MessageDetailSchema } },
      async handler({ params, principal, deps }) {
        const detail = await messageDetail(deps.ctx.store, params.id, viewer(principal));
        if (!detail) throw notFound(params.id);
        return { json: detail };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/messages/{id}/raw',
      operationId: 'getMessageRaw',
      summary: 'The raw bytes as text (X12 split into numbered segments), redacted for tokens without buyer data',
      description: 'Capped at 2 MB (truncated: true). X12 segments are numbered 1-based in file order, the numbering the parsed view uses. Flat files that may carry buyer data are withheld (text null) unless the token has buyerData.',
      tags: ['messages'],
      params: IdParams,
      responses: { 200: { description: 'The raw file', schema: RawSchema } },
      async handler({ params, principal, deps }) {
        if (!deps.ctx.store.get(params.id)) throw notFound(params.id);
        return { json: await rawView(deps.ctx.store, params.id, viewer(principal)).catch(unavailable) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/messages/{id}/parsed',
      operationId: 'getMessageParsed',
      summary: "The parsed form (X12 JSON form, or the canonical documents of a CSV / XML file through the partner's mapping) with its diagnostics",
      description: 'diagnostics[].segmentIndex and failingSegments use the numbering of the raw view.',
      tags: ['messages'],
      params: IdParams,
      responses: { 200: { description: 'The parsed file', schema: ParsedSchema } },
      async handler({ params, principal, deps }) {
        if (!deps.ctx.store.get(params.id)) throw notFound(params.id);
        return { json: await parsedView(deps.ctx.store, deps.ctx.mappings, params.id, viewer(principal)).catch(unavailable) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/messages/{id}/resend',
      operationId: 'resendMessage',
      summary: 'Send the orders of a ship-order file again, in a new file under new control numbers',
      tags: ['messages'],
      access: 'write',
      params: IdParams,
      responses: {
        200: { description: 'Resent', schema: ResendSchema },
        409: { description: 'The message cannot be resent (received, or carries no orders): the reason', schema: ErrorBody },
      },
      async handler({ params, deps }) {
        const { store } = deps.ctx;
        if (!store.get(params.id)) throw notFound(params.id);
        const file = fileRowOf(store, params.id);
        const orders = new Set(file ? (await store.work.orders.byFileMessage(file.id)).map((o) => o.orderId) : []);
        const newest = store.list({ kind: 'file', limit: 1 })[0]?.id ?? 0;
        let line: string;
        try {
          line = await resendMessage(deps.ctx, params.id);
        } catch (e) {
          if (e instanceof ResendRefusedError || (e as Error).name === 'OrdersFlowError') throw new ApiError('conflict', (e as Error).message, 'path.id', { messageId: params.id });
          throw e;
        }
        // The files the resend wrote: outbound files recorded since that carry an order of the resent file.
        const newIds: number[] = [];
        for (const m of store.list({ kind: 'file', limit: 1000 })) {
          if (m.id <= newest) break;
          if (m.direction !== 'out') continue;
          if ((await store.work.orders.byFileMessage(m.id)).some((o) => orders.has(o.orderId))) newIds.push(m.id);
        }
        newIds.sort((a, b) => a - b);
        return { json: { message: line, newMessageId: newIds[0] ?? null, newMessageIds: newIds } };
      },
    }),
  ],
  schemas: { MessageSummary: MessageSummarySchema, MessageDetail: MessageDetailSchema, MessageRaw: RawSchema, MessageParsed: ParsedSchema },
};
