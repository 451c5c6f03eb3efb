/**
 * Metrics for the operator surface: the Prometheus registry and its instrumentation
 * (registry.ts, instrument-store.ts, status-cursors.ts) and the seven health metrics
 * (health.ts, their thresholds in health-metrics.json).
 */
import type { GatewayContext } from '../flows/context.ts';
import type { MetricsEndpoint } from '../server/api.ts';

export { GatewayMetrics, METRIC_PREFIX, statusClass, taskFlow } from './registry.ts';
export { instrumentStore } from './instrument-store.ts';
export { recordPartnerConnection, recordTokenRefresh, parseStatus, type AmazonTokenStatus, type PartnerConnectionStatus } from './status-cursors.ts';
export { HEALTH_METRICS, healthSnapshot, statusOf, percentile, type HealthSnapshot, type HealthStatus } from './health.ts';

/** GET /metrics: the context's registry in Prometheus text. */
export function metricsEndpoint(ctx: Pick<GatewayContext, 'metrics'>): MetricsEndpoint {
  return { contentType: ctx.metrics.contentType, render: () => ctx.metrics.render() };
}
