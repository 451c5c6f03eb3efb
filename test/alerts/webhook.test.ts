/**
 * Alert deliveries over real HTTP: a receiver on 127.0.0.1 (port 0) in the test, the alerts
 * fired by the real checks, the deliver-alert jobs run by the real OutboxWorker. The signature
 * verifies with the shared secret (and not with another); a 503 is retried with the worker's
 * backoff and the next attempt delivers; a 400 is permanent; a receiver down until the
 * attempts are used up is an alert-failed exception; a missing secret names its variable; the
 * payload carries no buyer data.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deliveryKey, postAlert, runAlertRules, WebhookRetryableError } from '../../src/alerts/index.ts';
import { checkOverdue } from '../../src/flows/acknowledgements.ts';
import { checkAlerts, retries } from '../../src/flows/alerts.ts';
import { PermanentError } from '../../src/flows/context.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import type { AlertRecord } from '../../src/store/work.ts';
import { root, sampleSeed, type Harness } from '../flows/harness.ts';
import { alertsHarness, closedPort, MINUTE, ordersDelivered, renoAccepts, startReceiver, useAlerts, type ReceivedRequest } from './helpers.ts';

const SECRET_ENV = 'DOCKGATE_TEST_ALERTS_SECRET';
const SECRET = 'whsec_9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c';
process.env[SECRET_ENV] = SECRET;
const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** What a receiver does: recompute the HMAC over `${timestamp}.${raw body}` and compare in constant time. */
function verifies(r: ReceivedRequest, secret: string): boolean {
  const sent = String(r.headers['x-dockgate-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', secret).update(`${r.headers['x-dockgate-timestamp']}.${r.body}`).digest('hex')}`;
  return sent.length === expected.length && timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

const worker = (h: Harness, maxAttempts = 5) => new OutboxWorker(h.ctx, { handlers: jobHandlers, maxAttempts, random: () => 0 });

/** An exception nobody owns past the threshold: one exception-unowned alert. */
async function unownedAlert(h: Harness): Promise<AlertRecord> {
  await h.store.work.exceptions.raise({ kind: 'unmapped-sku', seller: 'acme', partner: 'reno-wms', key: 'HAT-BLUE', message: 'sku HAT-BLUE is not in the acme sku table', now: h.clock.now().toISOString() });
  h.clock.advance(241 * MINUTE);
  await runAlertRules(h.ctx);
  const [a] = await h.store.work.alerts.firing('exception-unowned');
  assert.ok(a);
  return a;
}

test('an ack-overdue alert goes to the webhook signed (the signature verifies with the secret only); a 503 is retried and the next attempt delivers; the clear follows; no buyer data in the payload', async () => {
  const h = await alertsHarness();
  const receiver = await startReceiver();
  try {
    useAlerts(h, { webhooks: [{ name: 'ops', url: receiver.url, secretEnv: SECRET_ENV }] });
    const { groups } = await ordersDelivered(h);
    h.clock.advance(61 * MINUTE);
    await checkOverdue(h.ctx);
    await checkAlerts(h.ctx);
    const [alert] = await h.store.work.alerts.firing('ack-overdue');
    const key = deliveryKey(alert.id, 'fired', 'ops');

    receiver.script.push(503);
    const results = await worker(h).drain();
    assert.deepEqual(
      results.map((r) => [r.key, r.outcome]),
      [
        [key, 'retry'],
        [key, 'done'],
      ],
    );
    const job = (await h.store.work.jobs.byKey(key))!;
    assert.deepEqual([job.state, job.attempts], ['done', 2]);
    assert.match(job.lastError!, /^alert webhook ops \(http:\/\/127\.0\.0\.1:\d+\): HTTP 503: status 503 from the test receiver$/, 'each attempt is recorded on the job');
    assert.ok(!job.lastError!.includes('/hooks/'), 'the URL path (often a credential) is never written down');
    assert.ok(h.logs.some((l) => l.event === 'job-retry' && l.key === key));
    assert.ok(h.logs.some((l) => l.event === 'alert-delivered' && l.alertId === alert.id && l.status === 200));

    assert.equal(receiver.requests.length, 2);
    const sentAt = h.clock.now();
    for (const r of receiver.requests) {
      assert.deepEqual([r.method, r.url], ['POST', '/hooks/dockgate']);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['user-agent'], `dockgate/${VERSION}`);
      assert.equal(r.headers['x-dockgate-event'], 'alert.fired');
      assert.equal(r.headers['x-dockgate-delivery'], key, 'the same delivery id on every attempt');
      assert.equal(r.headers['x-dockgate-timestamp'], String(Math.floor(sentAt.getTime() / 1000)));
      assert.ok(verifies(r, SECRET), 'verifies with the shared secret');
      assert.ok(!verifies(r, `${SECRET}x`), 'and not with another');
      assert.ok(!verifies({ ...r, body: r.body.replace('"firing"', '"cleared"') }, SECRET), 'nor over a changed body');
    }
    const body = JSON.parse(receiver.requests[1].body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['id', 'rule', 'key', 'state', 'severity', 'seller', 'partner', 'message', 'details', 'firedAt', 'clearedAt', 'clearedBecause', 'sentAt']);
    assert.deepEqual(
      [body.id, body.rule, body.key, body.state, body.severity, body.seller, body.partner, body.firedAt, body.clearedAt, body.sentAt],
      [alert.id, 'ack-overdue', String(groups[0].id), 'firing', 'warning', 'acme', 'reno-wms', alert.firedAt, null, sentAt.toISOString()],
    );

    h.clock.advance(5 * MINUTE);
    await renoAccepts(h, groups[0]);
    await checkAlerts(h.ctx);
    assert.deepEqual((await worker(h).drain()).map((r) => r.outcome), ['done']);
    const clear = receiver.requests[2];
    assert.equal(clear.headers['x-dockgate-event'], 'alert.cleared');
    assert.equal(clear.headers['x-dockgate-delivery'], deliveryKey(alert.id, 'cleared', 'ops'));
    assert.ok(verifies(clear, SECRET));
    const cleared = JSON.parse(clear.body) as Record<string, unknown>;
    assert.deepEqual([cleared.state, cleared.clearedAt, cleared.clearedBecause], ['cleared', h.clock.now().toISOString(), `acknowledged (accepted) at ${h.clock.now().toISOString()}`]);

    // The emulator's buyers (names, addresses, phones) never reach a webhook.
    const buyerData = sampleSeed().sellers.flatMap((s) => (s.orders ?? []).flatMap((o) => Object.values((o as { recipient?: Record<string, unknown> }).recipient ?? {}).map(String)));
    const personal = buyerData.filter((v) => v.length > 3 && !/^[A-Z]{2}$/.test(v));
    assert.ok(personal.includes('Jane Doe'));
    for (const r of receiver.requests) for (const v of personal) assert.ok(!r.body.includes(v), `buyer data ${v} in a webhook payload`);
  } finally {
    await receiver.close();
    await h.close();
  }
});

test('a 400 is permanent: the job is dead after one attempt with an alert-failed exception for the webhook; a missing secret variable is named (never a value) and permanent too; fixed, exceptions retry revives the deliveries', async () => {
  const h = await alertsHarness();
  const receiver = await startReceiver();
  try {
    useAlerts(h, {
      webhooks: [
        { name: 'ops', url: receiver.url, secretEnv: SECRET_ENV },
        { name: 'pager', url: receiver.url, secretEnv: 'DOCKGATE_TEST_ALERTS_UNSET' },
      ],
    });
    const alert = await unownedAlert(h);
    receiver.script.push(400);
    const results = await worker(h).drain();
    assert.deepEqual(results.map((r) => [r.key, r.outcome]).sort(), [
      [deliveryKey(alert.id, 'fired', 'ops'), 'dead'],
      [deliveryKey(alert.id, 'fired', 'pager'), 'dead'],
    ]);
    assert.equal(receiver.requests.length, 1, 'nothing is sent unsigned');
    const ops = (await h.store.work.jobs.byKey(deliveryKey(alert.id, 'fired', 'ops')))!;
    assert.equal(ops.attempts, 1);
    assert.match(ops.lastError!, /HTTP 400/);
    const pager = (await h.store.work.jobs.byKey(deliveryKey(alert.id, 'fired', 'pager')))!;
    assert.equal(pager.lastError, 'alert webhook pager: the environment variable DOCKGATE_TEST_ALERTS_UNSET holding its signing secret is not set');

    const failed = await h.store.work.exceptions.list({ kind: 'alert-failed', states: ['open'] });
    assert.deepEqual(failed.map((x) => x.key).sort(), ['webhook:ops', 'webhook:pager']);
    assert.deepEqual(failed.find((x) => x.key === 'webhook:ops')!.refs, [ops.key]);
    for (const x of failed) assert.ok(!JSON.stringify(x).includes(SECRET));

    // Fixed (the receiver takes it now; pager's variable set): exceptions retry revives the dead deliveries.
    const opsFailed = failed.find((x) => x.key === 'webhook:ops')!;
    const pagerFailed = failed.find((x) => x.key === 'webhook:pager')!;
    assert.match(await retries['alert-failed']!(h.ctx, pagerFailed), /DOCKGATE_TEST_ALERTS_UNSET is still not set: nothing revived/);
    assert.equal(await retries['alert-failed']!(h.ctx, opsFailed), '1 alert deliveries to ops revived: the outbox sends them next');
    assert.equal((await h.store.work.exceptions.get(opsFailed.id))!.state, 'resolved');
    assert.deepEqual((await worker(h).drain()).map((r) => [r.key, r.outcome]), [[ops.key, 'done']]);
    assert.equal(receiver.requests.length, 2);
    assert.ok(verifies(receiver.requests[1], SECRET));
    assert.match(await retries['alert-failed']!(h.ctx, opsFailed), /no dead delivery to ops left to revive/);
  } finally {
    await receiver.close();
    await h.close();
  }
});

test('a receiver that refuses connections is retried until maxAttempts, then the job is dead with an alert-failed exception', async () => {
  const h = await alertsHarness();
  try {
    useAlerts(h, { webhooks: [{ name: 'down', url: `http://127.0.0.1:${await closedPort()}/hook`, secretEnv: SECRET_ENV }] });
    const alert = await unownedAlert(h);
    const key = deliveryKey(alert.id, 'fired', 'down');
    const results = await worker(h, 2).drain();
    assert.deepEqual(results.map((r) => r.outcome), ['retry', 'dead']);
    const job = (await h.store.work.jobs.byKey(key))!;
    assert.deepEqual([job.state, job.attempts], ['dead', 2]);
    assert.match(job.lastError!, /^alert webhook down \(http:\/\/127\.0\.0\.1:\d+\): ECONNREFUSED$/);
    const [x] = await h.store.work.exceptions.list({ kind: 'alert-failed' });
    assert.deepEqual([x.key, x.seller, x.partner], [key, 'acme', 'reno-wms']);
    assert.match(x.message, /deliver-alert failed 2 times, given up/);
  } finally {
    await h.close();
  }
});

test('postAlert: no answer within the timeout and 429 are retryable, a redirect is permanent', async () => {
  const receiver = await startReceiver();
  try {
    const webhook = { name: 'ops', url: receiver.url, secretEnv: SECRET_ENV };
    const payload = { id: 1, rule: 'tracking-lag', key: '9', state: 'firing' as const, severity: 'warning' as const, seller: 'acme', partner: null, message: 'm', details: {}, firedAt: '2026-11-25T00:00:00.000Z', clearedAt: null, clearedBecause: null, sentAt: '2026-11-25T00:00:00.000Z' };
    const send = (timeoutMs?: number) => postAlert({ webhook, event: 'fired', deliveryId: 'alert:1:fired:ops', payload, timestamp: 1_795_000_000, timeoutMs });
    receiver.script.push('hang', 429, 302);
    await assert.rejects(send(150), (e: Error) => e instanceof WebhookRetryableError && /no answer within 0.15 s/.test(e.message));
    await assert.rejects(send(), (e: Error) => e instanceof WebhookRetryableError && e.status === 429);
    await assert.rejects(send(), (e: Error) => e instanceof PermanentError && /HTTP 302/.test(e.message));
    assert.equal(await send(), 200);
  } finally {
    await receiver.close();
  }
});
