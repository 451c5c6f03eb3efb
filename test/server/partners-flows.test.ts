/**
 * Partners, sellers, mappings, flows and the reconciliation report over HTTP on real parts: the
 * example mappings (a copy the test breaks and fixes), orders polled from the SP-API emulator,
 * the sample 846 taken from Reno's directory and published by the outbox worker, the real
 * Scheduler writing its task-run cursors, every response checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { checkOverdue } from '../../src/flows/acknowledgements.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { SchedulerControl } from '../../src/gateway/control.ts';
import { Scheduler } from '../../src/gateway/scheduler.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { CURSORS } from '../../src/server/api.ts';
import { exceptionsRoutes } from '../../src/server/routes/exceptions.ts';
import { flowsRoutes, SERVE_SCHEDULE } from '../../src/server/routes/flows.ts';
import { partnersRoutes } from '../../src/server/routes/partners.ts';
import { reconciliationRoutes } from '../../src/server/routes/reconciliation.ts';
import { MAPPINGS, root, SELLER_ENV, startHarness, TestClock, type Harness } from '../flows/harness.ts';
import { startApi, type Api } from './api-harness.ts';

const MODULES = [partnersRoutes, flowsRoutes, reconciliationRoutes, exceptionsRoutes];

async function setup(): Promise<{ h: Harness; api: Api; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const h = await startHarness({ mappingsDir: dir, clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  const api = await startApi({ modules: MODULES, harness: h });
  return { h, api, dir };
}

async function teardown(s: { h: Harness; api: Api; dir: string }) {
  await s.api.close();
  await s.h.close();
  rmSync(s.dir, { recursive: true, force: true });
}

test('partners and sellers: transports without secrets, documents, connection, open exceptions and orders; 404 for unknown ids', async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    assert.equal((await pollOrders(h.ctx, 'acme')).counts.queued, 2);
    await h.store.work.cursors.set(CURSORS.partnerConnection('reno-wms'), JSON.stringify({ lastOkAt: '2026-11-24T23:59:00.000Z', lastErrorAt: '2026-11-24T23:00:00.000Z', lastError: 'connect ECONNREFUSED' }), h.clock.now().toISOString());
    await h.store.work.exceptions.raise({ kind: 'partner-unavailable', partner: 'cascade-csv', key: 'connect', message: 'cascade-csv: connect ECONNREFUSED', now: h.clock.now().toISOString() });

    const partners = await api.request('GET', '/api/v1/partners', { token: api.ro });
    assert.equal(partners.status, 200);
    assert.deepEqual(partners.body.items.map((p: { id: string }) => p.id), ['cascade-csv', 'reno-wms']);
    const [cascade, reno] = partners.body.items;
    assert.deepEqual(reno.transport, {
      type: 'sftp',
      describe: 'sftp://acme3pl@sftp.reno-wms.example:22',
      host: 'sftp.reno-wms.example',
      port: 22,
      user: 'acme3pl',
      auth: 'key-file',
      hostKeyPinned: true,
      directories: { inbound: '/outbound', outbound: '/inbound', archive: '/outbound/archive' },
      pollSeconds: 60,
      completeness: 'stable',
    });
    assert.deepEqual([reno.format, reno.file, reno.sellers, reno.acks, reno.openExceptions], ['x12', 'partners/reno-wms.yaml', ['acme', 'northwind'], { required: true, withinMinutes: 60 }, 0]);
    assert.deepEqual(reno.connection, { lastOkAt: '2026-11-24T23:59:00.000Z', lastErrorAt: '2026-11-24T23:00:00.000Z', lastError: 'connect ECONNREFUSED' });
    assert.ok(reno.documents.some((d: { document: string; direction: string; layout: string }) => d.document === 'ship-order' && d.direction === 'out' && d.layout === 'reno-940'));
    assert.deepEqual([cascade.format, cascade.transport.auth, cascade.connection, cascade.openExceptions], ['mixed', 'password', null, 1]);
    // What logs a partner in never leaves: the key file, the password variable.
    const text = JSON.stringify(partners.body);
    for (const secret of ['reno_ed25519', '/etc/dockgate/keys', 'CASCADE_SFTP_PASSWORD', 'passwordEnv', 'keyPath']) assert.ok(!text.includes(secret), secret);
    assert.deepEqual((await api.request('GET', '/api/v1/partners/reno-wms')).body, reno);
    const unknown = await api.request('GET', '/api/v1/partners/nobody');
    assert.deepEqual([unknown.status, unknown.body.error.code, unknown.body.error.where], [404, 'not-found', 'path.id']);

    const sellers = await api.request('GET', '/api/v1/sellers');
    assert.equal(sellers.status, 200);
    const acme = sellers.body.items.find((x: { id: string }) => x.id === 'acme');
    assert.deepEqual(
      [acme.name, acme.marketplaces, acme.warehouse, acme.partners, acme.skuTable, acme.ordersOpen, acme.openExceptions],
      ['Acme Brands LLC', ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'], 'reno-wms', ['cascade-csv', 'reno-wms'], { id: 'acme-skus', file: 'tables/acme-skus.yaml', items: 5 }, 2, 0],
    );
    // The order poll refreshed acme's LWA token: when, and until when, never the token.
    assert.deepEqual([acme.amazonToken.refreshedAt, acme.amazonToken.lastError], ['2026-11-25T00:00:00.000Z', null]);
    assert.equal(sellers.body.items.find((x: { id: string }) => x.id === 'northwind').amazonToken, null, 'no call for northwind yet');
    assert.deepEqual(acme.credentials, { source: 'environment', variables: ['ACME_LWA_CLIENT_ID', 'ACME_LWA_CLIENT_SECRET', 'ACME_LWA_REFRESH_TOKEN'] });
    // Credentials are named, never given: no value of any credential variable appears.
    const sellersText = JSON.stringify(sellers.body);
    for (const value of Object.values(SELLER_ENV) as string[]) assert.ok(!sellersText.includes(value), 'a credential value');
    assert.equal((await api.request('GET', '/api/v1/sellers/northwind')).body.ordersOpen, 0);
    assert.equal((await api.request('GET', '/api/v1/sellers/nobody')).status, 404);
  } finally {
    await teardown(s);
  }
});

test('mappings: the files and problems, a reload after breaking a file reports it located (file, line, column) and raises its exception; fixed, it clears', async () => {
  const s = await setup();
  const { api, dir } = s;
  try {
    const before = await api.request('GET', '/api/v1/mappings');
    assert.equal(before.status, 200);
    assert.deepEqual([before.body.dir, before.body.loadedAt, before.body.problems], [dir, null, []]);
    assert.ok(before.body.files.some((f: object) => JSON.stringify(f) === JSON.stringify({ file: 'partners/reno-wms.yaml', kind: 'partner', id: 'reno-wms' })));
    assert.equal(before.body.files.length, 17);

    const table = join(dir, 'tables/northwind-skus.yaml');
    const good = readFileSync(table, 'utf8');
    // The lantern's line (line 7) with a pack size of 0: a schema problem located at its value.
    writeFileSync(table, good.replace('asin: B0NWLANT01,', 'asin: B0NWLANT01, packSize: 0,'));
    assert.equal((await api.request('POST', '/api/v1/mappings/reload', { token: api.ro })).status, 403);
    const reload = await api.request('POST', '/api/v1/mappings/reload');
    assert.equal(reload.status, 200);
    // The table, and the seller file whose reference to it no longer resolves.
    assert.deepEqual(reload.body.problems.map((x: { file: string }) => x.file), ['sellers/northwind.yaml', 'tables/northwind-skus.yaml']);
    const p = reload.body.problems[1];
    assert.deepEqual([p.file, p.line], ['tables/northwind-skus.yaml', 7]);
    assert.ok(p.column > 1, 'the column of the value, not of the line');
    assert.match(p.message, /items\.1\.packSize/);
    assert.deepEqual([reload.body.sellers.sort(), reload.body.restartNeeded], [['acme', 'northwind'], []]);
    const after = await api.request('GET', '/api/v1/mappings');
    assert.deepEqual([after.body.loadedAt, after.body.problems], [reload.body.loadedAt, reload.body.problems]);

    const raised = (await api.request('GET', '/api/v1/exceptions?kind=mapping-problem&state=unresolved')).body.items;
    assert.equal(raised.length, 2, 'one per file');
    const x = raised.find((e: { key: string }) => /^load:.*tables\/northwind-skus\.yaml$/.test(e.key));
    const shown = (await api.request('GET', `/api/v1/exceptions/${x.id}`)).body;
    assert.equal(shown.fix.mappingFile, 'tables/northwind-skus.yaml');

    writeFileSync(table, good);
    const fixed = await api.request('POST', '/api/v1/mappings/reload');
    assert.deepEqual(fixed.body.problems, []);
    assert.deepEqual((await api.request('GET', '/api/v1/mappings')).body.problems, []);
    for (const e of raised) assert.equal((await api.request('GET', `/api/v1/exceptions/${e.id}`)).body.exception.state, 'resolved');
  } finally {
    await teardown(s);
  }
});

test('flows under dockgate serve: the last runs the scheduler recorded, no next run, run-now refused (409)', async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    const empty = await api.request('GET', '/api/v1/flows');
    assert.deepEqual(empty.body, { items: [], running: false });

    const scheduler = new Scheduler(h.ctx);
    scheduler.add({ name: 'orders:acme', schedule: { seconds: 60 }, run: () => pollOrders(h.ctx, 'acme') });
    scheduler.add({ name: 'checks', schedule: { cron: '*/5 * * * *' }, run: () => checkOverdue(h.ctx) });
    await scheduler.runAll();
    // A cursor under the prefix that is not a run (another version wrote it, a hand edit): left out.
    await h.store.work.cursors.set(CURSORS.taskRun('junk'), 'not json', h.clock.now().toISOString());

    const flows = await api.request('GET', '/api/v1/flows', { token: api.ro });
    assert.equal(flows.status, 200);
    assert.equal(flows.body.running, false);
    assert.deepEqual(flows.body.items.map((t: { name: string }) => t.name), ['checks', 'orders:acme']);
    const orders = flows.body.items[1];
    assert.deepEqual([orders.schedule, orders.nextRunAt, orders.running, orders.lastRun.outcome, orders.lastRun.counts.queued, orders.lastRun.failed], [SERVE_SCHEDULE, null, false, 'ran', 2, 0]);
    assert.equal(orders.lastRun.startedAt, '2026-11-25T00:00:00.000Z');
    assert.ok(h.logs.some((l) => l.event === 'task-run-cursor-unreadable' && l.cursor === 'task-run:junk'));

    const run = await api.request('POST', '/api/v1/flows/orders:acme/run');
    assert.deepEqual([run.status, run.body.error.code], [409, 'conflict']);
    assert.match(run.body.error.message, /dockgate serve/);
    assert.equal((await api.request('POST', '/api/v1/flows/orders:acme/run', { token: api.ro })).status, 403);
    assert.equal((await api.request('POST', '/api/v1/flows/bad%20name/run')).status, 400);
  } finally {
    await teardown(s);
  }
});

test("flows under dockgate start: the scheduler's tasks, run now through the same tick (recorded), 404 for an unknown task, 409 while it runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const h = await startHarness({ mappingsDir: dir, clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  const scheduler = new Scheduler(h.ctx);
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => {
    release = r;
  });
  scheduler.add({ name: 'orders:acme', schedule: { seconds: 60 }, run: () => pollOrders(h.ctx, 'acme') });
  // A task that runs until the test lets it finish: "running" without any timing.
  scheduler.add({ name: 'checks', schedule: { cron: '*/5 * * * *' }, run: async () => (await held, checkOverdue(h.ctx)) });
  const api = await startApi({ modules: MODULES, harness: h, control: new SchedulerControl(scheduler) });
  try {
    const before = await api.request('GET', '/api/v1/flows');
    assert.equal(before.body.running, true);
    assert.deepEqual(before.body.items.map((t: { name: string; schedule: string; lastRun: unknown }) => [t.name, t.schedule, t.lastRun]), [['orders:acme', 'every 60 s', null], ['checks', '*/5 * * * *', null]]);

    const ran = await api.request('POST', '/api/v1/flows/orders:acme/run');
    assert.equal(ran.status, 200);
    assert.deepEqual([ran.body.name, ran.body.running, ran.body.lastRun.outcome, ran.body.lastRun.counts.queued], ['orders:acme', false, 'ran', 2]);
    assert.deepEqual(JSON.parse((await h.store.work.cursors.get(CURSORS.taskRun('orders:acme')))!), ran.body.lastRun, 'recorded for dockgate serve');

    const unknown = await api.request('POST', '/api/v1/flows/nope/run');
    assert.deepEqual([unknown.status, unknown.body.error.where], [404, 'path.name']);

    const running = scheduler.tick('checks');
    assert.equal((await api.request('GET', '/api/v1/flows')).body.items[1].running, true);
    const refused = await api.request('POST', '/api/v1/flows/checks/run');
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'conflict']);
    release();
    assert.equal((await running).outcome, 'ran');
    assert.equal((await api.request('POST', '/api/v1/flows/checks/run')).body.lastRun.outcome, 'ran');
  } finally {
    release();
    await scheduler.stop();
    await api.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reconciliation: the report after a published snapshot and orders in flight, filtered and sorted, and the same rows as CSV', async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), 'RENO_846_77290.edi'), readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi')));
    assert.equal((await pollPartnerFiles(h.ctx, 'reno-wms')).failed, 0);
    await new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
    await pollOrders(h.ctx, 'acme');

    const r = await api.request('GET', '/api/v1/reconciliation?seller=acme', { token: api.ro });
    assert.equal(r.status, 200);
    assert.equal(r.body.generatedAt, '2026-11-25T00:00:00.000Z');
    const row = (sku: string) => r.body.rows.find((x: { sku: string }) => x.sku === sku);
    assert.deepEqual([row('TSHIRT-RED-M').expected, row('TSHIRT-RED-M').amazonAccepted, row('TSHIRT-RED-M').difference, row('TSHIRT-RED-M').status], [116, 118, -2, 'drift']);
    assert.equal(row('TSHIRT-RED-M-FBA').status, 'fba');

    const drift = await api.request('GET', '/api/v1/reconciliation?status=drift&sort=-expected');
    assert.deepEqual(drift.body.rows.map((x: { sku: string }) => x.sku), ['TSHIRT-RED-M', 'MUG-12OZ-WHT', 'MUG-GIFT-SET', 'SOCKS-6PK']);
    const all = await api.request('GET', '/api/v1/reconciliation');
    assert.deepEqual([...new Set(all.body.rows.map((x: { seller: string }) => x.seller))], ['acme', 'northwind']);

    for (const [path, status, where] of [
      ['/api/v1/reconciliation?sort=nope', 400, 'query.sort'],
      ['/api/v1/reconciliation?status=fine', 400, 'query.status'],
      ['/api/v1/reconciliation?seller=nobody', 404, 'query.seller'],
      ['/api/v1/reconciliation.csv?seller=nobody', 404, 'query.seller'],
    ] as const) {
      const bad = await api.request('GET', path);
      assert.deepEqual([bad.status, bad.body.error.where], [status, where], path);
    }

    const csv = await api.request('GET', '/api/v1/reconciliation.csv?seller=acme');
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.equal(csv.headers.get('content-disposition'), 'attachment; filename="reconciliation-acme-20261125T000000Z.csv"');
    const records = parse(csv.body as string, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(records.map((x) => x.sku), r.body.rows.map((x: { sku: string }) => x.sku), 'the same rows in the same order');
    for (const rec of records) {
      const j = row(rec.sku);
      for (const col of ['status', 'expected', 'amazonAccepted', 'difference', 'channel', 'warehouseSku']) assert.equal(rec[col], j[col] === null ? '' : String(j[col]), `${rec.sku} ${col}`);
    }
    assert.match(records.find((x) => x.sku === 'TSHIRT-RED-M')!.warehouseStock, /TS-RED-M 33=120 sellable/);
    assert.match(records.find((x) => x.sku === 'MUG-GIFT-SET')!.kit, /MUG-12-WHT x2 \(sellable 48, in flight 2\); GIFT-BOX-S x1/);
  } finally {
    await teardown(s);
  }
});
