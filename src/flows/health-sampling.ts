/**
 * Health sampling (owned by the metrics work of issue 11): every checks cycle, the seven
 * health metrics are computed from the store and written as samples, so the dashboard's charts
 * have history (also for `dockgate serve` in another process).
 * This first version only declares the flow's place in the schedule.
 */
import type { FlowRunSummary, GatewayContext } from './context.ts';

export async function sampleHealth(_ctx: GatewayContext): Promise<FlowRunSummary> {
  return { flow: 'health-sampling', counts: {}, failed: 0 };
}
