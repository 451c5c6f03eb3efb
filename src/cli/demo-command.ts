/**
 * `dockgate demo`: the main job on embedded defaults. The X12 engine on the files in
 * samples/x12 (validate and record each, the acknowledgements an inbound file earns, the JSON
 * round trip), the example partners in mappings/ translating their samples both ways, and then
 * the gateway itself running two cycles against the SP-API emulator and a simulated warehouse.
 */
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/config.ts';
import { allDiagnostics } from '../x12/result.ts';
import { validateFile } from '../x12/validate-file.ts';
import { acknowledgementsFor } from './ack-output.ts';
import { fileToJson, jsonToX12 } from './json-output.ts';
import { openConfiguredStore, recordReceivedFile } from './record.ts';
import { requireInputDir } from './user-paths.ts';
import { humanFile } from './validate-report.ts';
import { loadMappings } from '../mapping/index.ts';
import { mfnQuantities, skuIndex } from '../mapping/resolve.ts';
import { readPartner, translator, writePartner, type DocumentName } from '../mapping/translate.ts';
import { parseCanonical, type InventorySnapshot } from '../model/index.ts';
import { openStore } from '../store/index.ts';
import type { GatewayStore } from '../store/work.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/x12/', import.meta.url));
const PARTNER_SAMPLES = fileURLToPath(new URL('../../samples/partners/', import.meta.url));
const MAPPINGS = fileURLToPath(new URL('../../mappings/', import.meta.url));

/** Partner samples and the document each one is. */
const INBOUND: Array<[string, DocumentName, string]> = [
  ['reno-wms', 'shipment-advice', 'reno-wms/945-shipment-advice.edi'],
  ['reno-wms', 'inventory', 'reno-wms/846-inventory.edi'],
  ['reno-wms', 'receipt', 'reno-wms/944-receipt.edi'],
  ['reno-wms', 'inbound-asn', 'reno-wms/856-fba-asn.edi'],
  ['cascade-csv', 'shipment-advice', 'cascade-csv/shipments.csv'],
  ['cascade-csv', 'inventory', 'cascade-csv/inventory.csv'],
  ['cascade-csv', 'receipt', 'cascade-csv/receipts.xml'],
];

const SEED = fileURLToPath(new URL('../../samples/sandbox/amazon-seed.yaml', import.meta.url));

/** The sample sellers' credentials for the emulator (it accepts any well-formed LWA values). */
const DEMO_CREDENTIALS: Record<string, string> = {
  ACME_LWA_CLIENT_ID: 'amzn1.application-oa2-client.demo',
  ACME_LWA_CLIENT_SECRET: 'demo-secret',
  ACME_LWA_REFRESH_TOKEN: 'Atzr|acme-sandbox-refresh-token',
  NORTHWIND_LWA_CLIENT_ID: 'amzn1.application-oa2-client.demo',
  NORTHWIND_LWA_CLIENT_SECRET: 'demo-secret',
  NORTHWIND_LWA_REFRESH_TOKEN: 'Atzr|northwind-sandbox-refresh-token',
};

/**
 * Step 5: the gateway itself, as `dockgate start --once` runs it, against the local SP-API
 * emulator and a simulated Reno warehouse (dockgate sandbox warehouse) over a partner root in the
 * demo's own data directory: cycle 1 sends the sellers' unshipped MFN orders as 940s; the
 * warehouse answers 997s, ships (945) and counts stock (846); cycle 2 settles the 997s, confirms
 * every package to Amazon and publishes MFN quantities. Returns the number of unexpected outcomes.
 */
async function gatewayRun(out: (s: string) => void, loaded: LoadedConfig): Promise<number> {
  // The gateway and the sandboxes load here, not with every command.
  const [{ flows }, { resolveGatewayConfig }, { gatewayLogger }, { runGatewayOnce }, { AmazonEmulator }, { loadSeed }, { WarehouseSimulator }] = await Promise.all([
    import('../flows/index.ts'),
    import('../gateway/config.ts'),
    import('../gateway/context.ts'),
    import('../gateway/start.ts'),
    import('../sandbox/amazon/emulator.ts'),
    import('../sandbox/amazon/state.ts'),
    import('../sandbox/warehouse/index.ts'),
  ]);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const demoDir = join(loaded.dataDir, `demo-${stamp}`);
  mkdirSync(demoDir, { recursive: true });
  const mappingsDir = MAPPINGS;
  const partnerRoot = join(demoDir, 'partners');
  const emulator = new AmazonEmulator({ seed: loadSeed(SEED), timeScale: 100 });
  const port = await emulator.start();
  const logFile = join(demoDir, 'gateway.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const log = gatewayLogger({ level: 'info', destination: logStream });
  const env = { ...process.env, ...DEMO_CREDENTIALS };
  let unexpected = 0;
  try {
    const config = resolveGatewayConfig({ ...loaded, dataDir: demoDir }, { mappings: mappingsDir, partnerRoot, amazonEndpoint: `http://127.0.0.1:${port}`, amazonTimeScale: '100' }, {});
    // The simulator renames each file into place: the two looks of the completeness check need not be seconds apart here.
    config.settings.secondLookMs = 200;
    // The sample seed's orders were placed in November 2026: the first search looks back far enough to find them.
    config.settings.firstLookbackDays = 3650;
    const { mappings } = loadMappings(mappingsDir);
    const warehouse = new WarehouseSimulator({ mappings, partner: 'reno-wms', root: partnerRoot, shipAfterSeconds: 0, inventoryEverySeconds: 1, seed: 1 });
    out(`   SP-API emulator on 127.0.0.1:${port}; Reno's SFTP stand-in: ${relative(process.cwd(), join(partnerRoot, 'reno-wms'))}; log: ${relative(process.cwd(), logFile)}`);
    const cycle = async (n: number) => {
      const { code, result } = await runGatewayOnce(config, flows, { log, env });
      const done = result.jobs.filter((j) => j.outcome === 'done');
      const byKind = (k: string) => done.filter((j) => j.kind === k).length;
      out(`   gateway cycle ${n} (dockgate start --once): ${byKind('deliver-file')} file(s) delivered, ${byKind('confirm-package')} package(s) confirmed, ${byKind('publish-quantity') + byKind('publish-feed')} quantity publication(s); exit ${code}`);
      for (const f of result.failures) out(`     ${f}`);
      return code;
    };
    if ((await cycle(1)) !== 0) unexpected++;
    const w = await warehouse.step();
    out(`   Reno (simulated) took ${w.taken.length} file(s) with ${w.ordersReceived.length} order(s); wrote ${w.written.map((f) => `${f.kind} ${f.name}`).join(', ') || 'nothing'}`);
    if ((await cycle(2)) !== 0) unexpected++;
    for (const o of emulator.orders().filter((x) => x.fulfilledBy === 'MERCHANT')) {
      const tracking = o.confirmations.map((c) => `${c.carrierCode} ${c.trackingNumber}`).join(', ');
      out(`   Amazon: ${o.seller} order ${o.orderId} ${o.status}${tracking ? ` (${tracking})` : ''}`);
      if (o.status !== 'SHIPPED') unexpected++;
    }
    out(`   Amazon MFN quantities: ${emulator.listings().filter((l) => l.quantityUpdates > 0).map((l) => `${l.seller} ${l.sku} ${l.mfnQuantity}`).join(', ') || 'none published'}`);
    const store = openStore({ dataDir: demoDir, encryptionKey: loaded.storeKey, readOnly: true }) as GatewayStore;
    try {
      const open = await store.work.exceptions.list({ states: ['open'] });
      out(`   exceptions open: ${open.length}${open.map((x) => `\n     [${x.kind}] ${x.message}`).join('')}`);
    } finally {
      await store.close();
    }
    out(`   Look around: DOCKGATE_DATA_DIR=${relative(process.cwd(), demoDir) || '.'} npx dockgate messages list   |   ... npx dockgate exceptions list`);
    return unexpected;
  } finally {
    await emulator.stop();
    await new Promise<void>((r) => logStream.end(r));
  }
}

/** Step 4: the example partners' mappings at work. Returns the number of unexpected outcomes. */
async function translateSamples(out: (s: string) => void): Promise<number> {
  const { mappings, problems } = loadMappings(MAPPINGS);
  if (problems.length) {
    out(`   the mapping files have ${problems.length} problem(s): dockgate mappings check`);
    return 1;
  }
  let unexpected = 0;
  const orders = (JSON.parse(readFileSync(join(PARTNER_SAMPLES, 'canonical/ship-orders.json'), 'utf8')) as unknown[]).map(parseCanonical);
  for (const partner of ['reno-wms', 'cascade-csv']) {
    const t = translator(mappings, partner, 'ship-order');
    const w = writePartner(t, orders);
    const changes = w.documents.flatMap((d) => d.textChanges);
    if (w.documents.some((d) => d.status !== 'ok')) unexpected++;
    out(`   ${orders.length} canonical orders -> ${partner} ${t.layout.format.toUpperCase()} (${t.layout.id}): ${w.bytes?.length ?? 0} bytes, ${changes.length} text change(s)${changes[0] ? `, e.g. '${changes[0].from}' sent as '${changes[0].to}'` : ''}`);
  }
  for (const [partner, doc, file] of INBOUND) {
    const r = await readPartner(translator(mappings, partner, doc), readFileSync(join(PARTNER_SAMPLES, file)), { file });
    const count = (s: string) => r.documents.filter((d) => d.status === s).length;
    if (r.fileProblems.length || count('ok') !== r.documents.length) unexpected++;
    out(`   ${file} -> ${r.documents.length} canonical ${doc} document(s): ${count('ok')} ok, ${count('held')} held, ${count('rejected')} rejected`);
    if (partner === 'reno-wms' && doc === 'inventory') {
      const acme = r.documents.find((d) => (d.document as InventorySnapshot | undefined)?.seller === 'acme')?.document as InventorySnapshot | undefined;
      if (acme) {
        const q = mfnQuantities(acme, skuIndex(mappings, 'acme'), mappings.partners.get('reno-wms')!);
        out(`     MFN quantities for acme: ${q.map((x) => `${x.sellerSku} ${x.quantity}`).join(', ')}`);
      }
    }
  }
  return unexpected;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the X12 engine on the sample files (validate and record, acknowledge, JSON round trip) and translate the example partners\' samples')
    .option('--samples <dir>', 'folder of X12 files', SAMPLES)
    .action(async (opts: { samples: string }, cmd: Command) => {
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      const files = readdirSync(requireInputDir(opts.samples, '--samples folder'))
        .filter((f) => /\.(edi|x12|txt)$/i.test(f))
        .sort()
        .map((f) => join(opts.samples, f));
      out(`Dockgate demo — data directory ${loaded.dataDir}\n`);
      out('1. Validate and record every sample file (raw bytes kept content-addressed, message log in SQLite)');
      const store = await openConfiguredStore(loaded);
      let unexpected = 0;
      try {
        for (const file of files) {
          const name = relative(process.cwd(), file);
          const result = await validateFile(file, {
            file: name,
            isDuplicateInterchange: (q, id, control) => store.hasInterchange(q, id, control),
          });
          out(humanFile(result, false, false));
          const errors = allDiagnostics(result).filter((d) => d.level === 'error');
          // bad-*.edi samples are broken on purpose; anything else must be valid, or say why.
          const duplicateOnly = errors.length > 0 && errors.every((d) => d.code === 'isa.duplicate');
          if (duplicateOnly) out('   (already recorded by an earlier demo run: a resent interchange is refused as a duplicate)');
          else if ((errors.length > 0) !== /(^|\/)bad-/.test(file)) unexpected++;
          await recordReceivedFile(store, name, result, 'demo');
        }
      } finally {
        await store.close();
      }
      out('\n5. The gateway against the local SP-API emulator and a simulated warehouse (Amazon -> 940 -> Reno -> 997 / 945 / 846 -> Amazon):');
      unexpected += await gatewayRun(out, loaded);
      const inbound = files.find((f) => f.endsWith('acme-945-shipment-advice.edi'));
      const broken = files.find((f) => f.endsWith('bad-945.edi'));
      for (const file of [inbound, broken]) {
        if (!file) continue;
        out(`\n2. The acknowledgements Dockgate would send for ${relative(process.cwd(), file)} (nothing consumed):`);
        out((await acknowledgementsFor(file, loaded, { use999: false, record: false })).text.trimEnd());
      }
      out('\n3. X12 -> JSON form -> X12 round trip (reproduce mode):');
      for (const file of files) {
        if (/(^|\/)bad-/.test(file)) continue;
        const back = jsonToX12(await fileToJson(file), file);
        const same = Buffer.compare(back, readFileSync(file)) === 0;
        if (!same) unexpected++;
        out(`   ${relative(process.cwd(), file)}: ${same ? 'identical bytes' : 'DIFFERS'}`);
      }
      out('\n4. The example partners (mappings/): canonical orders out, partner documents in:');
      unexpected += await translateSamples(out);
      out(`\nTry: npx dockgate x12 validate --json samples/x12/bad-945.edi   |   npx dockgate store list`);
      out('     npx dockgate translate --partner cascade-csv --doc shipment-advice --from csv --to canonical samples/partners/cascade-csv/shipments.csv');
      out('     npx dockgate mappings audit --partner reno-wms --skus samples/partners/acme-active-listings.txt');
      process.exitCode = unexpected === 0 ? 0 : 1;
    });
}
