/**
 * The connection and token status cursors readyz, the partners API and the health metrics read
 * (CURSORS in src/server/api.ts): the gateway writes them as it connects to partners and
 * refreshes sellers' tokens, so a `dockgate serve` process over the same store sees them too.
 *
 * Each write keeps what the earlier value said that this one does not replace (a failure keeps
 * the last success, a success keeps the last failure's time and message).
 */
import type { GatewayContext } from '../flows/context.ts';
import { CURSORS } from '../server/api.ts';

export interface PartnerConnectionStatus {
  lastOkAt: string | null;
  lastErrorAt?: string;
  lastError?: string;
}

export interface AmazonTokenStatus {
  refreshedAt: string | null;
  expiresAt: string | null;
  lastErrorAt?: string;
  lastError?: string;
}

/** A cursor's JSON, or null when absent or not JSON (written by a newer or older version). */
export function parseStatus<T>(value: string | null): T | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as unknown;
    return v && typeof v === 'object' ? (v as T) : null;
  } catch {
    return null;
  }
}

type Ctx = Pick<GatewayContext, 'store' | 'clock' | 'log'>;

/** A partner's connection succeeded (error null) or failed. Never throws: a status write must not fail a flow. */
export async function recordPartnerConnection(ctx: Ctx, partner: string, error: Error | null): Promise<void> {
  const name = CURSORS.partnerConnection(partner);
  const now = ctx.clock.now().toISOString();
  try {
    const before = parseStatus<PartnerConnectionStatus>(await ctx.store.work.cursors.get(name));
    const next: PartnerConnectionStatus = error
      ? { lastOkAt: before?.lastOkAt ?? null, lastErrorAt: now, lastError: error.message }
      : { lastOkAt: now, ...(before?.lastErrorAt && { lastErrorAt: before.lastErrorAt, lastError: before.lastError }) };
    await ctx.store.work.cursors.set(name, JSON.stringify(next), now);
  } catch (e) {
    ctx.log.warn({ event: 'status-cursor-failed', cursor: name, err: (e as Error).message }, `could not record ${name}`);
  }
}

/** A seller's LWA token refresh, as the adapter's observer reports it. Fire and forget: the observer is synchronous. */
export function recordTokenRefresh(ctx: Ctx, e: { seller: string; ok: boolean; expiresAt?: string; error?: string }): void {
  const name = CURSORS.amazonToken(e.seller);
  const now = ctx.clock.now().toISOString();
  void (async () => {
    const before = parseStatus<AmazonTokenStatus>(await ctx.store.work.cursors.get(name));
    const next: AmazonTokenStatus = e.ok
      ? { refreshedAt: now, expiresAt: e.expiresAt ?? null, ...(before?.lastErrorAt && { lastErrorAt: before.lastErrorAt, lastError: before.lastError }) }
      : { refreshedAt: before?.refreshedAt ?? null, expiresAt: before?.expiresAt ?? null, lastErrorAt: now, lastError: e.error ?? 'token refresh failed' };
    await ctx.store.work.cursors.set(name, JSON.stringify(next), now);
  })().catch((err: Error) => ctx.log.warn({ event: 'status-cursor-failed', cursor: name, err: err.message }, `could not record ${name}`));
}
