/**
 * `dockgate exceptions retry`: the flow's retry for the exception's kind (src/flows/index.ts),
 * plus the gateway's own kinds: a seller or partner that was unavailable is tried now, and a
 * mapping file that did not load is loaded again.
 */
import type { ExceptionRetries, ExceptionRetry, GatewayContext } from '../flows/context.ts';
import { formatProblem, loadMappings } from '../mapping/load.ts';
import type { ExceptionRecord } from '../store/work.ts';
import type { FlowRegistry } from './gateway.ts';

const now = (ctx: GatewayContext) => ctx.clock.now().toISOString();

export function gatewayRetries(flows: FlowRegistry): ExceptionRetries {
  const sellerUnavailable: ExceptionRetry = async (ctx, x) => {
    if (!x.seller) return `exception ${x.id} names no seller: nothing to try`;
    const summary = await flows.pollOrders(ctx, x.seller);
    await ctx.store.work.exceptions.resolveCause('seller-unavailable', x.key, x.seller, null, 'reachable again (exceptions retry)', now(ctx));
    return `seller ${x.seller} reachable: orders polled (${JSON.stringify(summary.counts)}${summary.failed ? `, ${summary.failed} failure(s)` : ''})`;
  };
  const partnerUnavailable: ExceptionRetry = async (ctx, x) => {
    if (!x.partner) return `exception ${x.id} names no partner: nothing to try`;
    const t = await ctx.transport(x.partner);
    await ctx.store.work.exceptions.resolveCause('partner-unavailable', x.key, null, x.partner, 'reachable again (exceptions retry)', now(ctx));
    return `partner ${x.partner} reachable (${t.describe}); its files are taken at the next poll`;
  };
  const mappingProblem: ExceptionRetry = async (ctx, x: ExceptionRecord) => {
    const { problems } = loadMappings(ctx.mappingsDir);
    const file = x.key.startsWith('load:') ? x.key.slice(5) : null;
    if (!file) return `exception ${x.id}: no flow retry for this mapping problem`;
    const left = problems.filter((p) => p.file === file);
    if (left.length) return `${file} still has ${left.length} problem(s): ${formatProblem(left[0])}`;
    await ctx.store.work.exceptions.resolve(x.id, 'the mapping file loads without problems now', now(ctx));
    return `${file} loads without problems now: resolved (restart the gateway to use it)`;
  };
  return { 'seller-unavailable': sellerUnavailable, 'partner-unavailable': partnerUnavailable, 'mapping-problem': mappingProblem };
}

/** The flows' retries first; the gateway's for the kinds no flow retries (mapping-problem: both). */
export function allRetries(flows: FlowRegistry): ExceptionRetries {
  const own = gatewayRetries(flows);
  const merged: ExceptionRetries = { ...own, ...flows.exceptionRetries };
  const flowMapping = flows.exceptionRetries['mapping-problem'];
  if (flowMapping) merged['mapping-problem'] = (ctx, x) => (x.key.startsWith('load:') ? own['mapping-problem']!(ctx, x) : flowMapping(ctx, x));
  return merged;
}
