/**
 * Removals and customer returns over HTTP (src/flows/removals.ts): the arrivals Amazon said it
 * sent back (filtered by seller and state, paged newest first), one arrival with the receipt
 * postings against it, and the match by hand of an unmatched receipt line, as
 * `dockgate exceptions resolve ID --match REF` does.
 */
import { z } from 'zod';
import { MatchError, matchByHand } from '../../flows/removals.ts';
import { ARRIVAL_STATES, RECEIPT_DISPOSITIONS, type ExpectedArrival, type ReceiptPosting } from '../../store/removals.ts';
import { ApiError, defineRoute, type RouteModule } from '../api.ts';
import { ErrorBodySchema } from './partners.ts';

const Iso = z.string().describe('ISO 8601 UTC time');

export const ArrivalSchema = z
  .object({
    id: z.number().int().positive(),
    seller: z.string(),
    source: z.enum(['removal', 'return']),
    reference: z.string().describe('The removal order id (RMV-...) or, for a return, the Amazon order id'),
    sellerSku: z.string(),
    fnsku: z.string().nullable(),
    lpn: z.string().nullable(),
    carrier: z.string().nullable(),
    trackingNumber: z.string().nullable(),
    disposition: z.string().nullable().describe("Amazon's disposition of the units, as its report gives it"),
    expected: z.number().int().nonnegative(),
    received: z.number().int().nonnegative(),
    shippedAt: Iso.nullable(),
    state: z.enum(ARRIVAL_STATES),
    createdAt: Iso,
    updatedAt: Iso,
  })
  .strict();

export const PostingSchema = z
  .object({
    id: z.number().int().positive(),
    seller: z.string().nullable(),
    partner: z.string(),
    fileMessageId: z.number().int(),
    receiptId: z.string(),
    line: z.number().int().nonnegative().describe('The receipt line, 0-based'),
    arrivalId: z.number().int().nullable(),
    sellerSku: z.string().nullable(),
    warehouseItem: z.string().nullable(),
    quantity: z.number().int(),
    condition: z.string(),
    disposition: z.enum(RECEIPT_DISPOSITIONS),
    matchedBy: z.enum(['lpn', 'removal-order', 'tracking-sku', 'manual']).nullable(),
    state: z.enum(['posted', 'unmatched']),
    exceptionId: z.number().int().nullable(),
    at: Iso.describe('When the warehouse received it'),
  })
  .strict();

const ArrivalList = z.object({ items: z.array(ArrivalSchema), next: z.string().nullable() }).strict();
const ArrivalDetail = z.object({ arrival: ArrivalSchema, postings: z.array(PostingSchema) }).strict();
const MatchResult = z
  .object({
    posting: PostingSchema,
    arrival: ArrivalSchema,
    exceptionId: z.number().int().nullable().describe('The receipt-unmatched exception, now resolved'),
    over: z.number().int().nonnegative().describe('Units more than Amazon shipped (an over-receipt exception was raised)'),
    stocked: z.number().int().nonnegative().describe('Warehouse units added to the stock Dockgate publishes from'),
    outcome: z.string(),
  })
  .strict();

export const LIST_LIMIT = { default: 100, max: 1000 } as const;

const ListQuery = z
  .object({
    seller: z.string().min(1).max(64).optional(),
    state: z.enum([...ARRIVAL_STATES, 'open'] as [string, ...string[]]).optional().describe('open: expected or partially received'),
    sku: z.string().min(1).max(64).optional(),
    reference: z.string().min(1).max(64).optional(),
    limit: z.string().regex(/^\d{1,4}$/, `a whole number from 1 to ${LIST_LIMIT.max}`).transform(Number).pipe(z.number().int().min(1).max(LIST_LIMIT.max)).optional(),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'the next value of the previous page').optional(),
  })
  .strict();

const IdParams = z.object({ id: z.string().regex(/^[1-9]\d{0,14}$/, 'an id (a whole number from the list)').transform(Number) }).strict();
const MatchBody = z
  .object({
    reference: z.string().trim().min(1, 'reference names a removal order id, an LPN or an Amazon order id').max(64),
    note: z.string().trim().max(2000).optional(),
  })
  .strict();

const encodeCursor = (id: number) => Buffer.from(`a:${id}`).toString('base64url');
function decodeCursor(text: string): number {
  const m = /^a:([1-9]\d{0,14})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) throw new ApiError('bad-request', 'query.cursor: not a cursor this list gave (pass back its next value)', 'query.cursor');
  return Number(m[1]);
}

const arrivalView = (a: ExpectedArrival) => ({ ...a });
const postingView = (p: ReceiptPosting) => ({ ...p });

export const removalsRoutes: RouteModule = {
  name: 'removals',
  schemas: { ExpectedArrival: ArrivalSchema, ReceiptPosting: PostingSchema },
  routes: [
    defineRoute({
      method: 'get',
      path: '/removals',
      operationId: 'listRemovals',
      summary: 'Removals and customer returns Amazon sent back, newest first',
      tags: ['removals'],
      query: ListQuery,
      responses: { 200: { description: 'A page of expected arrivals; next is the cursor of the following page (null: the last)', schema: ArrivalList } },
      handler: async ({ query, deps }) => {
        const limit = query.limit ?? LIST_LIMIT.default;
        const before = query.cursor === undefined ? Number.POSITIVE_INFINITY : decodeCursor(query.cursor);
        const states = query.state === undefined ? undefined : query.state === 'open' ? (['expected', 'partially-received'] as const) : [query.state as ExpectedArrival['state']];
        const rows = await deps.ctx.store.work.removals.listExpected({ seller: query.seller, states: states ? [...states] : undefined, sellerSku: query.sku, reference: query.reference });
        const matching = rows.filter((a) => a.id < before).sort((x, y) => y.id - x.id);
        const items = matching.slice(0, limit);
        return { json: { items: items.map(arrivalView), next: matching.length > limit ? encodeCursor(items[items.length - 1].id) : null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/removals/{id}',
      operationId: 'showRemoval',
      summary: 'One expected arrival with the receipt lines posted against it',
      tags: ['removals'],
      params: IdParams,
      responses: { 200: { description: 'The arrival and its postings', schema: ArrivalDetail } },
      handler: async ({ params, deps }) => {
        const a = await deps.ctx.store.work.removals.getExpected(params.id);
        if (!a) throw new ApiError('not-found', `no expected arrival ${params.id}`, 'path.id');
        const postings = await deps.ctx.store.work.removals.postings({ arrivalId: a.id });
        return { json: { arrival: arrivalView(a), postings: postings.map(postingView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/removals/postings/{id}/match',
      operationId: 'matchReceiptPosting',
      summary: 'Match an unmatched receipt line by hand to an open arrival (its units posted, its exception resolved)',
      description: 'reference: the removal order id, LPN or Amazon order id of an open arrival of the same seller. The receipt-unmatched exception lists the best candidates (context.details.candidates).',
      tags: ['removals'],
      params: IdParams,
      body: MatchBody,
      responses: {
        200: { description: 'The posting, the arrival after, and what was stocked', schema: MatchResult },
        409: { description: 'The line is matched already', schema: ErrorBodySchema },
      },
      handler: async ({ params, body, deps, principal }) => {
        try {
          const r = await matchByHand(deps.ctx, { postingId: params.id }, body.reference, body.note);
          deps.ctx.log.info({ event: 'receipt-matched', posting: params.id, arrival: r.arrival.id, by: principal.name }, 'receipt line matched over the API');
          return { json: { posting: postingView(r.posting), arrival: arrivalView(r.arrival), exceptionId: r.exceptionId || null, over: r.over, stocked: r.stocked, outcome: r.line } };
        } catch (e) {
          if (!(e instanceof MatchError)) throw e;
          if (e.code === 'not-found') throw new ApiError('not-found', e.message, 'path.id');
          if (e.code === 'conflict') throw new ApiError('conflict', e.message, 'path.id');
          throw new ApiError('bad-request', e.message, 'body.reference');
        }
      },
    }),
  ],
};
