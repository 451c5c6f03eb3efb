/**
 * Health sampling: every checks cycle, the health metrics (src/metrics/health.ts) are computed
 * from the store and written as samples, so the dashboard's charts have history, also for
 * `dockgate serve` in another process (which reads the SP-API rates from these samples: it
 * makes no calls of its own). A cycle that comes less than 50 s after the last sample writes
 * none (several instances, or a short checks schedule); samples older than 14 days are purged.
 */
import { healthSnapshot } from '../metrics/health.ts';
import type { HealthSample } from '../store/work.ts';
import type { FlowRunSummary, GatewayContext } from './context.ts';

/** The shortest time between two samples. */
export const SAMPLE_SPACING_MS = 50_000;
export const SAMPLE_RETENTION_DAYS = 14;

export async function sampleHealth(ctx: GatewayContext): Promise<FlowRunSummary> {
  const now = ctx.clock.now();
  const counts = { samples: 0, skipped: 0, purged: 0 };
  const health = ctx.store.work.health;
  const recent = await health.list({ since: new Date(now.getTime() - SAMPLE_SPACING_MS + 1).toISOString(), limit: 1 });
  if (recent.length > 0) {
    counts.skipped = 1;
    return { flow: 'health-sampling', counts, failed: 0 };
  }
  const snapshot = await healthSnapshot(ctx);
  const samples: HealthSample[] = [];
  for (const [metric, v] of Object.entries(snapshot.values)) {
    if (v.value !== null) samples.push({ at: snapshot.at, metric, scope: '', value: v.value });
    for (const s of v.scopes ?? []) samples.push({ at: snapshot.at, metric, scope: s.scope, value: s.value });
  }
  await health.add(samples);
  counts.samples = samples.length;
  counts.purged = await health.purgeBefore(new Date(now.getTime() - SAMPLE_RETENTION_DAYS * 86_400_000).toISOString());
  ctx.log.debug({ event: 'health-sampled', ...counts }, `health: ${samples.length} samples`);
  return { flow: 'health-sampling', counts, failed: 0 };
}
