/**
 * Alerts in the checks cycle (src/gateway/gateway.ts runs it after the other checks, so it sees
 * what they raised): every rule evaluated, new causes fired and gone ones cleared
 * (src/alerts/engine.ts), each with its deliver-alert jobs; the handler POSTs them signed.
 */
import { deliverAlert, retryAlertDeliveries, runAlertRules } from '../alerts/index.ts';
import type { ExceptionRetries, FlowRunSummary, GatewayContext, JobHandlers } from './context.ts';

export async function checkAlerts(ctx: GatewayContext): Promise<FlowRunSummary> {
  const run = await runAlertRules(ctx);
  return { flow: 'alerts', counts: { ...run.counts, failedRules: run.failedRules.length }, failed: run.failedRules.length };
}

export const handlers: JobHandlers = { 'deliver-alert': deliverAlert };

/** alert-failed: after the webhook is fixed, its dead deliveries go again (wired by src/flows/index.ts mergeRetries). */
export const retries: ExceptionRetries = { 'alert-failed': retryAlertDeliveries };
