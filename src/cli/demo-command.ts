/**
 * `dockgate demo`: the main job on embedded defaults. Until the flows exist it shows the X12
 * engine on the files in samples/x12: validate each file (recording it in the data
 * directory), print the acknowledgements an inbound file earns, and prove the JSON round trip;
 * then the example partners in mappings/ translate the partner samples both ways.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
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
import { AmazonAdapter } from '../amazon/index.ts';
import { emptyReport, receiveAndConfirm, sendOrders } from '../flows/order-to-confirmation.ts';
import { AmazonEmulator } from '../sandbox/amazon/emulator.ts';
import { loadSeed } from '../sandbox/amazon/state.ts';
import { DirectoryTransport } from '../transport/directory.ts';
import type { MessageStore } from '../store/store.ts';

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

/**
 * Step 5: the main path against the local SP-API emulator: acme's unshipped orders out as Reno's
 * 940 into a directory standing in for Reno's SFTP server, Reno's 945 and 846 back from it,
 * confirmed and published to Amazon. Returns the number of unexpected outcomes.
 */
async function roundTrip(out: (s: string) => void, store: MessageStore, dataDir: string): Promise<number> {
  const { mappings } = loadMappings(MAPPINGS);
  const emulator = new AmazonEmulator({ seed: loadSeed(SEED), timeScale: 100 });
  const port = await emulator.start();
  const exchange = mkdtempSync(join(dataDir, 'demo-reno-sftp-'));
  for (const d of ['inbound', 'outbound']) mkdirSync(join(exchange, d), { recursive: true });
  const amazon = new AmazonAdapter(
    { id: 'acme', sellingPartnerId: 'A1ACMEBRANDS01', region: 'na', marketplaces: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'], credentials: { clientId: 'demo', clientSecret: 'demo', refreshToken: 'Atzr|acme-sandbox-refresh-token' } },
    { endpoint: { port }, timeScale: 100, timeoutMs: 5000 },
  );
  const ctx = { mappings, partnerId: 'reno-wms', sellerId: 'acme', amazon, transport: new DirectoryTransport(exchange), store, since: new Date('2026-11-01T00:00:00Z') };
  const report = emptyReport();
  try {
    out(`   SP-API emulator on 127.0.0.1:${port}; Reno's SFTP stand-in: ${relative(process.cwd(), exchange)}`);
    await sendOrders(ctx, report);
    out(`   ${report.ordersSent.length} unshipped MFN order(s) of acme -> ${report.orderFile ?? 'no file'} delivered to Reno (${report.ordersSent.join(', ')})`);
    // Each demo run is a new day at Reno: its files get new names (the store remembers files by name and bytes).
    const day = new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
    copyFileSync(join(PARTNER_SAMPLES, 'reno-wms/945-shipment-advice.edi'), join(exchange, 'outbound', `RENO_945_${day}.edi`));
    copyFileSync(join(PARTNER_SAMPLES, 'reno-wms/846-inventory.edi'), join(exchange, 'outbound', `RENO_846_${day}.edi`));
    await receiveAndConfirm(ctx, report);
    out(`   Reno's files taken, recorded, archived: ${report.filesTaken.join(', ')}`);
    for (const c of report.confirmed) out(`   confirmShipment ${c.orderId} package ${c.packageId} tracking ${c.trackingNumber}: ${c.outcome}`);
    out(`   MFN quantities: ${report.quantities.map((q) => `${q.sellerSku} ${q.quantity} (${q.outcome})`).join(', ')}`);
    for (const p of report.problems) out(`   PROBLEM: ${p}`);
    const order = emulator.seller('acme')!.orders.get('112-3456789-1234567')!;
    out(`   Amazon now shows order 112-3456789-1234567 as ${order.status}`);
    return report.problems.length + (report.confirmed.length === 0 ? 1 : 0) + (order.status === 'SHIPPED' ? 0 : 1);
  } finally {
    amazon.close();
    await emulator.stop();
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
        out('\n5. The main path against the local SP-API emulator (Amazon -> 940 -> Reno -> 945 / 846 -> Amazon):');
        unexpected += await roundTrip(out, store, loaded.dataDir);
      } finally {
        await store.close();
      }
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
