/**
 * The probes: /healthz (the process answers), /readyz (it can do its work: the store takes a
 * write, each seller's Amazon token was refreshed, each partner's last connection succeeded),
 * /metrics (Prometheus text), all open; and /api/v1/whoami (who the token says you are).
 *
 * Readiness reads what the flows record in cursors (src/server/api.ts CURSORS), so `dockgate
 * serve` answers it over another process's data directory as the running gateway would.
 */
import { z } from 'zod';
import { CURSORS, defineRoute, type ApiDeps, type RouteDefinition, type RouteModule } from '../api.ts';
import { packageVersion } from '../openapi.ts';

/** An access token past its expiry this long was not refreshed by a call that should have come: the seller's calls have stopped. */
export const TOKEN_EXPIRED_GRACE_MS = 10 * 60_000;

export const READY_PROBE_CURSOR = 'readyz:probe';

const Healthz = z.object({ status: z.literal('ok'), version: z.string(), uptimeSeconds: z.number().nonnegative() });

const ReadyCheck = z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), at: z.string().optional() });
const Readyz = z.object({ ready: z.boolean(), checks: z.array(ReadyCheck) });
type ReadyCheck = z.infer<typeof ReadyCheck>;

const Whoami = z.object({ name: z.string(), access: z.enum(['read-only', 'read-write']), buyerData: z.boolean() });

const AmazonTokenCursor = z.object({ refreshedAt: z.string().optional(), expiresAt: z.string().optional(), lastErrorAt: z.string().optional(), lastError: z.string().optional() }).loose();
const PartnerConnectionCursor = z.object({ lastOkAt: z.string().optional(), lastErrorAt: z.string().optional(), lastError: z.string().optional() }).loose();

const after = (a: string | undefined, b: string | undefined) => a !== undefined && (b === undefined || Date.parse(a) > Date.parse(b));

async function readCursor<T>(deps: ApiDeps, name: string, schema: z.ZodType<T>): Promise<{ value: T | null; error?: string }> {
  const raw = await deps.ctx.store.work.cursors.get(name);
  if (raw === null) return { value: null };
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? { value: r.data } : { value: null, error: `cursor ${name} is not in the expected form` };
  } catch {
    return { value: null, error: `cursor ${name} is not JSON` };
  }
}

async function storeCheck(deps: ApiDeps, now: string): Promise<ReadyCheck> {
  try {
    await deps.ctx.store.work.cursors.set(READY_PROBE_CURSOR, now, now);
    const back = await deps.ctx.store.work.cursors.get(READY_PROBE_CURSOR);
    if (back !== now) return { name: 'store', ok: false, detail: `wrote ${now} to cursor ${READY_PROBE_CURSOR}, read back ${back ?? 'nothing'}` };
    return { name: 'store', ok: true, detail: `writable (${deps.ctx.store.location})`, at: now };
  } catch (e) {
    return { name: 'store', ok: false, detail: `not writable: ${(e as Error).message}` };
  }
}

export async function amazonTokenCheck(deps: ApiDeps, seller: string, nowMs: number): Promise<ReadyCheck> {
  const name = CURSORS.amazonToken(seller);
  const { value: t, error } = await readCursor(deps, name, AmazonTokenCursor);
  if (error) return { name, ok: false, detail: error };
  if (!t) return { name, ok: true, detail: 'unknown (no call yet)' };
  if (after(t.lastErrorAt, t.refreshedAt)) return { name, ok: false, detail: `token refresh failed: ${t.lastError ?? 'no detail'}`, at: t.lastErrorAt };
  if (!t.expiresAt) return { name, ok: true, detail: `refreshed at ${t.refreshedAt ?? 'an unknown time'}`, at: t.refreshedAt };
  const expires = Date.parse(t.expiresAt);
  if (expires > nowMs) return { name, ok: true, detail: `fresh until ${t.expiresAt}`, at: t.refreshedAt };
  if (nowMs - expires <= TOKEN_EXPIRED_GRACE_MS) return { name, ok: true, detail: `expired at ${t.expiresAt}; refreshed at the next call`, at: t.refreshedAt };
  return { name, ok: false, detail: `expired at ${t.expiresAt} and not refreshed since (no calls to Amazon for this seller?)`, at: t.refreshedAt };
}

export async function partnerConnectionCheck(deps: ApiDeps, partner: string): Promise<ReadyCheck> {
  const name = CURSORS.partnerConnection(partner);
  const { value: c, error } = await readCursor(deps, name, PartnerConnectionCursor);
  if (error) return { name, ok: false, detail: error };
  if (!c) return { name, ok: true, detail: 'unknown (no connection yet)' };
  if (after(c.lastErrorAt, c.lastOkAt)) return { name, ok: false, detail: `last connection failed: ${c.lastError ?? 'no detail'}`, at: c.lastErrorAt };
  return { name, ok: true, detail: `connected at ${c.lastOkAt ?? 'an unknown time'}`, at: c.lastOkAt };
}

export async function readiness(deps: ApiDeps): Promise<z.infer<typeof Readyz>> {
  const nowDate = deps.ctx.clock.now();
  const now = nowDate.toISOString();
  const checks = [await storeCheck(deps, now)];
  // The other checks read the store: with the store down (a database gone) they cannot answer, and the store check says why.
  if (!checks[0].ok) return { ready: false, checks };
  for (const seller of [...deps.ctx.mappings.sellers.keys()].sort()) checks.push(await amazonTokenCheck(deps, seller, nowDate.getTime()));
  for (const partner of [...deps.ctx.mappings.partners.keys()].sort()) checks.push(await partnerConnectionCheck(deps, partner));
  return { ready: checks.every((c) => c.ok), checks };
}

/** The routes outside /api/v1, with no token: what a load balancer, Docker and Prometheus call. */
export function openRoutes(): Array<{ route: RouteDefinition; fullPath: string }> {
  const healthz = defineRoute({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealthz',
    summary: 'Liveness: the process answers',
    tags: ['health'],
    responses: { 200: { description: 'Alive', schema: Healthz } },
    handler: () => ({ json: { status: 'ok', version: packageVersion(), uptimeSeconds: Math.round(process.uptime()) } }),
  });
  const readyz = defineRoute({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadyz',
    summary: 'Readiness: the store is writable, Amazon tokens fresh, partner connections working',
    description: 'A seller or partner with no call yet counts as ready (detail says so). 503 when any check fails.',
    tags: ['health'],
    responses: { 200: { description: 'Ready', schema: Readyz }, 503: { description: 'Not ready (the failing checks say why)', schema: Readyz } },
    handler: async ({ deps }) => {
      const r = await readiness(deps);
      return { status: r.ready ? 200 : 503, json: r };
    },
  });
  const metrics = defineRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['health'],
    responses: { 200: { description: 'The metrics', contentType: 'text/plain' } },
    handler: async ({ deps }) => ({ text: await deps.metrics.render(), contentType: deps.metrics.contentType }),
  });
  return [healthz, readyz, metrics].map((route) => ({ route, fullPath: route.path }));
}

export const healthModule: RouteModule = {
  name: 'health',
  routes: [
    defineRoute({
      method: 'get',
      path: '/whoami',
      operationId: 'getWhoami',
      summary: 'The calling token: its name, access and whether it sees buyer data',
      tags: ['meta'],
      responses: { 200: { description: 'The principal', schema: Whoami } },
      handler: ({ principal }) => ({ json: { name: principal.name, access: principal.access, buyerData: principal.buyerData } }),
    }),
  ],
};
