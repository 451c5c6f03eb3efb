/**
 * Partners, sellers and the mappings folder over HTTP, from the loaded mappings (ctx.mappings,
 * swapped by a reload) and what the flows record: each partner's last connection (cursor
 * CURSORS.partnerConnection), each seller's Amazon token (CURSORS.amazonToken), open exceptions
 * and open orders.
 *
 * No secret ever leaves here: transports are described by host, port, user and directories
 * (never a password, a key or an environment variable's value), sellers by the NAMES of the
 * variables their credentials come from.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { GatewayContext } from '../../flows/context.ts';
import type { MappingProblem } from '../../mapping/load.ts';
import type { PartnerFile, SellerFile } from '../../mapping/schema.ts';
import { API_ERROR_CODES, ApiError, CURSORS, defineRoute, type ApiDeps, type MappingReload, type RouteModule } from '../api.ts';
import { type OrderState } from '../../store/work.ts';

// ------------------------------------------------------------------ shared by this helper's modules

/** The one error shape as a zod schema, for the statuses a route documents itself (409). */
export const ErrorBodySchema = z
  .object({
    error: z
      .object({
        status: z.number().int(),
        code: z.enum(Object.keys(API_ERROR_CODES) as [keyof typeof API_ERROR_CODES, ...Array<keyof typeof API_ERROR_CODES>]),
        message: z.string(),
        where: z.string().optional(),
        details: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();

/** A mapping file as the API names it: relative to the mappings folder (as loaded: relative to the working directory, or absolute). */
export function mappingPath(ctx: Pick<GatewayContext, 'mappingsDir'>, file: string): string {
  const r = relative(resolve(ctx.mappingsDir), resolve(file));
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : file;
}

const Problem = z.object({ file: z.string(), line: z.number().int().nonnegative(), column: z.number().int().nonnegative().optional(), message: z.string() }).strict();
const problemOf = (ctx: GatewayContext, p: Pick<MappingProblem, 'file' | 'line' | 'message'> & { column?: number }) => ({ file: mappingPath(ctx, p.file), line: p.line, ...(p.column !== undefined && { column: p.column }), message: p.message });

export const MappingReloadSchema = z
  .object({
    loadedAt: z.string(),
    problems: z.array(Problem),
    partners: z.array(z.string()),
    sellers: z.array(z.string()),
    restartNeeded: z.array(z.string()).describe('Partners or sellers added or removed: they take effect at the next restart'),
  })
  .strict();

/** When each loaded Mappings object was put in place by a reload through this API (the first load is not known here). */
const loadedAtOf = new WeakMap<object, string>();

/** Reload through deps; the result with problem files relative to the mappings folder. Remembers when the mappings now in use were put in place. */
export async function reloadMappings(deps: ApiDeps): Promise<z.infer<typeof MappingReloadSchema>> {
  const { ctx } = deps;
  const before = ctx.mappings;
  const r: MappingReload = await deps.reloadMappings();
  // A reload that refused the swap (a file in use does not load) leaves the old mappings and their time.
  if (ctx.mappings !== before) loadedAtOf.set(ctx.mappings, r.loadedAt);
  return { loadedAt: r.loadedAt, problems: r.problems.map((p) => problemOf(ctx, p)), partners: r.partners, sellers: r.sellers, restartNeeded: r.restartNeeded };
}

// ------------------------------------------------------------------ schemas

const Connection = z
  .object({ lastOkAt: z.string().nullable(), lastErrorAt: z.string().nullable(), lastError: z.string().nullable() })
  .strict()
  .describe("The transport's last successful connection and last failure, as the gateway recorded them");

const TransportView = z
  .object({
    type: z.enum(['sftp', 'directory']),
    describe: z.string().describe('Where files go: sftp://user@host:port, or the local directory'),
    host: z.string().optional(),
    port: z.number().int().optional(),
    user: z.string().optional(),
    auth: z.enum(['key-file', 'password']).optional().describe('How it logs in (never the key or the password)'),
    hostKeyPinned: z.boolean().optional(),
    path: z.string().optional(),
    directories: z.object({ inbound: z.string(), outbound: z.string(), archive: z.string().nullable() }).strict(),
    pollSeconds: z.number().int(),
    completeness: z.string().describe('How a file is known complete: stable, marker (suffix), temp-name'),
  })
  .strict();

const PartnerDocument = z.object({ document: z.string(), direction: z.enum(['in', 'out']), format: z.enum(['x12', 'csv', 'xml']), layout: z.string().nullable() }).strict();

const PartnerView = z
  .object({
    id: z.string(),
    name: z.string(),
    usage: z.enum(['test', 'production']),
    format: z.enum(['x12', 'csv', 'xml', 'mixed']).describe('The format of its documents (mixed: more than one)'),
    file: z.string().nullable().describe('Its mapping file, relative to the mappings folder'),
    timeZone: z.string(),
    transport: TransportView,
    documents: z.array(PartnerDocument),
    sellers: z.array(z.string()),
    acks: z.object({ required: z.boolean(), withinMinutes: z.number().int() }).strict().nullable(),
    connection: Connection.nullable(),
    openExceptions: z.number().int().nonnegative(),
  })
  .strict();

const AmazonToken = z
  .object({ refreshedAt: z.string().nullable(), expiresAt: z.string().nullable(), lastErrorAt: z.string().nullable(), lastError: z.string().nullable() })
  .strict()
  .describe("The seller's LWA access token as last refreshed (never the token)");

const SellerView = z
  .object({
    id: z.string(),
    name: z.string(),
    file: z.string().nullable(),
    sellingPartnerId: z.string(),
    region: z.enum(['na', 'eu', 'fe']),
    marketplaces: z.array(z.string()),
    warehouse: z.string().nullable().describe('The partner that gets its orders'),
    partners: z.array(z.string()).describe('Every partner listing the seller'),
    skuTable: z.object({ id: z.string(), file: z.string().nullable(), items: z.number().int().nonnegative() }).strict().nullable(),
    credentials: z
      .object({ source: z.enum(['environment', 'secrets-file']), variables: z.array(z.string()).describe('Environment variable NAMES (never their values)') })
      .strict(),
    amazonToken: AmazonToken.nullable(),
    openExceptions: z.number().int().nonnegative(),
    ordersOpen: z.number().int().nonnegative().describe('Orders not yet shipped, confirmed or cancelled'),
  })
  .strict();

const MappingsView = z
  .object({
    dir: z.string(),
    loadedAt: z.string().nullable().describe('When a reload through the API put these mappings in place (null: loaded at start)'),
    files: z.array(z.object({ file: z.string(), kind: z.string(), id: z.string() }).strict()),
    problems: z.array(Problem),
  })
  .strict();

const IdParams = z.object({ id: z.string().min(1).max(64) }).strict();

// ------------------------------------------------------------------ data

function parseCursor<T extends z.ZodType>(raw: string | null, schema: T): z.infer<T> | null {
  if (raw === null) return null;
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

const ConnectionCursor = z.object({ lastOkAt: z.string().optional(), lastErrorAt: z.string().optional(), lastError: z.string().optional() }).loose();
const TokenCursor = z.object({ refreshedAt: z.string().optional(), expiresAt: z.string().optional(), lastErrorAt: z.string().optional(), lastError: z.string().optional() }).loose();

/** Open and acknowledged exceptions, counted per partner and per seller. */
async function openExceptionCounts(ctx: GatewayContext): Promise<{ partner: Map<string, number>; seller: Map<string, number> }> {
  const partner = new Map<string, number>();
  const seller = new Map<string, number>();
  for (const x of await ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], limit: -1 })) {
    if (x.partner) partner.set(x.partner, (partner.get(x.partner) ?? 0) + 1);
    if (x.seller) seller.set(x.seller, (seller.get(x.seller) ?? 0) + 1);
  }
  return { partner, seller };
}

function describeTransport(t: PartnerFile['transport']): z.infer<typeof TransportView> {
  const directories = { inbound: t.directories.inbound, outbound: t.directories.outbound, archive: t.directories.archive ?? null };
  const completeness = t.completeness.mode === 'marker' ? `marker (${t.completeness.suffix})` : t.completeness.mode === 'temp-name' ? `temp-name (${[t.completeness.prefix, t.completeness.suffix].filter(Boolean).join(' ')})` : 'stable';
  if (t.type === 'sftp') {
    return {
      type: 'sftp',
      describe: `sftp://${t.user}@${t.host}:${t.port}`,
      host: t.host,
      port: t.port,
      user: t.user,
      auth: 'keyPath' in t.auth ? 'key-file' : 'password',
      hostKeyPinned: t.hostKey !== undefined,
      directories,
      pollSeconds: t.pollSeconds,
      completeness,
    };
  }
  return { type: 'directory', describe: `directory ${t.path}`, path: t.path, directories, pollSeconds: t.pollSeconds, completeness };
}

function fileOf(ctx: GatewayContext, o: object | undefined): string | null {
  const f = o ? ctx.mappings.files.get(o) : undefined;
  return f ? mappingPath(ctx, f) : null;
}

async function partnerView(ctx: GatewayContext, p: PartnerFile, open: Map<string, number>): Promise<z.infer<typeof PartnerView>> {
  const documents = Object.entries(p.documents)
    .filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== undefined)
    .map(([document, d]) => ({ document, direction: d.direction, format: d.format, layout: d.layout ?? null }));
  const formats = [...new Set(documents.map((d) => d.format))];
  const c = parseCursor(await ctx.store.work.cursors.get(CURSORS.partnerConnection(p.id)), ConnectionCursor);
  return {
    id: p.id,
    name: p.name,
    usage: p.usage,
    format: formats.length === 1 ? formats[0] : 'mixed',
    file: fileOf(ctx, p),
    timeZone: p.timeZone,
    transport: describeTransport(p.transport),
    documents,
    sellers: p.sellers,
    acks: p.acks ?? null,
    connection: c ? { lastOkAt: c.lastOkAt ?? null, lastErrorAt: c.lastErrorAt ?? null, lastError: c.lastError ?? null } : null,
    openExceptions: open.get(p.id) ?? 0,
  };
}

/** Orders still open: not shipped in full, confirmed or cancelled. */
const OPEN_ORDER_STATES: OrderState[] = ['new', 'held', 'queued', 'delivered', 'acknowledged', 'rejected', 'partially-shipped'];

/** The seller's warehouse: its `warehouse`, else the one partner listing it with an outbound ship-order document (the orders flow's rule). */
function warehouseOf(ctx: GatewayContext, s: SellerFile): string | null {
  if (s.warehouse) return s.warehouse;
  const takers = [...ctx.mappings.partners.values()].filter((p) => p.sellers.includes(s.id) && p.documents['ship-order']?.direction === 'out');
  return takers.length === 1 ? takers[0].id : null;
}

async function sellerView(ctx: GatewayContext, s: SellerFile, open: Map<string, number>): Promise<z.infer<typeof SellerView>> {
  const table = ctx.mappings.skuTables.get(s.skus);
  const t = parseCursor(await ctx.store.work.cursors.get(CURSORS.amazonToken(s.id)), TokenCursor);
  const credentials =
    'secretsFile' in s.credentials
      ? { source: 'secrets-file' as const, variables: [] }
      : { source: 'environment' as const, variables: [s.credentials.clientIdEnv, s.credentials.clientSecretEnv, s.credentials.refreshTokenEnv] };
  return {
    id: s.id,
    name: s.name,
    file: fileOf(ctx, s),
    sellingPartnerId: s.sellingPartnerId,
    region: s.region,
    marketplaces: s.marketplaces,
    warehouse: warehouseOf(ctx, s),
    partners: [...ctx.mappings.partners.values()].filter((p) => p.sellers.includes(s.id)).map((p) => p.id),
    skuTable: table ? { id: table.id, file: fileOf(ctx, table), items: table.items.length } : null,
    credentials,
    amazonToken: t ? { refreshedAt: t.refreshedAt ?? null, expiresAt: t.expiresAt ?? null, lastErrorAt: t.lastErrorAt ?? null, lastError: t.lastError ?? null } : null,
    openExceptions: open.get(s.id) ?? 0,
    ordersOpen: (await ctx.store.work.orders.list({ seller: s.id, states: OPEN_ORDER_STATES })).length,
  };
}

export async function listPartners(ctx: GatewayContext): Promise<Array<z.infer<typeof PartnerView>>> {
  const { partner } = await openExceptionCounts(ctx);
  const out = [];
  for (const p of [...ctx.mappings.partners.values()].sort((a, b) => a.id.localeCompare(b.id))) out.push(await partnerView(ctx, p, partner));
  return out;
}

export async function listSellers(ctx: GatewayContext): Promise<Array<z.infer<typeof SellerView>>> {
  const { seller } = await openExceptionCounts(ctx);
  const out = [];
  for (const s of [...ctx.mappings.sellers.values()].sort((a, b) => a.id.localeCompare(b.id))) out.push(await sellerView(ctx, s, seller));
  return out;
}

export function mappingsView(deps: ApiDeps): z.infer<typeof MappingsView> {
  const { ctx } = deps;
  const files = [...ctx.mappings.files.entries()]
    .map(([o, file]) => ({ file: mappingPath(ctx, file), kind: (o as { kind: string }).kind, id: (o as { id: string }).id }))
    .sort((a, b) => a.file.localeCompare(b.file));
  return { dir: ctx.mappingsDir, loadedAt: loadedAtOf.get(ctx.mappings) ?? null, files, problems: deps.mappingProblems().map((p) => problemOf(ctx, p)) };
}

// ------------------------------------------------------------------ routes

export const partnersRoutes: RouteModule = {
  name: 'partners',
  routes: [
    defineRoute({
      method: 'get',
      path: '/partners',
      operationId: 'listPartners',
      summary: 'The trading partners (warehouses): transport without secrets, documents, sellers, last connection, open exceptions',
      tags: ['partners'],
      responses: { 200: { description: 'Every partner of the loaded mappings', schema: z.object({ items: z.array(PartnerView) }).strict() } },
      handler: async ({ deps }) => ({ json: { items: await listPartners(deps.ctx) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/partners/{id}',
      operationId: 'showPartner',
      summary: 'One partner',
      tags: ['partners'],
      params: IdParams,
      responses: { 200: { description: 'The partner', schema: PartnerView } },
      handler: async ({ params, deps }) => {
        const p = deps.ctx.mappings.partners.get(params.id);
        if (!p) throw new ApiError('not-found', `no partner '${params.id}' in the mappings (known: ${[...deps.ctx.mappings.partners.keys()].join(', ') || 'none'})`, 'path.id');
        return { json: await partnerView(deps.ctx, p, (await openExceptionCounts(deps.ctx)).partner) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sellers',
      operationId: 'listSellers',
      summary: 'The Amazon sellers: marketplaces, warehouse, SKU table, token state, open exceptions and orders (no credentials)',
      tags: ['sellers'],
      responses: { 200: { description: 'Every seller of the loaded mappings', schema: z.object({ items: z.array(SellerView) }).strict() } },
      handler: async ({ deps }) => ({ json: { items: await listSellers(deps.ctx) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/sellers/{id}',
      operationId: 'showSeller',
      summary: 'One seller',
      tags: ['sellers'],
      params: IdParams,
      responses: { 200: { description: 'The seller', schema: SellerView } },
      handler: async ({ params, deps }) => {
        const s = deps.ctx.mappings.sellers.get(params.id);
        if (!s) throw new ApiError('not-found', `no seller '${params.id}' in the mappings (known: ${[...deps.ctx.mappings.sellers.keys()].join(', ') || 'none'})`, 'path.id');
        return { json: await sellerView(deps.ctx, s, (await openExceptionCounts(deps.ctx)).seller) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mappings',
      operationId: 'showMappings',
      summary: "The mappings folder: its files and the last load's problems (file, line, column, message)",
      tags: ['mappings'],
      responses: { 200: { description: 'The loaded mappings', schema: MappingsView } },
      handler: ({ deps }) => ({ json: mappingsView(deps) }),
    }),
    defineRoute({
      method: 'post',
      path: '/mappings/reload',
      operationId: 'reloadMappings',
      summary: 'Load the mappings folder again after an edit, without a restart',
      tags: ['mappings'],
      responses: { 200: { description: 'What the reload found and did', schema: MappingReloadSchema } },
      handler: async ({ deps, principal }) => {
        const r = await reloadMappings(deps);
        deps.ctx.log.info({ event: 'mappings-reloaded', by: principal.name, problems: r.problems.length, restartNeeded: r.restartNeeded }, 'mappings reloaded over the API');
        return { json: r };
      },
    }),
  ],
};
