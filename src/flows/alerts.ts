/**
 * Alerts (owned by the alerts work of issue 11): evaluate the alert rules, fire / clear
 * (src/alerts), and deliver each fired or cleared alert to its webhooks as a deliver-alert job.
 * This first version only declares the flow's place in the schedule and the job kind's handler.
 */
import type { FlowRunSummary, GatewayContext, JobHandlers } from './context.ts';

export async function checkAlerts(_ctx: GatewayContext): Promise<FlowRunSummary> {
  return { flow: 'alerts', counts: {}, failed: 0 };
}

export const handlers: JobHandlers = {};
