/**
 * GET /api/v1/alerts over real parts: alerts fired and cleared by the real checks (a package
 * not confirmed past the tracking-lag threshold, then confirmed; an exception nobody owns),
 * listed newest first and filtered by state and rule through the real app, every response
 * checked against the OpenAPI document by the API harness.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAlertRules } from '../../src/alerts/index.ts';
import { alertsRoutes } from '../../src/server/routes/alerts.ts';
import { startApi } from '../server/api-harness.ts';
import { alertsHarness, MINUTE, ordersDelivered, RENO, useAlerts } from './helpers.ts';

test('GET /alerts: newest first, by state and rule, limit checked; the document describes it; a token is needed', async () => {
  const h = await alertsHarness();
  const api = await startApi({ modules: [alertsRoutes], harness: h });
  try {
    useAlerts(h, { webhooks: [], thresholds: { trackingLagMinutes: 30 } });
    const now = () => h.clock.now().toISOString();
    const { file } = await ordersDelivered(h);
    const { record: pkg } = await h.store.work.packages.add(
      { seller: 'acme', orderId: '112-3456789-1234567', marketplaceId: 'ATVPDKIKX0DER', partner: RENO, fileMessageId: file.id, warehousePackageId: null, trackingNumber: '1Z999AA10123456784', carrierCode: 'UPS', carrierName: null, shippingMethod: null, items: [], shippedAt: now(), state: 'pending' },
      now(),
    );
    await h.store.work.exceptions.raise({ kind: 'unmapped-carrier', seller: 'acme', partner: RENO, key: 'ZZCARRIER', message: 'carrier ZZCARRIER is not in the carrier table', now: now() });
    h.clock.advance(31 * MINUTE);
    await runAlertRules(h.ctx);
    await h.store.work.packages.setState(pkg.id, 'confirmed', now(), now());
    h.clock.advance(240 * MINUTE);
    await runAlertRules(h.ctx);

    const all = await api.request('GET', '/api/v1/alerts');
    assert.equal(all.status, 200);
    const rules = all.body.items.map((a: { rule: string; state: string }) => `${a.rule}:${a.state}`);
    assert.ok(rules.includes('tracking-lag:cleared') && rules.includes('exception-unowned:firing') && rules.includes('ack-overdue:firing'), rules.join(' '));
    const ids = all.body.items.map((a: { id: number }) => a.id);
    assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a), 'newest first');

    const lag = await api.request('GET', '/api/v1/alerts?rule=tracking-lag');
    assert.deepEqual(
      lag.body.items.map((a: { key: string; state: string; clearedBecause: string }) => [a.key, a.state, a.clearedBecause]),
      [[String(pkg.id), 'cleared', `confirmed to Amazon at 2026-11-25T00:31:00.000Z`]],
    );
    const firing = await api.request('GET', '/api/v1/alerts?state=firing');
    assert.ok(firing.body.items.length > 0 && firing.body.items.every((a: { state: string }) => a.state === 'firing'));
    assert.equal((await api.request('GET', '/api/v1/alerts?limit=1')).body.items.length, 1);

    const bad = await api.request('GET', '/api/v1/alerts?rule=nonsense');
    assert.deepEqual([bad.status, bad.body.error.code, bad.body.error.where], [400, 'bad-request', 'query.rule']);
    assert.equal((await api.request('GET', '/api/v1/alerts?limit=1001')).status, 400);
    assert.equal((await api.request('GET', '/api/v1/alerts', { token: null })).status, 401);
    assert.equal((await api.request('GET', '/api/v1/alerts', { token: api.ro })).status, 200, 'read-only tokens read alerts');
    assert.ok(api.doc.paths['/api/v1/alerts']?.get, 'documented');
  } finally {
    await api.close();
    await h.close();
  }
});
