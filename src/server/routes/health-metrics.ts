/**
 * The health metrics over HTTP, as the dashboard charts them: each metric's current value,
 * threshold and status, its series from the samples the checks cycle writes (src/flows/
 * health-sampling.ts), and for the scoped ones (inventory age per seller/SKU, connection
 * health per partner) the value and status of each scope.
 *
 * The current values are computed now from the store; the SP-API rates come from the running
 * gateway's counters, and under `dockgate serve` (no gateway in this process: deps.control is
 * null) from the newest sample the gateway wrote.
 */
import { z } from 'zod';
import { HEALTH_METRICS, healthSnapshot, SPAPI_METRICS, statusOf, type HealthValue } from '../../metrics/health.ts';
import { ApiError, defineRoute, type RouteModule } from '../api.ts';

/** The default chart span, and the longest one asked (the samples are kept 14 days). */
export const SERIES_DEFAULT_HOURS = 24;
export const SERIES_MAX_POINTS = 5000;
/** How old the newest SP-API sample may be for `dockgate serve` to show it as current. */
const SERVE_SAMPLE_MAX_AGE_MS = 5 * 60_000;

const Iso = z.string().describe('ISO 8601 UTC time');
const Status = z.enum(['ok', 'warn', 'critical', 'unknown']);

export const HealthMetricSchema = z
  .object({
    name: z.string(),
    group: z.string().describe('The dashboard tile it belongs to'),
    title: z.string(),
    unit: z.string().describe('seconds, ratio, count or per-minute'),
    description: z.string(),
    value: z.number().nullable().describe('null: nothing to measure now'),
    threshold: z.object({ warn: z.number().nullable(), critical: z.number().nullable(), direction: z.enum(['above', 'below']) }).strict(),
    status: Status,
    series: z.array(z.object({ at: Iso, value: z.number() }).strict()).describe('Samples of the asked scope (the whole gateway by default), oldest first'),
    scopes: z.array(z.object({ scope: z.string(), value: z.number(), status: Status }).strict()).optional(),
  })
  .strict();

const HealthMetrics = z.object({ generatedAt: Iso, metrics: z.array(HealthMetricSchema) }).strict();

const isoTime = (what: string) =>
  z
    .string()
    .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), `an ISO 8601 time (${what})`)
    .transform((s) => new Date(s).toISOString());

const Query = z
  .object({
    since: isoTime('2026-11-02T12:00:00Z').optional().describe(`Start of the series; default ${SERIES_DEFAULT_HOURS} hours before until`),
    until: isoTime('2026-11-03T12:00:00Z').optional().describe('End of the series (exclusive); default now'),
    scope: z.string().min(1).max(200).optional().describe('The series of one scope ("seller/sku", a partner) instead of the whole gateway'),
  })
  .strict();

export const healthMetricsRoutes: RouteModule = {
  name: 'health-metrics',
  schemas: { HealthMetric: HealthMetricSchema },
  routes: [
    defineRoute({
      method: 'get',
      path: '/health-metrics',
      operationId: 'getHealthMetrics',
      summary: 'The health metrics: current value, threshold, status and history',
      description: 'Order sync latency, acknowledgement SLA hit rate, inventory freshness per SKU, tracking upload lag, exception backlog and oldest age, SP-API calls / throttles / errors, partner connection health.',
      tags: ['metrics'],
      query: Query,
      responses: { 200: { description: 'Every health metric', schema: HealthMetrics } },
      handler: async ({ query, deps }) => {
        const { ctx } = deps;
        const nowMs = ctx.clock.now().getTime();
        const until = query.until ?? new Date(nowMs).toISOString();
        const since = query.since ?? new Date(Date.parse(until) - SERIES_DEFAULT_HOURS * 3600_000).toISOString();
        if (since >= until) throw new ApiError('bad-request', `since (${since}) must be before until (${until})`, 'query.since');
        const served = deps.control === null;
        const snapshot = await healthSnapshot(ctx, { spapiFromProcess: !served });
        if (served) {
          // No gateway here: the SP-API rates are the newest samples the gateway wrote, if recent.
          const recent = new Date(nowMs - SERVE_SAMPLE_MAX_AGE_MS).toISOString();
          for (const metric of SPAPI_METRICS) {
            const samples = await ctx.store.work.health.list({ since: recent, metric, scope: '', limit: SERIES_MAX_POINTS });
            snapshot.values[metric] = { value: samples.at(-1)?.value ?? null };
          }
        }
        const metrics = [];
        for (const def of HEALTH_METRICS) {
          const v: HealthValue = snapshot.values[def.name] ?? { value: null };
          const series = await ctx.store.work.health.list({ since, until, metric: def.name, scope: query.scope ?? '', limit: SERIES_MAX_POINTS });
          metrics.push({
            name: def.name,
            group: def.group,
            title: def.title,
            unit: def.unit,
            description: def.description,
            value: v.value,
            threshold: def.threshold,
            status: statusOf(def.threshold, v.value),
            series: series.map((s) => ({ at: s.at, value: s.value })),
            ...(v.scopes && { scopes: v.scopes.map((s) => ({ scope: s.scope, value: s.value, status: statusOf(def.threshold, s.value) })) }),
          });
        }
        return { json: { generatedAt: snapshot.at, metrics } };
      },
    }),
  ],
};
