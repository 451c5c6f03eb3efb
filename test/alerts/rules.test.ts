/**
 * The alert rules over real parts: each cause driven by the real flows (orders polled from the
 * emulator and delivered, the overdue check, a 997 from Reno, the inventory freshness check, a
 * partner directory gone) or by the real store writes the flows make; each alert fires once,
 * stays firing while its cause does, and clears once with its reason; each fire and clear is a
 * log line and one deliver-alert job per webhook taking the rule, in the same transaction.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { deliveryKey, runAlertRules } from '../../src/alerts/index.ts';
import type { AlertSettings } from '../../src/config/config.ts';
import { checkOverdue } from '../../src/flows/acknowledgements.ts';
import { checkAlerts } from '../../src/flows/alerts.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { checkInventoryFreshness } from '../../src/flows/inventory-to-amazon.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import type { AlertRecord } from '../../src/store/work.ts';
import type { Harness } from '../flows/harness.ts';
import { alertsHarness, MINUTE, ordersDelivered, RENO, renoAccepts, useAlerts } from './helpers.ts';

const WEBHOOKS: AlertSettings = {
  webhooks: [
    { name: 'ops', url: 'http://127.0.0.1:9/ops', secretEnv: 'OPS_ALERT_SECRET' },
    { name: 'acks', url: 'http://127.0.0.1:9/acks', secretEnv: 'ACKS_ALERT_SECRET', rules: ['ack-overdue'] },
  ],
};

const ofRule = async (h: Harness, rule: string): Promise<AlertRecord[]> => h.store.work.alerts.list({ rule });
const logsOf = (h: Harness, event: string, rule: string) => h.logs.filter((l) => l.event === event && l.rule === rule);
const jobKeys = async (h: Harness) => (await h.store.work.jobs.list({ kind: 'deliver-alert' })).map((j) => j.key).sort();

test('ack-overdue: a 940 group with no 997 past the window fires once (both webhooks, log line), stays up while overdue, clears once when Reno accepts it', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, WEBHOOKS);
    const { groups } = await ordersDelivered(h);
    assert.equal(groups.length, 1);
    const group = groups[0];

    h.clock.advance(59 * MINUTE);
    await checkOverdue(h.ctx);
    await checkAlerts(h.ctx);
    assert.deepEqual(await ofRule(h, 'ack-overdue'), [], 'within acks.withinMinutes');

    h.clock.advance(2 * MINUTE);
    // The checks cycle's order: the overdue check marks it first, then the alerts see it.
    await checkOverdue(h.ctx);
    const run = await checkAlerts(h.ctx);
    assert.equal(run.failed, 0);
    const [alert] = await ofRule(h, 'ack-overdue');
    assert.ok(alert, 'fired');
    assert.deepEqual([alert.key, alert.state, alert.partner, alert.seller, alert.severity], [String(group.id), 'firing', RENO, 'acme', 'warning']);
    assert.match(alert.message, /reno-wms has not acknowledged group \d+ of .+: due 2026-11-25T01:00:00.000Z, 1 minutes ago/);
    assert.equal(alert.details.dueAt, '2026-11-25T01:00:00.000Z');
    assert.deepEqual(await jobKeys(h), [deliveryKey(alert.id, 'fired', 'acks'), deliveryKey(alert.id, 'fired', 'ops')].sort());
    const [fired] = logsOf(h, 'alert-fired', 'ack-overdue');
    assert.deepEqual([fired.level, fired.key, fired.partner, fired.seller, fired.message], [40, alert.key, RENO, 'acme', alert.message]);

    // Checked again and again while overdue: the one alert, no second delivery, no second log line.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(MINUTE);
      await checkOverdue(h.ctx);
      const again = await checkAlerts(h.ctx);
      assert.equal(again.counts.fired, 0);
    }
    assert.equal((await ofRule(h, 'ack-overdue')).length, 1);
    assert.equal((await h.store.work.alerts.get(alert.id))!.lastSeen, h.clock.now().toISOString());
    assert.equal(logsOf(h, 'alert-fired', 'ack-overdue').length, 1);

    h.clock.advance(10 * MINUTE);
    await renoAccepts(h, group);
    const cleared = await checkAlerts(h.ctx);
    assert.equal(cleared.counts.cleared >= 1, true);
    const after = (await h.store.work.alerts.get(alert.id))!;
    assert.equal(after.state, 'cleared');
    assert.equal(after.clearedAt, h.clock.now().toISOString());
    assert.match(after.clearedBecause!, /^acknowledged \(accepted\) at 2026-11-25T01:14:00.000Z$/);
    const [clearLine] = logsOf(h, 'alert-cleared', 'ack-overdue');
    assert.deepEqual([clearLine.level, clearLine.key, clearLine.clearedBecause], [30, alert.key, after.clearedBecause]);
    const keys = await jobKeys(h);
    assert.ok(keys.includes(deliveryKey(alert.id, 'cleared', 'acks')) && keys.includes(deliveryKey(alert.id, 'cleared', 'ops')), keys.join(' '));

    // Cleared once: nothing more on later checks.
    await checkAlerts(h.ctx);
    assert.equal(logsOf(h, 'alert-cleared', 'ack-overdue').length, 1);
    assert.equal((await ofRule(h, 'ack-overdue')).length, 1);
  } finally {
    await h.close();
  }
});

test('ack-overdue: a rejecting 997 after the window clears the alert too (the rejection is its own ack-rejected exception)', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, WEBHOOKS);
    const { groups } = await ordersDelivered(h);
    h.clock.advance(61 * MINUTE);
    await checkOverdue(h.ctx);
    await checkAlerts(h.ctx);
    const [alert] = await h.store.work.alerts.firing('ack-overdue');
    h.clock.advance(MINUTE);
    await renoAccepts(h, groups[0], 'R');
    assert.ok((await h.store.work.exceptions.list({ kind: 'ack-rejected', states: ['open'] })).length > 0, 'the rejected sets are exceptions');
    await checkAlerts(h.ctx);
    const after = (await h.store.work.alerts.get(alert.id))!;
    assert.deepEqual([after.state, after.clearedBecause], ['cleared', `rejected by the partner at ${h.clock.now().toISOString()} (an ack-rejected exception carries the reasons)`]);
  } finally {
    await h.close();
  }
});

test('ship-by-near: an unconfirmed order within the lead of its ship-by fires once (not to a webhook for other rules), stays up once shipped, clears when confirmed', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, { ...WEBHOOKS, thresholds: { shipByLeadMinutes: 90 } });
    await pollOrders(h.ctx, 'acme');
    const ORDER = '112-3456789-1234567'; // ship-by 2026-11-26T07:59:59Z in the seed

    h.clock.set('2026-11-26T06:29:00Z');
    await runAlertRules(h.ctx);
    assert.deepEqual(await ofRule(h, 'ship-by-near'), [], 'outside the 90 minute lead');

    h.clock.set('2026-11-26T06:31:00Z');
    await runAlertRules(h.ctx);
    const [alert] = await ofRule(h, 'ship-by-near');
    assert.deepEqual([alert.key, alert.seller, alert.state], [`acme/${ORDER}`, 'acme', 'firing']);
    assert.match(alert.message, /must ship by 2026-11-26T07:59:59.000Z, in 89 minutes, and is not confirmed to Amazon/);
    const keys = await jobKeys(h);
    assert.ok(keys.includes(deliveryKey(alert.id, 'fired', 'ops')));
    assert.ok(!keys.includes(deliveryKey(alert.id, 'fired', 'acks')), 'the acks webhook takes only ack-overdue');

    // Shipped at the warehouse, not yet confirmed: still at risk on Amazon's books.
    const order = (await h.store.work.orders.get('acme', ORDER))!;
    await h.store.work.orders.put({ ...order, state: 'shipped', updatedAt: h.clock.now().toISOString() });
    h.clock.advance(MINUTE);
    await runAlertRules(h.ctx);
    assert.equal((await h.store.work.alerts.get(alert.id))!.state, 'firing');

    await h.store.work.orders.put({ ...order, state: 'confirmed', updatedAt: h.clock.now().toISOString() });
    const run = await runAlertRules(h.ctx);
    assert.equal(run.counts.cleared >= 1, true);
    const after = (await h.store.work.alerts.get(alert.id))!;
    assert.deepEqual([after.state, after.clearedBecause], ['cleared', `confirmed to Amazon (${h.clock.now().toISOString()})`]);
    assert.ok((await jobKeys(h)).includes(deliveryKey(alert.id, 'cleared', 'ops')));
    assert.ok(!(await jobKeys(h)).includes(deliveryKey(alert.id, 'cleared', 'acks')), 'the clear goes only where the fire went');
  } finally {
    await h.close();
  }
});

test('tracking-lag and exception-unowned: thresholds from the alerts section; a package unconfirmed past it fires and clears when confirmed; an exception unowned past it fires and clears when assigned', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, { webhooks: [{ name: 'ops', url: 'http://127.0.0.1:9/ops', secretEnv: 'OPS_ALERT_SECRET' }], thresholds: { trackingLagMinutes: 30, exceptionUnownedMinutes: 45 } });
    const now = () => h.clock.now().toISOString();
    const { file } = await ordersDelivered(h); // the package hangs on a file message (an advice, in life)
    const { record: pkg } = await h.store.work.packages.add(
      { seller: 'acme', orderId: '112-3456789-1234567', marketplaceId: 'ATVPDKIKX0DER', partner: RENO, fileMessageId: file.id, warehousePackageId: null, trackingNumber: '1Z999AA10123456784', carrierCode: 'UPS', carrierName: null, shippingMethod: null, items: [], shippedAt: now(), state: 'pending' },
      now(),
    );
    const x = await h.store.work.exceptions.raise({ kind: 'unmapped-carrier', seller: 'acme', partner: RENO, key: 'ZZCARRIER', message: 'carrier ZZCARRIER is not in the carrier table', now: now() });

    h.clock.advance(30 * MINUTE);
    await runAlertRules(h.ctx);
    assert.deepEqual([(await ofRule(h, 'tracking-lag')).length, (await ofRule(h, 'exception-unowned')).length], [0, 0], 'at the thresholds, not past');

    h.clock.advance(MINUTE);
    await runAlertRules(h.ctx);
    const [lag] = await ofRule(h, 'tracking-lag');
    assert.deepEqual([lag.key, lag.seller, lag.partner, lag.details.trackingNumber, lag.details.thresholdMinutes], [String(pkg.id), 'acme', RENO, '1Z999AA10123456784', 30]);
    assert.match(lag.message, /is not confirmed to Amazon after 31 minutes \(threshold 30\)/);
    assert.deepEqual(await ofRule(h, 'exception-unowned'), []);

    h.clock.advance(15 * MINUTE);
    await runAlertRules(h.ctx);
    const [unowned] = await ofRule(h, 'exception-unowned');
    assert.deepEqual([unowned.key, unowned.details.kind, unowned.state], [String(x.id), 'unmapped-carrier', 'firing']);
    assert.equal((await ofRule(h, 'tracking-lag')).length, 1, 'still the one tracking-lag alert');

    await h.store.work.packages.setState(pkg.id, 'confirmed', now(), now());
    await h.store.work.exceptions.assign(x.id, 'dana', now());
    await runAlertRules(h.ctx);
    const [lagAfter, unownedAfter] = [(await h.store.work.alerts.get(lag.id))!, (await h.store.work.alerts.get(unowned.id))!];
    assert.deepEqual([lagAfter.state, lagAfter.clearedBecause], ['cleared', `confirmed to Amazon at ${now()}`]);
    assert.deepEqual([unownedAfter.state, unownedAfter.clearedBecause], ['cleared', 'assigned to dana']);
    assert.deepEqual(
      (await jobKeys(h)).filter((k) => k.startsWith(`alert:${lag.id}:`) || k.startsWith(`alert:${unowned.id}:`)),
      [deliveryKey(lag.id, 'cleared', 'ops'), deliveryKey(lag.id, 'fired', 'ops'), deliveryKey(unowned.id, 'cleared', 'ops'), deliveryKey(unowned.id, 'fired', 'ops')].sort(),
    );
  } finally {
    await h.close();
  }
});

test("exception-unowned about a webhook's own alert-failed exception is not sent to that webhook (it would only fail there again)", async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, {
      webhooks: [
        { name: 'ops', url: 'http://127.0.0.1:9/ops', secretEnv: 'OPS_ALERT_SECRET' },
        { name: 'pager', url: 'http://127.0.0.1:9/pager', secretEnv: 'PAGER_ALERT_SECRET' },
      ],
    });
    const x = await h.store.work.exceptions.raise({ kind: 'alert-failed', key: 'alert:7:fired:pager', message: 'deliver-alert failed 10 times', now: h.clock.now().toISOString() });
    h.clock.advance(241 * MINUTE);
    await runAlertRules(h.ctx);
    const [a] = await ofRule(h, 'exception-unowned');
    assert.equal(a.key, String(x.id));
    assert.deepEqual((await jobKeys(h)).filter((k) => k.startsWith(`alert:${a.id}:`)), [deliveryKey(a.id, 'fired', 'ops')]);
    assert.deepEqual(logsOf(h, 'alert-fired', 'exception-unowned')[0].webhooks, ['ops']);
  } finally {
    await h.close();
  }
});

test('inventory-stale: the freshness check going stale fires one alert per partner and seller; a snapshot applied clears it; an old snapshot alone fires too', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, { webhooks: [] });
    await checkInventoryFreshness(h.ctx); // starts watching every (partner, seller)
    h.clock.advance(1441 * MINUTE);
    await checkInventoryFreshness(h.ctx);
    const stale = await h.store.work.exceptions.list({ kind: 'inventory-stale', states: ['open'] });
    assert.ok(stale.length > 0);
    await checkAlerts(h.ctx);
    const alerts = await ofRule(h, 'inventory-stale');
    assert.deepEqual(alerts.map((a) => a.key).sort(), stale.map((x) => `${x.partner}/${x.seller}`).sort());
    assert.equal(logsOf(h, 'alert-fired', 'inventory-stale').length, stale.length);

    // Reno's snapshot for acme applied (what applying one writes): that pair clears, the rest stay.
    const now = h.clock.now().toISOString();
    await h.store.transaction(async (w) => {
      await w.inventory.setLastSnapshot(RENO, 'acme', '2026-11-26T00:00:00.000Z', now, 1);
      await w.exceptions.resolveCause('inventory-stale', RENO, 'acme', RENO, 'snapshot applied', now);
    });
    h.clock.advance(MINUTE);
    await checkAlerts(h.ctx);
    const reno = alerts.find((a) => a.key === `${RENO}/acme`)!;
    const after = (await h.store.work.alerts.get(reno.id))!;
    assert.deepEqual([after.state, after.clearedBecause], ['cleared', `a snapshot as of 2026-11-26T00:00:00.000Z was applied at ${now}`]);
    assert.equal((await h.store.work.alerts.firing('inventory-stale')).length, stale.length - 1);

    // A day later with no new snapshot: the snapshot itself is old, before any check says so.
    h.clock.advance(1441 * MINUTE);
    await checkAlerts(h.ctx);
    const again = (await h.store.work.alerts.firing('inventory-stale')).find((a) => a.key === `${RENO}/acme`);
    assert.ok(again && again.id !== reno.id, 'a new alert for the new cause');
    assert.match(again.message, /no inventory snapshot from reno-wms for acme applied since/);
  } finally {
    await h.close();
  }
});

test('amazon-auth: an SP-API authorisation failure (the emulator refusing the refresh token) fires critical, Amazon being down does not; clears when the token refreshes or the seller is reached again', async () => {
  const h = await alertsHarness({ env: { ACME_LWA_REFRESH_TOKEN: 'Atzr|not-the-acme-refresh-token' } });
  try {
    useAlerts(h, { webhooks: [] });
    const now = () => h.clock.now().toISOString();
    const refused = await pollOrders(h.ctx, 'acme').then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(refused, 'the emulator refuses the token');
    // What the gateway records for a seller it cannot reach (src/gateway/gateway.ts unavailableAs).
    const raise = (seller: string, message: string, error: string) =>
      h.store.work.exceptions.raise({ kind: 'seller-unavailable', severity: 'error', seller, key: seller, message: `seller ${seller} unavailable: ${message}`, context: { details: { flow: 'orders', error } }, now: now() });
    await raise('acme', refused.message, refused.name);
    await raise('northwind', 'searchOrders: 503 ServiceUnavailable: try later', 'AmazonApiError');
    await checkAlerts(h.ctx);
    const auth = await ofRule(h, 'amazon-auth');
    assert.deepEqual(auth.map((a) => [a.key, a.seller, a.severity]), [['acme', 'acme', 'critical']], 'Amazon down (a 503) is not an authorisation failure');
    assert.match(auth[0].message, /invalid_grant/);

    // The seller reached again, but its token still refused: still firing until a refresh succeeds.
    await h.store.work.exceptions.resolveCause('seller-unavailable', 'acme', 'acme', null, 'reachable again', now());
    const failing = { refreshedAt: null, expiresAt: null, lastErrorAt: now(), lastError: 'The request has an invalid grant parameter : refresh_token' };
    await h.store.work.cursors.set('amazon-token:acme', JSON.stringify(failing), now());
    h.clock.advance(MINUTE);
    await checkAlerts(h.ctx);
    assert.equal((await h.store.work.alerts.get(auth[0].id))!.state, 'firing');
    // The token cursor as a successful refresh leaves it (src/metrics/status-cursors.ts).
    await h.store.work.cursors.set('amazon-token:acme', JSON.stringify({ ...failing, refreshedAt: now(), expiresAt: '2026-11-25T01:01:00.000Z' }), now());
    h.clock.advance(MINUTE);
    await checkAlerts(h.ctx);
    const acme = (await h.store.work.alerts.get(auth[0].id))!;
    assert.deepEqual([acme.state, acme.clearedBecause], ['cleared', 'the access token was refreshed at 2026-11-25T00:01:00.000Z']);

    // Missing credentials (a configuration error) are an authorisation failure too; reached again, it clears.
    await raise('northwind', 'seller northwind: environment variable NORTHWIND_LWA_REFRESH_TOKEN is not set', 'AmazonConfigError');
    await checkAlerts(h.ctx);
    const [nw] = await h.store.work.alerts.firing('amazon-auth');
    assert.equal(nw.key, 'northwind');
    await h.store.work.exceptions.resolveCause('seller-unavailable', 'northwind', 'northwind', null, 'reachable again', now());
    await checkAlerts(h.ctx);
    const nwAfter = (await h.store.work.alerts.get(nw.id))!;
    assert.deepEqual([nwAfter.state, nwAfter.clearedBecause], ['cleared', 'the seller was reached again (its seller-unavailable exception was resolved)']);
    assert.equal(logsOf(h, 'alert-cleared', 'amazon-auth').length, 2);
  } finally {
    await h.close();
  }
});

test("partner-refused: Reno's directory gone makes the inbound poll fail (partner-unavailable) and the alert fire; back, the poll clears it; a connection cursor failing fires too", async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, { webhooks: [] });
    const inbound = h.partnerDir(RENO, 'inbound');
    rmSync(inbound, { recursive: true, force: true });
    const failed = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(failed.failed, 1);
    await checkAlerts(h.ctx);
    const [a] = await ofRule(h, 'partner-refused');
    assert.deepEqual([a.key, a.partner, a.severity], [RENO, RENO, 'error']);
    h.clock.advance(MINUTE);
    await pollPartnerFiles(h.ctx, RENO);
    await checkAlerts(h.ctx);
    assert.equal((await ofRule(h, 'partner-refused')).length, 1, 'still failing: the same alert');

    mkdirSync(inbound, { recursive: true });
    h.clock.advance(MINUTE);
    assert.equal((await pollPartnerFiles(h.ctx, RENO)).failed, 0);
    await checkAlerts(h.ctx);
    const after = (await h.store.work.alerts.get(a.id))!;
    assert.deepEqual([after.state, after.clearedBecause], ['cleared', 'its server answered again (the partner-unavailable exception was resolved)']);

    const t = h.clock.now().toISOString();
    await h.store.work.cursors.set('partner-connection:cascade-csv', JSON.stringify({ lastOkAt: '2026-11-24T00:00:00.000Z', lastErrorAt: t, lastError: 'connect ECONNREFUSED 10.0.0.7:22' }), t);
    await checkAlerts(h.ctx);
    const cascade = (await h.store.work.alerts.firing('partner-refused'))[0];
    assert.deepEqual([cascade.key, cascade.partner], ['cascade-csv', 'cascade-csv']);
    assert.match(cascade.message, /ECONNREFUSED/);
    h.clock.advance(MINUTE);
    const ok = h.clock.now().toISOString();
    await h.store.work.cursors.set('partner-connection:cascade-csv', JSON.stringify({ lastOkAt: ok, lastErrorAt: t, lastError: 'connect ECONNREFUSED 10.0.0.7:22' }), ok);
    await checkAlerts(h.ctx);
    assert.equal((await h.store.work.alerts.get(cascade.id))!.clearedBecause, `its server answered again at ${ok}`);
  } finally {
    await h.close();
  }
});
