/**
 * The warehouse simulator on real files in a temporary partner root, with time moved by the
 * test: ship orders written the way the gateway writes them (writePartner on the canonical
 * samples) are taken, acknowledged, shipped and counted, and what it writes reads back through
 * the partner's own layouts as the gateway will read it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadMappings } from '../../src/mapping/load.ts';
import { previewControlNumbers, readPartner, translator, writePartner } from '../../src/mapping/translate.ts';
import { parseCanonical, type InventorySnapshot, type ShipmentAdvice, type ShipOrder } from '../../src/model/index.ts';
import { WarehouseSimulator, type WarehouseOptions } from '../../src/sandbox/warehouse/index.ts';
import type { ControlNumberSource } from '../../src/x12/outbound.ts';
import { validateFile } from '../../src/x12/validate-file.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const SAMPLES: ShipOrder[] = JSON.parse(readFileSync(join(root, 'samples/partners/canonical/ship-orders.json'), 'utf8')).map((o: unknown) => parseCanonical(o) as ShipOrder);
const MFN = SAMPLES.filter((o) => o.type === 'mfn');
const T0 = Date.parse('2026-11-02T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

interface World {
  base: string;
  sim: (o?: Partial<WarehouseOptions>) => WarehouseSimulator;
  /** Where the gateway writes ship orders for the partner / reads the warehouse's files. */
  toWarehouse: string;
  fromWarehouse: string;
  deliver(orders: ShipOrder[], name?: string): string;
  written(pattern: RegExp): string[];
  close(): void;
}

function world(partner: string): World {
  const base = mkdtempSync(join(tmpdir(), 'dockgate-warehouse-'));
  const dirs = mappings.partners.get(partner)!.transport.directories;
  const toWarehouse = join(base, partner, dirs.outbound);
  const fromWarehouse = join(base, partner, dirs.inbound);
  // The gateway's own control numbers: another sequence than the simulator's.
  let n = 500;
  const ours: ControlNumberSource = { next: () => ++n };
  let files = 0;
  return {
    base,
    toWarehouse,
    fromWarehouse,
    sim: (o = {}) => new WarehouseSimulator({ mappings, partner, root: base, inventoryEverySeconds: 0, ...o }),
    deliver(orders, name) {
      const w = writePartner(translator(mappings, partner, 'ship-order'), orders, { controlNumbers: ours, now: new Date(T0) });
      assert.deepEqual(w.documents.map((d) => d.status), orders.map(() => 'ok'));
      mkdirSync(toWarehouse, { recursive: true });
      const file = name ?? `orders_${++files}.${w.isa13 ? 'edi' : 'csv'}`;
      writeFileSync(join(toWarehouse, file), w.bytes!);
      return file;
    },
    written: (pattern) => (existsSync(fromWarehouse) ? readdirSync(fromWarehouse).filter((f) => pattern.test(f)).sort() : []),
    close: () => rmSync(base, { recursive: true, force: true }),
  };
}

async function advicesIn(partner: string, file: Buffer): Promise<ShipmentAdvice[]> {
  const r = await readPartner(translator(mappings, partner, 'shipment-advice'), file);
  assert.deepEqual(r.fileProblems, []);
  for (const d of r.documents) assert.equal(d.status, 'ok', JSON.stringify(d));
  return r.documents.map((d) => d.document as ShipmentAdvice);
}

/** Units shipped per seller SKU over all packages. */
function shippedUnits(advices: ShipmentAdvice[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of advices) for (const p of a.packages) for (const l of p.lines) out[`${a.orderId} ${l.sellerSku}`] = (out[`${a.orderId} ${l.sellerSku}`] ?? 0) + l.quantity;
  return out;
}

async function validX12(bytes: Buffer): Promise<void> {
  const result = await validateFile(bytes);
  const errors = [...result.diagnostics, ...result.interchanges.flatMap((ic) => [...ic.diagnostics, ...ic.groups.flatMap((g) => [...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)])])].filter((d) => d.level === 'error');
  assert.deepEqual(errors, []);
  assert.ok(result.interchanges.length > 0);
}

const isa13 = (bytes: Buffer) => bytes.toString('latin1').split('*')[13];

test('reno-wms (X12): a 940 is taken and moved away, answered with a valid 997, and shipped after ship-after with a 945 that reads back', async () => {
  const w = world('reno-wms');
  try {
    const sim = w.sim({ shipAfterSeconds: 60 });
    const file = w.deliver(MFN);
    const first = await sim.step(at(0));
    assert.deepEqual(first.taken, [file]);
    assert.deepEqual(readdirSync(w.toWarehouse), [], 'taken from the directory the gateway wrote it to');
    assert.ok(existsSync(join(sim.directories.processed, file)));
    const [ack] = w.written(/_997_/);
    assert.ok(ack, 'a 997');
    const ackBytes = readFileSync(join(w.fromWarehouse, ack));
    await validX12(ackBytes);
    assert.match(ackBytes.toString(), /AK1\*OW\*\d+~/);
    assert.equal(ackBytes.toString().match(/AK5\*A~/g)?.length, 2);
    assert.match(ackBytes.toString(), /AK9\*A\*2\*2\*2~/);
    assert.match(ackBytes.toString(), /^ISA\*00\*          \*00\*          \*ZZ\*RENOWMS        \*ZZ\*ACME3PL        \*/, 'from the warehouse to us');
    assert.deepEqual(w.written(/_945_/), [], 'nothing ships before ship-after');

    await sim.step(at(59));
    assert.deepEqual(w.written(/_945_/), []);
    const later = await sim.step(at(60));
    assert.deepEqual(later.shipped.map((s) => s.orderId).sort(), MFN.map((o) => o.orderId).sort());
    const [advice] = w.written(/_945_/);
    const bytes = readFileSync(join(w.fromWarehouse, advice));
    await validX12(bytes);
    const advices = await advicesIn('reno-wms', bytes);
    assert.deepEqual(advices.map((a) => [a.orderId, a.seller]).sort(), [['112-3456789-1234567', 'acme'], ['113-1111111-2222222', 'northwind']]);
    assert.deepEqual(shippedUnits(advices), { '112-3456789-1234567 TSHIRT-RED-M': 2, '112-3456789-1234567 MUG-GIFT-SET': 1, '113-1111111-2222222 NW-LANTERN': 3 });
    const acme = advices.find((a) => a.seller === 'acme')!;
    assert.deepEqual(acme.packages.flatMap((p) => p.lines.map((l) => [l.sellerSku, l.orderItemId])), [['TSHIRT-RED-M', '12345678901234'], ['MUG-GIFT-SET', '12345678901235']]);
    // The order asked for UPSN and FDEH; the carrier table maps both, so those are used, with their numbers' shapes.
    assert.match(acme.packages[0].trackingNumber, /^1Z[A-Z0-9]{16}$/);
    assert.equal(acme.packages[0].amazonCarrier?.carrierCode, 'UPS');
    const northwind = advices.find((a) => a.seller === 'northwind')!;
    assert.match(northwind.packages[0].trackingNumber, /^\d{12}$/);
    assert.equal(northwind.packages[0].amazonCarrier?.carrierCode, 'FedEx');
    assert.ok(acme.lines.every((l) => l.shipped === l.ordered && !l.shortReason));
    // Nothing more to ship: another cycle writes nothing.
    assert.deepEqual((await sim.step(at(600))).written, []);
  } finally {
    w.close();
  }
});

test('cascade-csv (CSV): the orders CSV is taken, no 997 (a flat-file partner), and a shipments CSV reads back', async () => {
  const w = world('cascade-csv');
  try {
    const sim = w.sim({ shipAfterSeconds: 30 });
    w.deliver(SAMPLES);
    const first = await sim.step(at(0));
    assert.equal(first.ordersReceived.length, 3);
    assert.deepEqual(first.written, []);
    assert.deepEqual(readdirSync(w.toWarehouse), []);
    await sim.step(at(30));
    const files = w.written(/^shipments_\d{6}\.csv$/);
    assert.equal(files.length, 1);
    const advices = await advicesIn('cascade-csv', readFileSync(join(w.fromWarehouse, files[0])));
    assert.deepEqual(shippedUnits(advices), {
      '112-3456789-1234567 TSHIRT-RED-M': 2,
      '112-3456789-1234567 MUG-GIFT-SET': 1,
      'REPL-0077 TSHIRT-RED-M': 48,
      '113-1111111-2222222 NW-LANTERN': 3,
    });
    for (const a of advices) for (const p of a.packages) assert.ok(p.trackingNumber.length >= 12 && p.amazonCarrier, `${a.orderId}: a tracking number and a mapped carrier`);
  } finally {
    w.close();
  }
});

test('ack reject: the rejected sets get AK5 R with an AK3/AK4 reason in a valid 997, and their orders never ship; ack none answers nothing', async () => {
  const w = world('reno-wms');
  try {
    const sim = w.sim({ ack: 'reject', rejectShare: 1, shipAfterSeconds: 0 });
    w.deliver(MFN);
    const r = await sim.step(at(0));
    assert.equal(r.rejectedSets.length, 2);
    assert.deepEqual(r.shipped, []);
    const bytes = readFileSync(join(w.fromWarehouse, w.written(/_997_/)[0]));
    await validX12(bytes);
    const text = bytes.toString();
    assert.equal(text.match(/AK5\*R\*5~/g)?.length, 2);
    assert.match(text, /AK3\*W05\*2\*\*8~\nAK4\*1\*\*7\*N~/);
    assert.match(text, /AK9\*R\*2\*2\*0~/);
    await sim.step(at(120));
    assert.deepEqual(w.written(/_945_/), []);
  } finally {
    w.close();
  }
  const quiet = world('reno-wms');
  try {
    const sim = quiet.sim({ ack: 'none', shipAfterSeconds: 0 });
    quiet.deliver(MFN);
    await sim.step(at(0));
    assert.deepEqual(quiet.written(/_997_/), []);
    assert.equal(quiet.written(/_945_/).length, 1, 'never answering is not refusing: the orders ship');
  } finally {
    quiet.close();
  }
});

test('reject share: a share of the sets, drawn from the seed: the same seed gives the same files', async () => {
  const many = Array.from({ length: 20 }, (_, i) => ({ ...MFN[1], orderId: `113-1111111-${String(3000000 + i)}` }));
  const run = async () => {
    const w = world('reno-wms');
    try {
      const sim = w.sim({ ack: 'reject', rejectShare: 0.5, seed: 7, shipAfterSeconds: 0 });
      w.deliver(many, 'orders_1.edi');
      const r = await sim.step(at(0));
      return { rejected: r.rejectedSets, files: w.written(/./).map((f) => readFileSync(join(w.fromWarehouse, f), 'utf8')) };
    } finally {
      w.close();
    }
  };
  const a = await run();
  const b = await run();
  assert.ok(a.rejected.length > 2 && a.rejected.length < 18, `about half rejected (${a.rejected.length})`);
  assert.deepEqual(a, b);
  const advices = await advicesIn('reno-wms', Buffer.from(a.files.find((f) => f.includes('ST*945'))!));
  assert.equal(advices.length, 20 - a.rejected.length, 'the accepted ones ship');
});

test('partial shipments: part of a line first (with its reason), the rest one ship-after later; split shipments: two packages', async () => {
  const w = world('reno-wms');
  try {
    const sim = w.sim({ partialShare: 1, shipAfterSeconds: 60 });
    w.deliver([MFN[1]]); // NW-LANTERN x 3
    await sim.step(at(0));
    await sim.step(at(60));
    const [firstFile] = w.written(/_945_/);
    const [first] = await advicesIn('reno-wms', readFileSync(join(w.fromWarehouse, firstFile)));
    assert.deepEqual(first.lines.map((l) => [l.sellerSku, l.ordered, l.shipped, l.shortReason]), [['NW-LANTERN', 3, 1, 'PARTIAL SHIPMENT - BALANCE TO FOLLOW']]);
    assert.deepEqual(sim.status().held, [MFN[1].orderId]);
    await sim.step(at(119));
    assert.equal(w.written(/_945_/).length, 1);
    await sim.step(at(120));
    const files = w.written(/_945_/);
    assert.equal(files.length, 2);
    const [second] = await advicesIn('reno-wms', readFileSync(join(w.fromWarehouse, files[1])));
    assert.deepEqual(second.lines.map((l) => [l.sellerSku, l.ordered, l.shipped, l.shortReason]), [['NW-LANTERN', 2, 2, undefined]]);
    assert.notEqual(first.packages[0].trackingNumber, second.packages[0].trackingNumber);
    assert.deepEqual(sim.status().held, []);
    assert.equal(sim.status().finished[MFN[1].orderId], 'shipped');
  } finally {
    w.close();
  }
  const s = world('cascade-csv');
  try {
    const sim = s.sim({ splitShare: 1, shipAfterSeconds: 0 });
    s.deliver(MFN);
    await sim.step(at(0));
    const advices = await advicesIn('cascade-csv', readFileSync(join(s.fromWarehouse, s.written(/^shipments_/)[0])));
    for (const a of advices) {
      assert.equal(a.packages.length, 2, `${a.orderId} in two packages`);
      assert.notEqual(a.packages[0].trackingNumber, a.packages[1].trackingNumber);
    }
    // Two lines: one each; one line of 3: 1 + 2.
    assert.deepEqual(advices.find((a) => a.seller === 'northwind')!.packages.map((p) => p.lines.map((l) => l.quantity)), [[1], [2]]);
    assert.deepEqual(shippedUnits(advices), { '112-3456789-1234567 TSHIRT-RED-M': 2, '112-3456789-1234567 MUG-GIFT-SET': 1, '113-1111111-2222222 NW-LANTERN': 3 });
  } finally {
    s.close();
  }
});

test('inventory: a full count per seller at the first cycle and every inventory-every seconds, lowered by what shipped', async () => {
  for (const partner of ['reno-wms', 'cascade-csv']) {
    const w = world(partner);
    try {
      const sim = w.sim({ stock: 50, inventoryEverySeconds: 3600, shipAfterSeconds: 60 });
      const pattern = partner === 'reno-wms' ? /_846_/ : /^inventory_/;
      await sim.step(at(0));
      const counts = async () => {
        const out: Record<string, number> = {};
        const files = w.written(pattern);
        for (const f of files.slice(-2)) {
          const r = await readPartner(translator(mappings, partner, 'inventory'), readFileSync(join(w.fromWarehouse, f)));
          for (const d of r.documents) {
            assert.equal(d.status, 'ok', JSON.stringify(d));
            const s = d.document as InventorySnapshot;
            assert.equal(s.scope, 'full');
            for (const i of s.items) out[`${s.seller} ${i.warehouseItem}`] = i.quantity;
          }
        }
        return { files: files.length, out };
      };
      const before = await counts();
      assert.equal(before.files, 2, 'one per seller');
      assert.equal(before.out['acme TS-RED-M'], 50);
      assert.equal(before.out['northwind LANT-LED-01'], 50);
      w.deliver(MFN);
      await sim.step(at(60));
      assert.equal(w.written(pattern).length, 2, 'not yet due');
      await sim.step(at(3600));
      const after = await counts();
      assert.equal(after.files, 4);
      assert.deepEqual(
        [after.out['acme TS-RED-M'], after.out['acme MUG-12-WHT'], after.out['acme GIFT-BOX-S'], after.out['acme SOCK-BLK'], after.out['northwind LANT-LED-01'], after.out['northwind TENT-2P-GRN']],
        [48, 48, 49, 50, 47, 50],
        `${partner}: shipped units off the counts`,
      );
    } finally {
      w.close();
    }
  }
});

test('stock runs out: a line is shipped short with a reason, and an order with nothing in stock is not shipped', async () => {
  const w = world('reno-wms');
  try {
    const sim = w.sim({ stock: 2, shipAfterSeconds: 0 });
    w.deliver([MFN[1]]); // 3 lanterns, 2 in stock
    await sim.step(at(0));
    const [a] = await advicesIn('reno-wms', readFileSync(join(w.fromWarehouse, w.written(/_945_/)[0])));
    assert.deepEqual(a.lines.map((l) => [l.ordered, l.shipped, l.shortReason]), [[3, 2, 'OUT OF STOCK']]);
    w.deliver([{ ...MFN[1], orderId: '113-1111111-9999999' }]);
    const r = await sim.step(at(10));
    assert.deepEqual(r.shipped, []);
    assert.equal(sim.status().finished['113-1111111-9999999'], 'unfillable');
  } finally {
    w.close();
  }
});

test('cancels, changes and the same file delivered twice', async () => {
  const w = world('reno-wms');
  try {
    const sim = w.sim({ shipAfterSeconds: 60 });
    w.deliver(MFN);
    await sim.step(at(0));
    // The northwind order is cancelled, the acme one changed to one T-shirt, before either ships.
    w.deliver([{ ...MFN[1], purpose: 'cancel' }, { ...MFN[0], purpose: 'change', lines: [MFN[0].lines[0]].map((l) => ({ ...l, quantity: 1 })) }]);
    const r = await sim.step(at(10));
    assert.deepEqual(r.cancelled, [MFN[1].orderId]);
    await sim.step(at(60));
    const advices = await advicesIn('reno-wms', readFileSync(join(w.fromWarehouse, w.written(/_945_/)[0])));
    assert.deepEqual(shippedUnits(advices), { '112-3456789-1234567 TSHIRT-RED-M': 1 });
    // A cancel after shipping is too late; the same bytes under the same name are not imported twice.
    const name = w.deliver([{ ...MFN[0], purpose: 'cancel' }], 'again.edi');
    const bytes = readFileSync(join(w.toWarehouse, name));
    await sim.step(at(70));
    writeFileSync(join(w.toWarehouse, name), bytes);
    const dup = await sim.step(at(80));
    assert.equal(dup.problems.length, 1);
    assert.match(dup.problems[0], /delivered again/);
    assert.deepEqual(readdirSync(w.toWarehouse), []);
    assert.deepEqual(readdirSync(sim.directories.processed).sort(), ['again.edi', 'again.edi.dup1', 'orders_1.edi', 'orders_2.edi']);
    assert.equal(sim.status().finished[MFN[0].orderId], 'shipped');
  } finally {
    w.close();
  }
});

test('restart: a new simulator over the same root carries on with its orders and stock and never reuses an ISA13', async () => {
  const w = world('reno-wms');
  try {
    w.deliver(MFN);
    await w.sim({ shipAfterSeconds: 60, inventoryEverySeconds: 3600, stock: 10 }).step(at(0));
    const ackIsa = w.written(/_997_/).map((f) => isa13(readFileSync(join(w.fromWarehouse, f))));
    // A new process: only the state file under .simulator remembers.
    const again = w.sim({ shipAfterSeconds: 60, inventoryEverySeconds: 3600, stock: 10 });
    assert.deepEqual(again.status().held, MFN.map((o) => o.orderId).sort());
    const r = await again.step(at(60));
    assert.equal(r.shipped.length, 2);
    w.deliver([{ ...MFN[1], orderId: '113-1111111-7777777' }]);
    await w.sim({ shipAfterSeconds: 60, inventoryEverySeconds: 3600, stock: 10 }).step(at(3600));
    const all = w.written(/\.edi$/).map((f) => isa13(readFileSync(join(w.fromWarehouse, f))));
    assert.equal(all.length, 2 /* 997s */ + 1 /* 945 */ + 4 /* two counts of two sellers */);
    assert.equal(new Set(all).size, all.length, `no ISA13 twice: ${all.join(' ')}`);
    assert.ok(ackIsa.every((n) => all.includes(n)));
    // The stock carried over too: 3 lanterns shipped of 10.
    const last = w.written(/_846_/).at(-1)!;
    const r846 = await readPartner(translator(mappings, 'reno-wms', 'inventory'), readFileSync(join(w.fromWarehouse, last)));
    const lantern = r846.documents.flatMap((d) => (d.document as InventorySnapshot).items).find((i) => i.warehouseItem === 'LANT-LED-01');
    // 10 - 3 shipped - 3 set aside for the new order not yet shipped.
    assert.equal(lantern?.quantity, 4);
  } finally {
    w.close();
  }
});

test('run(): cycles every poll-seconds on the injected clock until aborted, shipping on that clock', async () => {
  const w = world('reno-wms');
  try {
    let t = T0;
    const stop = new AbortController();
    let sleeps = 0;
    const clock = {
      now: () => new Date(t),
      sleep: async (ms: number) => {
        t += ms;
        if (++sleeps === 3) stop.abort();
      },
    };
    const sim = w.sim({ clock, pollSeconds: 20, shipAfterSeconds: 40 });
    w.deliver(MFN);
    await sim.run(stop.signal);
    assert.equal(sleeps, 3);
    assert.equal(t - T0, 60_000);
    assert.equal(w.written(/_945_/).length, 1, 'shipped at the third cycle (t + 40 s)');
    assert.deepEqual(sim.status().held, []);
  } finally {
    w.close();
  }
});

test('CLI: --reject-order refuses that order\'s set in the 997 and ships the other; --ack-delay-minutes holds the 997 back', () => {
  const run = (base: string, ...flags: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'sandbox', 'warehouse', '--partner', 'reno-wms', '--root', base, '--mappings', join(root, 'mappings'), '--ship-after', '0', '--inventory-every', '0', '--once', ...flags], { cwd: root, encoding: 'utf8' });
  const w = world('reno-wms');
  try {
    w.deliver(MFN);
    const refused = MFN[0].orderId;
    const r = run(w.base, '--reject-order', refused);
    assert.equal(r.status, 0, r.stderr);
    const [ack] = w.written(/_997_/);
    const text = readFileSync(join(w.fromWarehouse, ack), 'utf8');
    assert.equal(text.match(/AK5\*R/g)?.length, 1, `one set rejected: ${text}`);
    assert.equal(text.match(/AK5\*A~/g)?.length, 1, 'the other accepted');
    const shipped = w.written(/_945_/).map((f) => readFileSync(join(w.fromWarehouse, f), 'utf8')).join('');
    assert.ok(!shipped.includes(refused), 'the refused order is not shipped');
    assert.ok(shipped.includes(MFN[1].orderId), 'the other is');
  } finally {
    w.close();
  }
  const late = world('reno-wms');
  try {
    late.deliver(MFN);
    const r = run(late.base, '--ack-delay-minutes', '30');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(late.written(/_997_/), [], 'no 997 yet: it is due 30 minutes after the file was taken');
    assert.equal(run(late.base, '--ack-delay-minutes', 'soon').status, 2, 'a bad number is a usage error');
  } finally {
    late.close();
  }
});

test('CLI: dockgate sandbox warehouse --once runs one cycle over the partner root', () => {
  const w = world('reno-wms');
  try {
    w.deliver(MFN);
    const r = spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'sandbox', 'warehouse', '--partner', 'reno-wms', '--root', w.base, '--mappings', join(root, 'mappings'), '--ship-after', '0', '--inventory-every', '0', '--once'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; taken?: string[]; written?: string[] });
    const done = lines.find((l) => l.msg === 'warehouse cycle done')!;
    assert.deepEqual(done.taken, ['orders_1.edi']);
    assert.equal(w.written(/_997_/).length, 1);
    assert.equal(w.written(/_945_/).length, 1);
    const bad = spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'sandbox', 'warehouse', '--partner', 'nobody', '--root', w.base, '--mappings', join(root, 'mappings'), '--once'], { cwd: root, encoding: 'utf8' });
    assert.equal(bad.status, 2, 'an unknown partner is a usage error');
    assert.match(bad.stderr, /no partner 'nobody'/);
  } finally {
    w.close();
  }
});
