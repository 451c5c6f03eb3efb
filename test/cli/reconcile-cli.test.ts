/**
 * `dockgate reconcile inventory | orders` as an operator runs them: the real binary against the
 * SP-API emulator in this process, over a data directory `dockgate start --once` filled (the
 * sample 846 taken from Reno's directory and published). Table, --json and --csv; exit 0 with
 * nothing found, 1 with drift or a stuck order, 2 on a usage error. The test waits for exits,
 * never for durations.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

function dockgate(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test('reconcile inventory and orders through the real binary: table, --json, --csv, exit codes 0 / 1 / 2', { timeout: 180_000 }, async () => {
  const emulator = new AmazonEmulator({ seed: sampleSeed(), timeScale: 100 });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-reconcile-cli-'));
  const partnerRoot = join(work, 'partners');
  mkdirSync(join(partnerRoot, 'reno-wms', 'outbound'), { recursive: true });
  // acme only: one seller's runs keep the test short.
  writeFileSync(join(work, 'dockgate.yaml'), 'gateway:\n  sellers: [acme]\n');
  copyFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi'), join(partnerRoot, 'reno-wms', 'outbound', 'RENO_846_77290.edi'));
  const env: NodeJS.ProcessEnv = { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: join(work, 'data'), DOCKGATE_LOG_LEVEL: 'warn', DOCKGATE_PARTNER_ROOT: partnerRoot };
  delete env.DOCKGATE_STORE_KEY;
  delete env.DOCKGATE_CONFIG;
  const gateway = ['--mappings', MAPPINGS, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '100'];
  const run = (args: string[]) => dockgate([...args, ...gateway], work, env);
  try {
    // Its exit code is every flow's (others' flows may fail here: no partner directory for cascade-csv); what counts is the 846 published.
    const started = await dockgate(['start', '--once', ...gateway, '--partner-root', partnerRoot], work, env);
    assert.ok(started.code === 0 || started.code === 1, started.err);
    assert.equal(emulator.seller('acme')!.listings.get('MUG-12OZ-WHT')!.channels.find((c) => c.code === 'DEFAULT')!.quantity, 43, 'the sample 846 was published');

    // Published, Amazon holds it: nothing to report for acme's MFN SKUs.
    const clean = await run(['reconcile', 'inventory', '--seller', 'acme', '--json']);
    assert.equal(clean.code, 0, `${clean.err}\n${clean.out}`);
    const cleanReport = JSON.parse(clean.out) as { drift: number; rows: Array<{ sku: string; status: string; amazonQuantity: number | null; amazonFulfillable: number | null }>; sellers: Array<{ seller: string; skus: number }> };
    assert.equal(cleanReport.drift, 0);
    assert.deepEqual(cleanReport.sellers.map((s) => s.seller), ['acme']);
    const fba = cleanReport.rows.find((r) => r.sku === 'TSHIRT-RED-M-FBA')!;
    assert.deepEqual([fba.status, fba.amazonQuantity, fba.amazonFulfillable], ['fba', null, 31]);

    // A Seller Central edit: drift, exit 1; in the table and the CSV.
    emulator.seller('acme')!.listings.get('MUG-12OZ-WHT')!.channels.find((c) => c.code === 'DEFAULT')!.quantity = 50;
    const table = await run(['reconcile', 'inventory', '--seller', 'acme']);
    assert.equal(table.code, 1, table.err);
    const mugLine = table.out.split('\n').find((l) => l.includes('MUG-12OZ-WHT'))!;
    assert.match(mugLine, /^acme\s+MUG-12OZ-WHT\s+drift\s+43\s+43\s+50\s+-\s+7\s+amazon\s+after 20\d\d-/);
    assert.match(table.out, /\d+ SKU\(s\), 1 with drift beyond 0 unit\(s\)\n$/);
    const csv = await run(['reconcile', 'inventory', '--seller', 'acme', '--csv', '--sort', '-driftUnits']);
    assert.equal(csv.code, 1, csv.err);
    const records = parse(csv.out, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual([records[0].sku, records[0].status, records[0].amazonQuantity, records[0].movedLast], ['MUG-12OZ-WHT', 'drift', '50', 'amazon']);
    const exceptions = JSON.parse((await dockgate(['exceptions', 'list', '--open', '--kind', 'inventory-drift', '--json'], work, env)).out) as Array<{ key: string; seller: string }>;
    assert.deepEqual(exceptions.map((x) => [x.seller, x.key]), [['acme', 'MUG-12OZ-WHT']]);

    // Orders: the seed's, sent by start --once and within their windows; one Amazon has that Dockgate never saw, two hours old: stuck, exit 1.
    const [unseen] = emulator.generateOrders('acme', { count: 1, sku: 'TSHIRT-RED-M', startTime: new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    const orders = await run(['reconcile', 'orders', '--seller', 'acme', '--since', '7d', '--json']);
    assert.equal(orders.code, 1, orders.err);
    const o = JSON.parse(orders.out) as { stuck: number; rows: Array<{ orderId: string; step: string; stuck: boolean; state: string | null }> };
    assert.deepEqual(o.rows.filter((r) => r.stuck).map((r) => [r.orderId, r.step, r.state]), [[unseen, 'received', null]]);
    assert.ok(o.rows.some((r) => r.state !== null && !r.stuck), 'the orders Dockgate sent are listed, not stuck');
    const ocsv = await run(['reconcile', 'orders', '--seller', 'acme', '--csv']);
    assert.equal(ocsv.code, 1);
    assert.deepEqual((parse(ocsv.out, { columns: true }) as Array<Record<string, string>>).filter((r) => r.stuck === 'true').map((r) => r.orderId), [unseen]);
    const otable = await run(['reconcile', 'orders', '--seller', 'acme']);
    assert.match(otable.out, new RegExp(`${unseen}\\s+STUCK\\s+received`));

    // The edit undone: no drift, exit 0, the exception resolved.
    emulator.seller('acme')!.listings.get('MUG-12OZ-WHT')!.channels.find((c) => c.code === 'DEFAULT')!.quantity = 43;
    assert.equal((await run(['reconcile', 'inventory', '--seller', 'acme'])).code, 0);
    assert.deepEqual(JSON.parse((await dockgate(['exceptions', 'list', '--open', '--kind', 'inventory-drift', '--json'], work, env)).out), []);

    // Usage errors: exit 2 with the reason.
    for (const [args, text] of [
      [['reconcile', 'inventory', '--json', '--csv'], /one output at a time/],
      [['reconcile', 'inventory', '--seller', 'nobody'], /no seller 'nobody'/],
      [['reconcile', 'inventory', '--sort', 'colour'], /--sort takes one of/],
      [['reconcile', 'orders', '--since', 'last week'], /--since: "last week"/],
    ] as const) {
      const bad = await run([...args]);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.err}`);
      assert.match(bad.err, text);
    }
  } finally {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
