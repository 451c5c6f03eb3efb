/**
 * GET /api/v1/health-metrics through the real app (test/server/api-harness.ts: every response
 * validated against the generated OpenAPI document), over the flow harness: orders polled and
 * delivered by the real flows, samples written by the sampling flow as the TestClock moves, a
 * partner's failed connection recorded as the gateway records it. Both modes: in the gateway
 * (a real Gateway's SchedulerControl: SP-API rates from the process's counters) and under
 * `dockgate serve` (no control: the rates from the newest sample).
 *
 * (Every assert.ok has a message: without one, node's assert reads the source to describe the
 * failure, and under tsx's transform that can spin for minutes.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flows } from '../../src/flows/index.ts';
import { sampleHealth } from '../../src/flows/health-sampling.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { SchedulerControl } from '../../src/gateway/control.ts';
import type { GatewayConfig } from '../../src/gateway/config.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { HEALTH_METRICS, SPAPI_RATE_MINUTES } from '../../src/metrics/health.ts';
import { recordPartnerConnection } from '../../src/metrics/status-cursors.ts';
import { healthMetricsRoutes } from '../../src/server/routes/health-metrics.ts';
import { drainDeliveries, startHarness, TestClock, type Harness } from '../flows/harness.ts';
import { startApi } from '../server/api-harness.ts';

const RENO = 'reno-wms';

async function withData(): Promise<Harness> {
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  const h = await startHarness({ clock, emulator: { clock } });
  await pollOrders(h.ctx, 'acme');
  await drainDeliveries(h);
  await recordPartnerConnection(h.ctx, RENO, null);
  await h.store.work.inventory.accepted('acme', 'ACME-MUG-BLUE', 7, clock.now().toISOString());
  await sampleHealth(h.ctx);
  clock.advance(60_000);
  // Reno's server refuses us now: its scope turns 0 and the overall share with it.
  await recordPartnerConnection(h.ctx, RENO, new Error('connect ECONNREFUSED 127.0.0.1:22'));
  await sampleHealth(h.ctx);
  clock.advance(10_000);
  return h;
}

test('health metrics in the gateway: every metric with its value, threshold, status, series and scopes; a scope\'s series; bad times refused', async () => {
  const h = await withData();
  const gateway = new Gateway(h.ctx, { schedules: { orders: { seconds: 120 }, checks: { seconds: 60 }, partners: {}, pollSeconds: null }, workers: 1, maxAttempts: 3 } as unknown as GatewayConfig, flows, { sellers: ['acme'], partners: [RENO] });
  const api = await startApi({ harness: h, modules: [healthMetricsRoutes], control: new SchedulerControl(gateway.scheduler) });
  try {
    const r = await api.request('GET', '/api/v1/health-metrics');
    assert.equal(r.status, 200);
    assert.equal(r.body.generatedAt, h.clock.now().toISOString());
    const byName = new Map<string, any>(r.body.metrics.map((m: any) => [m.name, m]));
    assert.deepEqual([...byName.keys()], HEALTH_METRICS.map((m) => m.name));
    assert.equal(new Set(HEALTH_METRICS.map((m) => m.group)).size, 7, 'the seven tiles of the dashboard');

    const conn = byName.get('partner-connection-health');
    assert.equal(conn.value, 0);
    assert.equal(conn.status, 'critical');
    assert.deepEqual(conn.threshold, { warn: 1, critical: 0.5, direction: 'below' });
    assert.deepEqual(conn.scopes, [{ scope: RENO, value: 0, status: 'critical' }]);
    assert.deepEqual(conn.series.map((s: any) => s.value), [1, 0], 'connected at the first sample, refused at the second');

    const inventory = byName.get('inventory-age-seconds');
    assert.equal(inventory.value, 70);
    assert.equal(inventory.status, 'ok');
    assert.deepEqual(inventory.scopes, [{ scope: 'acme/ACME-MUG-BLUE', value: 70, status: 'ok' }]);

    const backlog = byName.get('exception-backlog');
    assert.equal(backlog.series.length, 2);
    assert.equal(backlog.series[0].at, '2026-11-25T00:00:00.000Z');
    // The orders were delivered a moment ago; no acknowledgement is due yet.
    assert.equal(byName.get('ack-sla-hit-rate').value, null);
    assert.equal(byName.get('ack-sla-hit-rate').status, 'unknown');
    assert.equal(byName.get('tracking-upload-lag-seconds').value, null);
    // In the gateway the rates are the process's own counters.
    assert.equal(byName.get('spapi-calls').value, h.ctx.metrics.spapiRates(SPAPI_RATE_MINUTES).calls);
    assert.ok(byName.get('spapi-calls').value > 0, 'the order poll called SP-API');
    assert.equal(byName.get('spapi-calls').status, 'ok', 'informational: no threshold');

    // One scope's history instead of the whole gateway's.
    const scoped = await api.request('GET', `/api/v1/health-metrics?scope=${RENO}`);
    assert.deepEqual(scoped.body.metrics.find((m: any) => m.name === 'partner-connection-health').series.map((s: any) => s.value), [1, 0]);
    assert.deepEqual(scoped.body.metrics.find((m: any) => m.name === 'exception-backlog').series, []);
    // A window: only the second sample.
    const windowed = await api.request('GET', '/api/v1/health-metrics?since=2026-11-25T00:00:30Z&until=2026-11-25T00:05:00Z');
    assert.deepEqual(windowed.body.metrics.find((m: any) => m.name === 'partner-connection-health').series, [{ at: '2026-11-25T00:01:00.000Z', value: 0 }]);

    const bad = await api.request('GET', '/api/v1/health-metrics?since=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.where, 'query.since');
    const backwards = await api.request('GET', '/api/v1/health-metrics?since=2026-11-25T01:00:00Z&until=2026-11-25T00:00:00Z');
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.error.code, 'bad-request');
    const unauthenticated = await api.request('GET', '/api/v1/health-metrics', { token: null });
    assert.equal(unauthenticated.status, 401);
  } finally {
    await api.close();
    await h.close();
  }
});

test('health metrics under dockgate serve: the SP-API rates are the newest samples the gateway wrote, not this process\'s counters', async () => {
  const h = await withData();
  const api = await startApi({ harness: h, control: null, modules: [healthMetricsRoutes] });
  try {
    const samples = await h.store.work.health.list({ since: '2026-11-01T00:00:00Z', metric: 'spapi-calls', scope: '' });
    assert.equal(samples.length, 2);
    // Calls this process makes after the last sample move its counters, not what serve shows.
    await pollOrders(h.ctx, 'acme');
    assert.notEqual(h.ctx.metrics.spapiRates(SPAPI_RATE_MINUTES).calls, samples.at(-1)!.value, 'the counters moved past the sample');
    const r = await api.request('GET', '/api/v1/health-metrics');
    const calls = r.body.metrics.find((m: any) => m.name === 'spapi-calls');
    assert.equal(calls.value, samples.at(-1)!.value);
    assert.deepEqual(calls.series.map((s: any) => s.value), samples.map((s) => s.value));
    // Ten minutes later the newest sample is too old to stand for now.
    h.clock.advance(10 * 60_000);
    const later = await api.request('GET', '/api/v1/health-metrics');
    assert.equal(later.body.metrics.find((m: any) => m.name === 'spapi-calls').value, null);
    assert.equal(later.body.metrics.find((m: any) => m.name === 'spapi-calls').status, 'unknown');
  } finally {
    await api.close();
    await h.close();
  }
});
