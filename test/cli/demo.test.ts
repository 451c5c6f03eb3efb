/**
 * `dockgate demo` as a newcomer runs it: the real bin on a fresh data directory, the SP-API
 * emulator and the simulated warehouses in its process, no outside services. One --once run is
 * shared by the assertions on its progress, its summary and the commands it prints; one run
 * without --once checks the dashboard's URL answers and that Ctrl-C ends it with 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { loadMappings } from '../../src/mapping/load.ts';
import { translator, writePartner } from '../../src/mapping/translate.ts';
import { parseCanonical, type ShipOrder } from '../../src/model/index.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');


/** The bin without waiting for it: the --once run and the live run go side by side (the machine's other work shares the CPU by process). */
function started(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, DOCKGATE_LOG_LEVEL: '', ...env } });
  const run = { child, out: '', err: '', exited: null as unknown as Promise<number | null> };
  child.stdout.on('data', (d) => (run.out += d));
  child.stderr.on('data', (d) => (run.err += d));
  run.exited = new Promise((r) => child.on('exit', (code) => r(code)));
  return run;
}

let once: { code: number | null; out: string; err: string };
/** The data directories the runs made, removed at the end. */
const dataDirs: string[] = [];
const dataDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  dataDirs.push(d);
  return d;
};
let live: ReturnType<typeof started>;

// The timeouts only turn a hung demo into a failure instead of a stuck CI job; nothing waits on them.
before(async () => {
  live = started(['demo', '--http-port', '0'], { DOCKGATE_DATA_DIR: dataDir('dockgate-demo-live-') });
  const r = started(['demo', '--once'], { DOCKGATE_DATA_DIR: dataDir('dockgate-demo-') });
  once = { code: await r.exited, out: r.out, err: r.err };
}, { timeout: 240_000 });

// A failure before the live test's own Ctrl-C must not leave the demo running.
after(async () => {
  if (live.child.exitCode === null && live.child.signalCode === null) {
    live.child.kill('SIGKILL');
    await live.exited;
  }
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

test('demo --once exits 0 and prints the nine steps in order', () => {
  assert.equal(once.code, 0, `${once.err}\n${once.out}`);
  let at = -1;
  for (let step = 1; step <= 9; step++) {
    const i = once.out.search(new RegExp(`^${step}/9 `, 'm'));
    assert.ok(i > at, `step ${step}/9 missing or out of order:\n${once.out}`);
    at = i;
  }
  assert.ok(once.out.indexOf('\nSummary') > at, 'the summary comes after the steps');
  assert.match(once.out, /Everything went as designed/);
  assert.equal(once.err, '', 'nothing unexpected on stderr');
  // The gateway's JSON log lines go to the log file, not the terminal.
  assert.doesNotMatch(once.out, /^\{"level"/m);
  assert.match(once.out, /the gateway's JSON log \S+gateway\.log/);
});

test('demo --once shows each designed outcome: both sellers, the cancellation, the unmapped SKU, the late order, the late and the rejected 997, confirmations, quantities, the FBA replenishment, the returns, the reconciliation', () => {
  const o = once.out;
  assert.match(o, /^1\/9 Amazon .*unshipped MFN orders 6 for acme, 3 for northwind$/m);
  assert.match(o, /cancelled by the buyer before the gateway saw it \(never sent\): northwind 113-2220004-0000004/);
  assert.match(o, /held, not sent: acme order 114-2210004-0000004: SKU TSHIRT-BLU-L .*\(unmapped-sku\)/);
  assert.match(o, /flagged: northwind order 113-2220003-0000003 is close to its ship-by time \(order-late\)/);
  assert.match(o, /reno-wms: 940 \S+ sent \(5 order\(s\)/);
  assert.match(o, /cascade-csv: orders_\S+\.csv sent \(3 order\(s\)/);
  assert.match(o, /reno-wms \(simulated\) cancelled 114-2210005-0000005 before picking it/);
  assert.match(o, /T\+75 min: reno-wms: .*\(ack-overdue\)/);
  assert.match(o, /the 997 for \S+ came \d+ min after its due time .*the ack-overdue cleared/);
  assert.match(o, /rejected: reno-wms rejected set 940 \d+ .*\(ack-rejected\)/);
  // The summary, read back from the store.
  assert.match(o, /Orders sent: acme 5 to reno-wms, northwind 3 to cascade-csv/);
  assert.match(o, /Acknowledgements: 3 of the 3 file\(s\) that take one answered with a 997 .*; 3 late .*; sets rejected: 1 \(acme 114-2210006-0000006\)/);
  assert.match(o, /Cancelled after it reached the warehouse: acme 114-2210005-0000005: gateway cancel-sent, warehouse cancelled it before picking/);
  assert.match(o, /Confirmations: 6 package\(s\) of 6 order\(s\) confirmed to Amazon \(acme 3, northwind 3\); 0 not/);
  assert.match(o, /Quantities published: acme 4 SKU\(s\), northwind 2 SKU\(s\)/);
  assert.match(o, /Alerts: [1-9]\d* fired \(.*ack-overdue 3/);
  assert.match(o, /reno-wms: 940 \S+ sent \(1 order\(s\): FBA15DEMO001\)/);
  assert.match(o, /Amazon: FBA shipment FBA15DEMO001 tracking given \(tracking-accepted\)/);
  assert.match(o, /FBA replenishments: FBA15DEMO001 to RNO4 via reno-wms: tracking-accepted/);
  assert.match(o, /removal RMV-5120-0042 TSHIRT-RED-M-FBA: 3 of 5 received \(partially-received\)/);
  assert.match(o, /1 TSHIRT-RED-M-FBA customer-damaged -> damaged, posted by lpn/);
  assert.match(o, /best candidate RMV-5120-0042/);
  assert.match(o, /Returns: removal RMV-5120-0042 3\/5 \(partially-received\), return 111-2210007-0000007 1\/1 \(received\); receipt lines 3 \(2 matched, 1 unmatched, 1 not sellable\)/);
  assert.match(o, /Reconciliation: edited on Amazon TSHIRT-RED-M \+4, MUG-12OZ-WHT -4; drift found by SKU: acme MUG-12OZ-WHT, acme TSHIRT-RED-M/);
  assert.match(o, /orders, acme: \d+ order\(s\), 2 stopped at a step: 114-2210004-0000004 at send, 114-2210006-0000006 at acknowledgement/);
  for (const kind of ['unmapped-sku open', 'order-late resolved', 'ack-overdue resolved', 'ack-rejected open', 'receipt-unmatched open', 'inventory-drift open', 'order-stuck open']) assert.match(o, new RegExp(`#\\d+ ${kind}`), kind);
  assert.doesNotMatch(o, /NOT DESIGNED/);
});

test('the commands the summary prints work: messages show the 940 with its 997, exceptions show the unmapped SKU and where to fix it', async () => {
  const printed = (what: RegExp) => {
    const m = what.exec(once.out);
    assert.ok(m, `no ${what} in the summary`);
    const [, dataDir, args] = /^DOCKGATE_DATA_DIR=(\S+) npx dockgate (.+)$/.exec(m[0].trim())!;
    return started(args.trim().split(/\s+/), { DOCKGATE_DATA_DIR: resolve(root, dataDir) });
  };
  assert.match(once.out, /^ +DOCKGATE_DATA_DIR=\S+ npx dockgate exceptions list --open$/m);
  const unmapped = /#(\d+) unmapped-sku open/.exec(once.out)![1];
  // Both at once: each is a process start of its own.
  const message = printed(/^ +DOCKGATE_DATA_DIR=\S+ npx dockgate messages show \d+/m);
  const exception = printed(new RegExp(`DOCKGATE_DATA_DIR=\\S+ npx dockgate exceptions show ${unmapped}$`, 'm'));
  assert.equal(await message.exited, 0, message.err);
  assert.match(message.out, /-> reno-wms +orders +reno-wms_940_\S+\.edi: .*ack (rejected|partially-accepted|accepted)/);
  assert.match(message.out, /W05\*N\*114-2210001-0000001/, 'the raw bytes of the 940');
  assert.equal(await exception.exited, 0, exception.err);
  assert.match(exception.out, /unmapped-sku TSHIRT-BLU-L \(seller acme partner reno-wms\)/);
  assert.match(exception.out, /fix: \S+mappings\/tables\/acme-skus\.yaml at items/);
});

test('demo without --once: the dashboard URL (token in the fragment) answers /healthz and the API with that token; Ctrl-C (SIGINT) exits 0', { timeout: 240_000 }, async () => {
  const { child, exited } = live;
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const look = () => {
        const m = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)dashboard\/#token=([A-Za-z0-9_-]{43})$/m.exec(live.out);
        if (m) resolveUrl(`${m[1]}|${m[2]}`);
      };
      look();
      child.stdout.on('data', look);
      void exited.then((code) => reject(new Error(`demo exited ${code} before printing the dashboard URL:\n${live.out}\n${live.err}`)));
    });
    const [base, token] = url.split('|');
    const health = await fetch(`${base}healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const dashboard = await fetch(`${base}dashboard/`);
    assert.equal(dashboard.status, 200);
    assert.equal((await fetch(`${base}api/v1/exceptions`)).status, 401, 'the API wants the token');
    const open = await fetch(`${base}api/v1/exceptions?state=open`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(open.status, 200);
    const kinds = ((await open.json()) as { items: Array<{ kind: string }> }).items.map((x) => x.kind).sort();
    assert.deepEqual(kinds, ['ack-rejected', 'inventory-drift', 'inventory-drift', 'order-stuck', 'order-stuck', 'receipt-unmatched', 'unmapped-sku'], 'the API serves the demo store');
    assert.ok(live.out.includes('Everything went as designed'), live.out);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, `${live.out}\n${live.err}`);
  assert.match(live.out, /Stopping the demo/);
});

// The simulator behaviours the story stands on, on their own (fast, no bin): a 997 held back
// ackDelayMinutes on the simulator's clock, and the set of a named order refused once.
test('warehouse simulator: ackDelayMinutes holds the 997 back on its clock; rejectOrders refuses that order\'s set the first time only', async () => {
  const { mappings } = loadMappings(join(root, 'mappings'));
  const orders = (JSON.parse(readFileSync(join(root, 'samples/partners/canonical/ship-orders.json'), 'utf8')) as unknown[]).map((o) => parseCanonical(o) as ShipOrder).filter((o) => o.type === 'mfn');
  assert.ok(orders.length >= 2);
  const base = mkdtempSync(join(tmpdir(), 'dockgate-demo-warehouse-'));
  const dirs = mappings.partners.get('reno-wms')!.transport.directories;
  const toWarehouse = join(base, 'reno-wms', dirs.outbound);
  const acks = () => readdirSync(join(base, 'reno-wms', dirs.inbound)).filter((f) => /_997_/.test(f)).sort();
  let n = 700;
  const deliver = (docs: ShipOrder[], name: string) => {
    const w = writePartner(translator(mappings, 'reno-wms', 'ship-order'), docs, { controlNumbers: { next: () => ++n }, now: new Date(T0) });
    mkdirSync(toWarehouse, { recursive: true });
    writeFileSync(join(toWarehouse, name), w.bytes!);
  };
  const T0 = Date.parse('2026-11-30T12:00:00Z');
  const at = (minutes: number) => new Date(T0 + minutes * 60_000);
  try {
    const sim = new WarehouseSimulator({ mappings, partner: 'reno-wms', root: base, ackDelayMinutes: 30, rejectOrders: [orders[0].orderId], shipAfterSeconds: 3600, inventoryEverySeconds: 0 });
    deliver(orders, 'first.edi');
    const first = await sim.step(at(0));
    assert.equal(first.rejectedSets.length, 1, 'the named order\'s set only');
    assert.deepEqual(first.ordersReceived, orders.slice(1).map((o) => o.orderId));
    assert.deepEqual(first.written.filter((f) => f.kind === 'acknowledgement'), [], 'no 997 yet');
    assert.equal((await sim.step(at(29))).written.length, 0, 'still not at 29 minutes');
    const due = await sim.step(at(30));
    assert.equal(due.written.filter((f) => f.kind === 'acknowledgement').length, 1, 'the 997 at 30 minutes');
    const text = readFileSync(join(base, 'reno-wms', dirs.inbound, acks()[0]), 'latin1');
    assert.equal(text.match(/AK5\*R/g)?.length, 1);
    assert.equal(text.match(/AK5\*A/g)?.length, orders.length - 1);
    // Sent again (the gateway's resend after the rejection): taken this time.
    deliver([orders[0]], 'again.edi');
    const again = await sim.step(at(40));
    assert.deepEqual(again.rejectedSets, []);
    assert.deepEqual(again.ordersReceived, [orders[0].orderId]);
    await sim.step(at(70));
    assert.equal(acks().length, 2);
    assert.doesNotMatch(readFileSync(join(base, 'reno-wms', dirs.inbound, acks()[1]), 'latin1'), /AK5\*R/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
