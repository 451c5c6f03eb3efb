/**
 * (Every assert.ok here has a message: without one, node's assert reads the source to describe
 * the failure, and under tsx's transform that can spin for minutes.)
 *
 * Metrics on real parts: the gateway (its scheduler and outbox worker, `runOnce`) over the flow
 * harness (SP-API emulator, SQLite, directory transports, a TestClock), the warehouse simulator
 * answering the 940 with a 997 and a 945, then a scrape of the registry parsed line by line, the
 * health snapshot of what happened, and the samples the checks cycle wrote as the clock moves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flows } from '../../src/flows/index.ts';
import { sampleHealth, SAMPLE_RETENTION_DAYS } from '../../src/flows/health-sampling.ts';
import type { GatewayConfig } from '../../src/gateway/config.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { healthSnapshot, HEALTH_METRICS, statusOf } from '../../src/metrics/health.ts';
import { metricsEndpoint } from '../../src/metrics/index.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/simulator.ts';
import { CURSORS } from '../../src/server/api.ts';
import { sampleSeed, startHarness, TestClock, type Harness } from '../flows/harness.ts';

const SELLER = 'acme';
const RENO = 'reno-wms';

function configFor(h: Harness): GatewayConfig {
  return {
    dataDir: h.dataDir,
    retentionDays: 30,
    mappingsDir: h.ctx.mappingsDir,
    partners: [RENO],
    sellers: [SELLER],
    amazon: { endpoint: null, perSeller: {}, timeScale: 1000 },
    partnerRoot: h.partnerRoot,
    schedules: { orders: { seconds: 120 }, checks: { seconds: 60 }, partners: {}, pollSeconds: null },
    settings: h.ctx.settings,
    workers: 2,
    maxAttempts: 3,
  } as GatewayConfig;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, parsed: TYPE lines and samples (the format's own escaping is not needed for our label values). */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

/** acme's orders to Reno, the 997 and the 945 back, the packages confirmed at the emulator: two gateway cycles around the simulator. */
async function throughTheWarehouse() {
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  // Orders only: the seed's FBA inbound plans would add a replenishment's ship order (src/flows/fba-replenishment.ts) to the orders counted.
  const seed = sampleSeed();
  for (const x of seed.sellers) x.inboundPlans = [];
  const h = await startHarness({ seed, clock, emulator: { clock } });
  const gateway = new Gateway(h.ctx, configFor(h), flows, { sellers: [SELLER], partners: [RENO], random: () => 0.5 });
  const sim = new WarehouseSimulator({ mappings: h.mappings, partner: RENO, root: h.partnerRoot, inventoryEverySeconds: 0, shipAfterSeconds: 60, clock });
  const first = await gateway.runOnce();
  clock.advance(30_000);
  const taken = await sim.step(clock.now());
  clock.advance(90_000);
  const shipped = await sim.step(clock.now());
  clock.advance(30_000);
  const second = await gateway.runOnce();
  return { h, clock, gateway, first, second, taken, shipped };
}

test('a scrape after orders went to the warehouse and back: names, types, labels, counts, and no order id, SKU or tracking number', async () => {
  const { h, first, second, taken, shipped } = await throughTheWarehouse();
  try {
    assert.ok(taken.ordersReceived.length >= 2, `the simulator took the orders: ${JSON.stringify(taken)}`);
    assert.ok(shipped.shipped.length >= 1, 'and shipped them');
    assert.deepEqual(first.failures, []);
    assert.deepEqual(second.failures, []);
    const orders = await h.store.work.orders.list({ seller: SELLER });
    const packages = await h.store.work.packages.list({ seller: SELLER });
    assert.ok(packages.some((p) => p.state === 'confirmed'), 'packages confirmed at Amazon');

    const endpoint = metricsEndpoint(h.ctx);
    assert.match(endpoint.contentType, /^text\/plain; version=0\.0\.4/);
    const text = await endpoint.render();
    const { types, samples } = parseExposition(text);

    const expectTypes: Record<string, string> = {
      dockgate_flow_runs_total: 'counter',
      dockgate_flow_run_duration_seconds: 'histogram',
      dockgate_flow_items_total: 'counter',
      dockgate_messages_total: 'counter',
      dockgate_orders_total: 'counter',
      dockgate_packages_confirmed_total: 'counter',
      dockgate_quantities_published_total: 'counter',
      dockgate_jobs_total: 'counter',
      dockgate_exceptions_raised_total: 'counter',
      dockgate_exceptions_open: 'gauge',
      dockgate_exception_oldest_open_age_seconds: 'gauge',
      dockgate_acknowledgements_overdue: 'gauge',
      dockgate_inventory_snapshot_age_seconds: 'gauge',
      dockgate_tracking_upload_lag_seconds: 'histogram',
      dockgate_jobs_ready: 'gauge',
      dockgate_spapi_calls_total: 'counter',
      dockgate_spapi_throttled_total: 'counter',
      dockgate_spapi_errors_total: 'counter',
      dockgate_spapi_token_refreshes_total: 'counter',
      dockgate_spapi_call_duration_seconds: 'histogram',
      dockgate_transport_connections_total: 'counter',
      dockgate_process_cpu_user_seconds_total: 'counter',
    };
    for (const [name, type] of Object.entries(expectTypes)) assert.equal(types.get(name), type, `# TYPE ${name} ${type}`);
    // Prometheus conventions: every name prefixed; counters end in _total; durations in base units.
    for (const [name, type] of types) {
      assert.match(name, /^dockgate_/);
      if (type === 'counter') assert.match(name, /_total$/, name);
      if (/duration|_lag_|_age_/.test(name)) assert.match(name, /_seconds$/, name);
    }

    // What happened, counted.
    assert.equal(valueOf(samples, 'dockgate_flow_runs_total', { flow: 'orders', outcome: 'ran' }), 2);
    assert.equal(valueOf(samples, 'dockgate_flow_runs_total', { flow: 'checks', outcome: 'ran' }), 2);
    assert.equal(valueOf(samples, 'dockgate_flow_run_duration_seconds_count', { flow: 'files' }), 2);
    assert.equal(valueOf(samples, 'dockgate_flow_items_total', { flow: 'orders-to-warehouse', count: 'queued' }), orders.length);
    assert.equal(valueOf(samples, 'dockgate_messages_total', { direction: 'out', flow: 'orders-to-warehouse', partner: RENO, state: 'queued' }), 1);
    // The 940, and the 997 the gateway sends for the 945.
    const deliveries = (await h.store.work.jobs.list({ kind: 'deliver-file', state: 'done' })).length;
    assert.ok(deliveries >= 2, `deliveries: ${deliveries}`);
    assert.equal(valueOf(samples, 'dockgate_messages_total', { direction: 'out', flow: 'outbox-delivery', partner: RENO, state: 'delivered' }), deliveries);
    assert.ok(valueOf(samples, 'dockgate_messages_total', { direction: 'in', flow: 'inbound', partner: RENO, state: 'processed' }) >= 2, 'the 997 and the 945');
    assert.equal(valueOf(samples, 'dockgate_orders_total', { seller: SELLER, state: 'queued' }), orders.length);
    assert.equal(valueOf(samples, 'dockgate_orders_total', { seller: SELLER, state: 'delivered' }), orders.length);
    // The 945 may be read before the 997 (one poll, by name): the order is shipped, then confirmed, whatever the 997 finds.
    assert.equal(valueOf(samples, 'dockgate_orders_total', { seller: SELLER, state: 'confirmed' }), orders.filter((o) => o.state === 'confirmed').length);
    const confirmed = packages.filter((p) => p.state === 'confirmed').length;
    assert.equal(valueOf(samples, 'dockgate_packages_confirmed_total', { seller: SELLER }), confirmed);
    assert.equal(valueOf(samples, 'dockgate_tracking_upload_lag_seconds_count', { seller: SELLER }), confirmed);
    assert.equal(valueOf(samples, 'dockgate_jobs_total', { kind: 'deliver-file', outcome: 'done' }), deliveries);
    assert.equal(valueOf(samples, 'dockgate_jobs_total', { kind: 'confirm-package', outcome: 'done' }), confirmed);
    assert.ok(valueOf(samples, 'dockgate_spapi_calls_total', { operation: 'searchOrders', status_class: '2xx' }) >= 2, 'two order polls');
    assert.equal(valueOf(samples, 'dockgate_spapi_calls_total', { operation: 'confirmShipment', status_class: '2xx' }), confirmed);
    // The emulator's access tokens expire in its scaled time: a 403 and a second refresh may come; every failed attempt is an error.
    const refreshes = valueOf(samples, 'dockgate_spapi_token_refreshes_total', { outcome: 'ok' });
    assert.ok(refreshes >= 1, `token refreshes: ${refreshes}`);
    const failedCalls = samples.filter((s) => s.name === 'dockgate_spapi_calls_total' && s.labels.status_class !== '2xx').reduce((n, s) => n + s.value, 0);
    assert.equal(valueOf(samples, 'dockgate_spapi_errors_total'), failedCalls);
    assert.equal(valueOf(samples, 'dockgate_spapi_calls_total', { status_class: '4xx' }), valueOf(samples, 'dockgate_spapi_errors_total', { kind: 'auth' }) + valueOf(samples, 'dockgate_spapi_errors_total', { kind: 'client' }));
    assert.equal(valueOf(samples, 'dockgate_spapi_call_duration_seconds_count'), valueOf(samples, 'dockgate_spapi_calls_total'));
    assert.equal(valueOf(samples, 'dockgate_jobs_ready'), 0);
    assert.equal(valueOf(samples, 'dockgate_acknowledgements_overdue'), 0);
    const openNow = await h.store.work.exceptions.list({ states: ['open', 'acknowledged'] });
    assert.equal(valueOf(samples, 'dockgate_exceptions_open'), openNow.length);
    assert.ok(samples.some((s) => s.name === 'dockgate_exceptions_open' && s.labels.kind === 'unmapped-sku'), 'every kind has its gauge, zero or not');

    // Bounded labels: only these label names, and none of the business keys anywhere in the text.
    const allowed = new Set(['flow', 'outcome', 'count', 'direction', 'partner', 'state', 'seller', 'kind', 'severity', 'operation', 'status_class', 'le', 'quantile', 'version', 'major', 'minor', 'patch', 'space', 'type']);
    for (const s of samples) for (const l of Object.keys(s.labels)) assert.ok(allowed.has(l), `label ${l} on ${s.name}`);
    const keys = [...orders.map((o) => o.orderId), ...orders.flatMap((o) => o.lines.map((l) => l.sellerSku)), ...packages.map((p) => p.trackingNumber)];
    assert.ok(keys.length >= 5, `keys: ${keys.length}`);
    for (const k of keys) assert.ok(!text.includes(k), `${k} is not in the scrape`);
  } finally {
    await h.close();
  }
});

test('the health snapshot of that run, the status cursors, and the samples the checks cycle wrote as the clock moved', async () => {
  const { h, clock } = await throughTheWarehouse();
  try {
    const snap = await healthSnapshot(h.ctx);
    const v = (name: string) => snap.values[name]!.value;
    // Amazon's order times are the seed's (24 November) against a delivery on the 25th: a long latency, measured.
    const latency = v('order-sync-latency-seconds');
    assert.ok(latency !== null && latency > 0, `latency ${latency}`);
    assert.equal(statusOf(HEALTH_METRICS.find((m) => m.name === 'order-sync-latency-seconds')!.threshold, latency), latency >= 3600 ? 'critical' : latency >= 900 ? 'warn' : 'ok');
    assert.equal(v('ack-sla-hit-rate'), 1, 'the 997 came in time');
    const lag = v('tracking-upload-lag-seconds');
    assert.ok(lag !== null && lag > 0, `tracking lag ${lag}`);
    assert.equal(v('exception-backlog'), (await h.store.work.exceptions.list({ states: ['open', 'acknowledged'] })).length);
    assert.ok((v('spapi-calls') ?? 0) > 0, 'calls per minute from the process counters');
    const errors = (await h.ctx.metrics.render()).split('\n').filter((l) => l.startsWith('dockgate_spapi_errors_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    assert.equal(v('spapi-errors'), errors / 5, 'errors per minute over the last five minutes (the whole run is within them)');
    assert.equal(v('partner-connection-health'), 1);
    assert.deepEqual(snap.values['partner-connection-health']!.scopes, [{ scope: RENO, value: 1 }]);

    // readyz and the partners API read these.
    const conn = JSON.parse((await h.store.work.cursors.get(CURSORS.partnerConnection(RENO)))!);
    assert.equal(conn.lastOkAt, clock.now().toISOString());
    const token = JSON.parse((await h.store.work.cursors.get(CURSORS.amazonToken(SELLER)))!);
    assert.ok(token.refreshedAt && Date.parse(token.expiresAt) > Date.parse(token.refreshedAt), JSON.stringify(token));

    // Both checks cycles sampled (two minutes apart); a third look now is within 50 s: skipped.
    const all = await h.store.work.health.list({ since: '2026-11-01T00:00:00Z', metric: 'exception-backlog', scope: '' });
    assert.equal(all.length, 2);
    assert.deepEqual((await sampleHealth(h.ctx)).counts, { samples: 0, skipped: 1, purged: 0 });
    clock.advance(49_000);
    assert.equal((await sampleHealth(h.ctx)).counts.skipped, 1);
    clock.advance(2_000);
    const third = await sampleHealth(h.ctx);
    assert.equal(third.counts.skipped, 0);
    assert.ok(third.counts.samples >= 8, `one sample per metric with a value, and per scope: ${third.counts.samples}`);
    const scoped = await h.store.work.health.list({ since: '2026-11-01T00:00:00Z', metric: 'partner-connection-health', scope: RENO });
    assert.equal(scoped.length, 3);
    // Fourteen days after the second cycle (less a minute), only the first cycle's samples are older than the retention.
    const times = (await h.store.work.health.list({ since: '2026-11-01T00:00:00Z', metric: 'exception-backlog', scope: '' })).map((s) => s.at);
    clock.set(new Date(Date.parse(times[1]!) + SAMPLE_RETENTION_DAYS * 86_400_000 - 60_000).toISOString());
    const later = await sampleHealth(h.ctx);
    assert.ok(later.counts.purged > 0, JSON.stringify(later.counts));
    const left = await h.store.work.health.list({ since: '2026-11-01T00:00:00Z', metric: 'exception-backlog', scope: '' });
    assert.deepEqual(left.map((s) => s.at), [...times.slice(1), clock.now().toISOString()]);
  } finally {
    await h.close();
  }
});
