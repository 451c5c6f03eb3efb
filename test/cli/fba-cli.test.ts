/**
 * `dockgate fba send` and `dockgate fba list` through the real binary, against the SP-API
 * emulator in this process (so the binary is run asynchronously) and a data directory of its own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

function dockgate(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test('fba send sends a shipment by hand once (a second send says so, exit 0); fba list shows it; a cancelled one and a bad id are refused', { timeout: 120_000 }, async () => {
  const seed = sampleSeed();
  for (const s of seed.sellers) s.inboundPlans = [];
  const emulator = new AmazonEmulator({ seed, timeScale: 100 });
  emulator.addInboundPlan('acme', {
    inboundPlanId: 'wf00c1aaaa-0000-0000-0000-000000000000',
    name: 'Hand-sent replenishment',
    createdAt: '2026-11-20T09:00:00Z',
    marketplaceIds: ['ATVPDKIKX0DER'],
    shipments: [
      // WORKING at Amazon: the poll would leave it; by hand it goes.
      { shipmentId: 'sh00c1bbbb-0000', confirmationId: 'FBA15HAND0001', destinationFc: 'RNO4', status: 'WORKING', boxes: [{ boxId: 'FBA15HAND0001U000001', items: [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 12 }] }] },
      { shipmentId: 'sh00c2bbbb-0000', confirmationId: 'FBA15GONE0001', destinationFc: 'RNO4', status: 'CANCELLED', boxes: [{ boxId: 'FBA15GONE0001U000001', items: [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 12 }] }] },
    ],
  });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-fba-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...SELLER_ENV,
    DOCKGATE_DATA_DIR: join(work, 'data'),
    DOCKGATE_MAPPINGS: MAPPINGS,
    DOCKGATE_PARTNER_ROOT: join(work, 'partners'),
    DOCKGATE_AMAZON_ENDPOINT: `http://127.0.0.1:${port}`,
    DOCKGATE_AMAZON_TIME_SCALE: '100',
  };
  delete env.DOCKGATE_STORE_KEY;
  delete env.DOCKGATE_CONFIG;
  try {
    const first = await dockgate(['fba', 'send', '--seller', 'acme', '--shipment', 'FBA15HAND0001'], env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^FBA shipment FBA15HAND0001 sent to reno-wms in reno-wms_940_\d+_\S+\.edi \(control \d+\)\n$/);

    const second = await dockgate(['fba', 'send', '--seller', 'acme', '--shipment', 'FBA15HAND0001'], env);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /FBA shipment FBA15HAND0001 was sent already \(to reno-wms, /);

    const list = await dockgate(['fba', 'list', '--seller', 'acme'], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^FBA15HAND0001\s+acme\s+sent\s+reno-wms\s+RNO4\s+1 box\(es\) 12 unit\(s\), Amazon WORKING, sent /);
    const json = await dockgate(['fba', 'list', '--json', '--state', 'sent'], env);
    const rows = JSON.parse(json.out) as Array<{ shipmentId: string; source: string; state: string }>;
    assert.deepEqual(rows.map((r) => [r.shipmentId, r.source, r.state]), [['FBA15HAND0001', 'manual', 'sent']]);

    const cancelled = await dockgate(['fba', 'send', '--seller', 'acme', '--shipment', 'FBA15GONE0001'], env);
    assert.equal(cancelled.code, 2, cancelled.out);
    assert.match(cancelled.err, /FBA15GONE0001 is CANCELLED at Amazon: not sent/);
    const bad = await dockgate(['fba', 'send', '--seller', 'acme', '--shipment', 'fba-nope'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--shipment must be an Amazon Shipment ID/);
    const badState = await dockgate(['fba', 'list', '--state', 'lost'], env);
    assert.equal(badState.code, 2);
    assert.match(badState.err, /--state must be one/);
  } finally {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
