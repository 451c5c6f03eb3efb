/**
 * The exception queue over HTTP: list (filtered, paged newest first), show (the record, what to
 * fix and where, the last good state), assign an owner, resolve with a note, retry after a fix.
 * What the CLI's `dockgate exceptions` does, for the dashboard and for scripts.
 *
 * Exceptions carry no buyer personal data (the flows keep names and addresses out of their
 * context), so no redaction applies here.
 */
import { z } from 'zod';
import type { GatewayContext } from '../../flows/context.ts';
import { skuIndex } from '../../mapping/resolve.ts';
import { EXCEPTION_KINDS, EXCEPTION_SEVERITIES, EXCEPTION_STATES, type ExceptionKind, type ExceptionRecord, type ExceptionState } from '../../store/work.ts';
import { ApiError, defineRoute, type ApiDeps, type RouteModule } from '../api.ts';
import hintsData from './exception-hints.json' with { type: 'json' };
import { ErrorBodySchema, mappingPath, MappingReloadSchema, reloadMappings } from './partners.ts';

// ------------------------------------------------------------------ the hints table (data)

const FIX_IN = ['sku-table', 'carrier-table', 'partner', 'seller'] as const;
const Hint = z.object({ hint: z.string().min(1), fixIn: z.enum(FIX_IN).nullable(), mappingKey: z.string().nullable() }).strict();
export type ExceptionHint = z.infer<typeof Hint>;

/** Every kind's hint, checked when the module loads: a kind added without a hint fails every test that imports this. */
export const EXCEPTION_HINTS: Record<ExceptionKind, ExceptionHint> = (() => {
  const { $comment: _, ...entries } = hintsData as Record<string, unknown>;
  const table = z.record(z.enum(EXCEPTION_KINDS), Hint).parse(entries);
  const missing = EXCEPTION_KINDS.filter((k) => !table[k]);
  if (missing.length) throw new Error(`exception-hints.json has no hint for ${missing.join(', ')}`);
  return table as Record<ExceptionKind, ExceptionHint>;
})();

// ------------------------------------------------------------------ schemas

const Iso = z.string().describe('ISO 8601 UTC time');

export const ExceptionSchema = z
  .object({
    id: z.number().int().positive(),
    kind: z.enum(EXCEPTION_KINDS),
    severity: z.enum(EXCEPTION_SEVERITIES),
    seller: z.string().nullable(),
    partner: z.string().nullable(),
    key: z.string().describe('The business key of the cause: the SKU, carrier, order id, file...'),
    message: z.string(),
    context: z
      .object({
        file: z.object({ name: z.string(), messageId: z.number().int().optional() }).strict().optional(),
        where: z.string().optional(),
        mappingFile: z.string().optional(),
        mappingKey: z.string().optional(),
        excerpt: z.string().optional(),
        details: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    refs: z.array(z.string()).describe('Business keys affected (order ids, files), most recent last'),
    owner: z.string().nullable(),
    state: z.enum(EXCEPTION_STATES),
    note: z.string().nullable(),
    firstSeen: Iso,
    lastSeen: Iso,
    count: z.number().int().positive(),
    resolvedAt: Iso.nullable(),
  })
  .strict();

const LastGood = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sku-table'),
      seller: z.string(),
      table: z.string(),
      file: z.string(),
      items: z.number().int().nonnegative(),
      mapsKeyNow: z.boolean().describe('The loaded table maps the exception key now (a retry can release what it held)'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('message-axes'),
      messageId: z.number().int(),
      validation: z.string().nullable(),
      delivery: z.string().nullable(),
      deliveredAt: Iso.nullable(),
      acknowledgement: z.string().nullable(),
      acknowledgedAt: Iso.nullable(),
      ackDueAt: Iso.nullable(),
      file: z
        .object({ messageId: z.number().int(), name: z.string(), delivery: z.string().nullable(), deliveredAt: Iso.nullable() })
        .strict()
        .nullable()
        .describe('The file that carried it (a group or interchange is delivered with its file)'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('inventory-snapshot'),
      partner: z.string(),
      seller: z.string(),
      asOf: Iso.describe("The warehouse's count time of the last snapshot applied"),
      appliedAt: Iso,
      fileMessageId: z.number().int(),
    })
    .strict(),
]);
type LastGood = z.infer<typeof LastGood>;

const Fix = z
  .object({
    mappingFile: z.string().nullable().describe('Relative to the mappings folder (comma-separated when several)'),
    mappingKey: z.string().nullable(),
    hint: z.string(),
  })
  .strict();

const ExceptionList = z.object({ items: z.array(ExceptionSchema), next: z.string().nullable() }).strict();
const ExceptionDetail = z.object({ exception: ExceptionSchema, fix: Fix, lastGood: LastGood.nullable() }).strict();
const ExceptionOnly = z.object({ exception: ExceptionSchema }).strict();
const RetryResult = z
  .object({
    exception: ExceptionSchema,
    succeeded: z.boolean().describe('false when the retry itself failed (the outcome says why)'),
    outcome: z.string().describe("The retry's one line: what it did, or why it failed"),
    reload: MappingReloadSchema.describe('The mapping reload done first, so a fix just saved is what the retry uses'),
  })
  .strict();

const IdParams = z.object({ id: z.string().regex(/^[1-9]\d{0,14}$/, 'an exception id (a whole number from the list)').transform(Number) }).strict();

const STATE_FILTERS = [...EXCEPTION_STATES, 'unresolved'] as const;
export const LIST_LIMIT = { default: 100, max: 1000 } as const;

const ListQuery = z
  .object({
    state: z.enum(STATE_FILTERS).optional().describe('unresolved: open or acknowledged'),
    kind: z.enum(EXCEPTION_KINDS).optional(),
    seller: z.string().min(1).max(64).optional(),
    partner: z.string().min(1).max(64).optional(),
    owner: z.string().min(1).max(64).optional(),
    limit: z.string().regex(/^\d{1,4}$/, `a whole number from 1 to ${LIST_LIMIT.max}`).transform(Number).pipe(z.number().int().min(1).max(LIST_LIMIT.max)).optional(),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'the next value of the previous page').optional(),
  })
  .strict();

const AssignBody = z.object({ owner: z.string().trim().min(1, 'owner names someone (1 to 64 characters)').max(64) }).strict();
const ResolveBody = z.object({ note: z.string().trim().min(1, 'note says what was done (1 to 2000 characters)').max(2000) }).strict();

// ------------------------------------------------------------------ data

/** Pages go newest first; the cursor is the id the next page starts below. */
const encodeCursor = (id: number) => Buffer.from(`x:${id}`).toString('base64url');
function decodeCursor(text: string): number {
  const m = /^x:([1-9]\d{0,14})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) throw new ApiError('bad-request', 'query.cursor: not a cursor this list gave (pass back its next value)', 'query.cursor');
  return Number(m[1]);
}

const statesOf = (state: (typeof STATE_FILTERS)[number] | undefined): ExceptionState[] | undefined =>
  state === undefined ? undefined : state === 'unresolved' ? ['open', 'acknowledged'] : [state];

export async function listExceptions(ctx: GatewayContext, q: z.output<typeof ListQuery>): Promise<z.infer<typeof ExceptionList>> {
  const limit = q.limit ?? LIST_LIMIT.default;
  const before = q.cursor === undefined ? Number.POSITIVE_INFINITY : decodeCursor(q.cursor);
  // The store lists by id with the filters it has; owner and the page start are applied here
  // (one row per cause keeps the table small; the store could take both when it grows).
  const rows = await ctx.store.work.exceptions.list({ states: statesOf(q.state), kind: q.kind, seller: q.seller, partner: q.partner, limit: -1 });
  const matching = rows.filter((x) => x.id < before && (q.owner === undefined || x.owner === q.owner)).sort((a, b) => b.id - a.id);
  const items = matching.slice(0, limit);
  return { items, next: matching.length > limit ? encodeCursor(items[items.length - 1].id) : null };
}

async function existing(ctx: GatewayContext, id: number): Promise<ExceptionRecord> {
  const x = await ctx.store.work.exceptions.get(id);
  if (!x) throw new ApiError('not-found', `no exception ${id}`, 'path.id');
  return x;
}

/** The mapping file to fix: the one the context names, else the one its kind's hint points at for this seller / partner. */
function fixFile(ctx: GatewayContext, x: ExceptionRecord, hint: ExceptionHint): string | null {
  const m = ctx.mappings;
  if (x.context.mappingFile) return x.context.mappingFile.split(', ').map((f) => mappingPath(ctx, f)).join(', ');
  if (x.kind === 'mapping-problem' && x.key.startsWith('load:')) return mappingPath(ctx, x.key.slice(5));
  const partner = x.partner ? m.partners.get(x.partner) : undefined;
  const seller = x.seller ? m.sellers.get(x.seller) : undefined;
  const fileOf = (o: object | undefined) => (o && m.files.get(o) ? mappingPath(ctx, m.files.get(o)!) : null);
  switch (hint.fixIn) {
    case 'sku-table': {
      const sellers = seller ? [seller] : (partner?.sellers ?? []).map((s) => m.sellers.get(s)).filter((s) => s !== undefined);
      const files = sellers.map((s) => fileOf(m.skuTables.get(s.skus))).filter((f) => f !== null);
      return files.length ? files.join(', ') : null;
    }
    case 'carrier-table': {
      const files = (partner?.carriers ?? []).map((id) => fileOf(m.carrierTables.get(id))).filter((f) => f !== null);
      return files.length ? files.join(', ') : null;
    }
    case 'partner':
      return fileOf(partner);
    case 'seller':
      return fileOf(seller);
    default:
      return null;
  }
}

/** The last good state where it can be told: the SKU table as loaded, the message's axes, the last snapshot applied. */
async function lastGood(ctx: GatewayContext, x: ExceptionRecord): Promise<LastGood | null> {
  const m = ctx.mappings;
  if (x.kind === 'unmapped-sku') {
    const sellers = x.seller ? [x.seller] : x.partner ? (m.partners.get(x.partner)?.sellers ?? []) : [];
    const known = sellers.filter((s) => m.sellers.has(s)).map((s) => ({ seller: s, index: skuIndex(m, s) }));
    // An inventory item names no seller: the table that maps it now is the one to show, else the first.
    const hit = known.find((k) => k.index.knows({ sellerSku: x.key, warehouseItem: x.key })) ?? known[0];
    if (!hit) return null;
    return {
      kind: 'sku-table',
      seller: hit.seller,
      table: hit.index.table.id,
      file: mappingPath(ctx, hit.index.file),
      items: hit.index.table.items.length,
      mapsKeyNow: hit.index.knows({ sellerSku: x.key, warehouseItem: x.key }),
    };
  }
  if (x.kind === 'ack-overdue') {
    const id = x.context.details?.messageId ?? x.context.file?.messageId;
    if (typeof id !== 'number') return null;
    const a = await ctx.store.work.messages.axes(id);
    if (!a) return null;
    const f = x.context.file?.messageId;
    const fileAxes = f !== undefined && f !== id ? await ctx.store.work.messages.axes(f) : a;
    const file = f !== undefined && x.context.file ? { messageId: f, name: x.context.file.name, delivery: fileAxes?.delivery ?? null, deliveredAt: fileAxes?.deliveredAt ?? null } : null;
    return { kind: 'message-axes', messageId: id, ...a, file };
  }
  if (x.kind === 'inventory-stale' && x.partner && x.seller) {
    const last = await ctx.store.work.inventory.lastSnapshot(x.partner, x.seller);
    return last ? { kind: 'inventory-snapshot', partner: x.partner, seller: x.seller, ...last } : null;
  }
  return null;
}

export async function showException(ctx: GatewayContext, id: number): Promise<z.infer<typeof ExceptionDetail>> {
  const x = await existing(ctx, id);
  const hint = EXCEPTION_HINTS[x.kind];
  return {
    exception: x,
    fix: { mappingFile: fixFile(ctx, x, hint), mappingKey: x.context.mappingKey ?? hint.mappingKey, hint: hint.hint },
    lastGood: await lastGood(ctx, x),
  };
}

async function retryException(deps: ApiDeps, id: number): Promise<z.infer<typeof RetryResult>> {
  const { ctx } = deps;
  const x = await existing(ctx, id);
  if (x.state === 'resolved') throw new ApiError('conflict', `exception ${id} is resolved already: nothing to retry`, 'path.id');
  const retry = deps.retries[x.kind];
  if (!retry) throw new ApiError('conflict', `${x.kind} has no retry: once its cause is fixed, resolve exception ${id} with a note saying what was done`, 'path.id', { kind: x.kind });
  // As `dockgate exceptions retry` does: the mappings as they are on disk now (the fix just made).
  const reload = await reloadMappings(deps);
  const current = await existing(ctx, id);
  let outcome: string;
  let succeeded = true;
  try {
    outcome = await retry(ctx, current);
  } catch (e) {
    succeeded = false;
    outcome = `retry failed: ${(e as Error).message}`;
    ctx.log.warn({ event: 'exception-retry-failed', exception: id, kind: x.kind, error: (e as Error).message }, 'exception retry failed');
  }
  ctx.log.info({ event: 'exception-retried', exception: id, kind: x.kind, succeeded }, 'exception retried over the API');
  return { exception: await existing(ctx, id), succeeded, outcome, reload };
}

// ------------------------------------------------------------------ routes

const now = (deps: ApiDeps) => deps.ctx.clock.now().toISOString();

export const exceptionsRoutes: RouteModule = {
  name: 'exceptions',
  schemas: { Exception: ExceptionSchema },
  routes: [
    defineRoute({
      method: 'get',
      path: '/exceptions',
      operationId: 'listExceptions',
      summary: 'The exception queue, newest first',
      tags: ['exceptions'],
      query: ListQuery,
      responses: { 200: { description: 'A page of exceptions; next is the cursor of the following page (null: the last)', schema: ExceptionList } },
      handler: async ({ query, deps }) => ({ json: await listExceptions(deps.ctx, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/exceptions/{id}',
      operationId: 'showException',
      summary: 'One exception: what, where, the mapping file and key to fix, a hint, the last good state',
      tags: ['exceptions'],
      params: IdParams,
      responses: { 200: { description: 'The exception and how to fix it', schema: ExceptionDetail } },
      handler: async ({ params, deps }) => ({ json: await showException(deps.ctx, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/exceptions/{id}/assign',
      operationId: 'assignException',
      summary: 'Give an exception an owner (an open one becomes acknowledged)',
      tags: ['exceptions'],
      params: IdParams,
      body: AssignBody,
      responses: { 200: { description: 'The exception after', schema: ExceptionOnly } },
      handler: async ({ params, body, deps, principal }) => {
        const x = await existing(deps.ctx, params.id);
        await deps.ctx.store.work.exceptions.assign(x.id, body.owner, now(deps));
        // Someone is on it: an open exception becomes acknowledged (a resolved one stays resolved).
        if (x.state === 'open') await deps.ctx.store.work.exceptions.acknowledge(x.id, now(deps));
        deps.ctx.log.info({ event: 'exception-assigned', exception: x.id, kind: x.kind, by: principal.name }, 'exception assigned over the API');
        return { json: { exception: await existing(deps.ctx, x.id) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/exceptions/{id}/resolve',
      operationId: 'resolveException',
      summary: 'Resolve an exception with a note saying what was done',
      tags: ['exceptions'],
      params: IdParams,
      body: ResolveBody,
      responses: { 200: { description: 'The exception after (resolving a resolved one keeps its first note)', schema: ExceptionOnly } },
      handler: async ({ params, body, deps, principal }) => {
        const x = await existing(deps.ctx, params.id);
        await deps.ctx.store.work.exceptions.resolve(x.id, body.note, now(deps));
        deps.ctx.log.info({ event: 'exception-resolved', exception: x.id, kind: x.kind, by: principal.name }, 'exception resolved over the API');
        return { json: { exception: await existing(deps.ctx, x.id) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/exceptions/{id}/retry',
      operationId: 'retryException',
      summary: "After a fix: reload the mappings, then re-run what the exception held (its kind's retry)",
      tags: ['exceptions'],
      params: IdParams,
      responses: {
        200: { description: 'What the retry did (succeeded false: it failed, the outcome says why)', schema: RetryResult },
        409: { description: 'The exception is resolved, or its kind has no retry', schema: ErrorBodySchema },
      },
      handler: async ({ params, deps }) => ({ json: await retryException(deps, params.id) }),
    }),
  ],
};
