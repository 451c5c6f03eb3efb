/**
 * By-SKU reconciliation of 50,000 SKUs (issue 12): a generated SKU table of --skus items for
 * seller acme (a copy of mappings/ with the table replaced), as many listings in the SP-API
 * emulator (generateListings, every 10th FBA with fulfillable units), a warehouse snapshot of
 * every item applied to the SQLite store with what Dockgate published, and 1% of the MFN
 * listings edited "on Amazon". Then one reconcileInventory run (Amazon read through the real
 * client: the merchant listings report and FBA inventory pages; rows; inventory-drift raised;
 * the run stored), timed, with the process's peak RSS and the SP-API calls from the emulator's
 * call log. The emulator runs in this process: its memory is in the RSS figures (the baseline
 * after setup is given beside the peak).
 *
 * Run by hand: `npm run bench:reconcile` (`-- --skus N`). Not part of `npm test`.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reconcileInventory } from '../src/flows/reconciliation.ts';
import { reconcileBySku } from '../src/reconciliation/by-sku.ts';
import { lastAmazonSides } from '../src/reconciliation/store.ts';
import { MAPPINGS, startHarness, TestClock } from '../test/flows/harness.ts';
import { machine, numberArg, revision, writeSection } from './results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SKUS = numberArg('skus', 50_000);
const FBA_SHARE = 0.1;
const DRIFT_SHARE = 0.01;
const STOCK = 12;
const BUFFER = 2;
const PREFIX = 'BENCH-';
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-reconcile-bench-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const sku = (n: number) => `${PREFIX}${String(n).padStart(6, '0')}`;
  const lines = ['schemaVersion: 1', 'kind: sku-table', 'id: acme-skus', 'seller: acme', `defaultSafetyBuffer: ${BUFFER}`, 'items:'];
  for (let n = 1; n <= SKUS; n++) lines.push(`  - { sellerSku: ${sku(n)}, warehouseItem: WH-${n} }`);
  writeFileSync(join(dir, 'tables/acme-skus.yaml'), `${lines.join('\n')}\n`);

  const setupStart = performance.now();
  const h = await startHarness({ mappingsDir: dir, clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  try {
    const listed = h.emulator.generateListings('acme', { count: SKUS, prefix: PREFIX, quantity: STOCK - BUFFER, fbaShare: FBA_SHARE });
    const s = h.emulator.seller('acme')!;
    const fba = listed.filter((k) => s.listings.get(k)!.channels[0].code !== 'DEFAULT');
    const fbaSet = new Set(fba);
    for (const k of fba) s.seed.fbaInventory.push({ sku: k, asin: s.listings.get(k)!.asin, fnsku: `X0${k.slice(PREFIX.length)}`, fulfillable: 7, inboundShipped: 20, reserved: 1 });
    // The warehouse's count and what Dockgate published, as the inventory flow leaves them.
    const now = h.clock.now().toISOString();
    await h.store.transaction(async (w) => {
      await w.inventory.setStock('reno-wms', 'acme', Array.from({ length: SKUS }, (_, i) => ({ warehouseItem: `WH-${i + 1}`, state: '33', quantity: STOCK })));
      await w.inventory.setLastSnapshot('reno-wms', 'acme', now, now, 0);
      for (const k of listed) if (!fbaSet.has(k)) await w.inventory.accepted('acme', k, STOCK - BUFFER, now);
    });
    // Seller Central edits: every 100th MFN listing one unit up.
    const mfn = listed.filter((k) => s.listings.get(k)!.channels[0].code === 'DEFAULT');
    const edited = mfn.filter((_, i) => i % Math.round(1 / DRIFT_SHARE) === 0);
    for (const k of edited) s.listings.get(k)!.channels[0].quantity = STOCK - BUFFER + 1;
    const setupMs = performance.now() - setupStart;

    h.clock.advance(3_600_000);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const calls = h.emulator.callLog().length;
    const t = performance.now();
    const run = await reconcileInventory(h.ctx, 'acme');
    const runMs = performance.now() - t;
    const apiT = performance.now();
    const fromStore = await reconcileBySku(h.ctx, { seller: 'acme', amazon: await lastAmazonSides(h.store, ['acme']) });
    const apiMs = performance.now() - apiT;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
    const used = h.emulator.callLog().slice(calls);
    const byOp = new Map<string, number>();
    for (const c of used) byOp.set(c.operation, (byOp.get(c.operation) ?? 0) + 1);

    const split = (h.logs.filter((l) => l.event === 'reconcile.inventory').at(-1)?.ms ?? {}) as Record<string, number>;
    const drift = run.drift.length;
    if (drift !== edited.length) throw new Error(`expected ${edited.length} drift rows (the edited listings), got ${drift}`);
    if (fromStore.rows.length !== run.report.rows.length) throw new Error('the stored run does not give the same rows');
    const fbaRows = run.report.rows.filter((r) => r.status === 'fba' && r.amazonFulfillable === 7).length;

    const body = `## Reconciliation: by SKU — ${new Date().toISOString().slice(0, 10)}

Machine: ${machine()}. Code: ${revision()}.

\`npm run bench:reconcile\` (\`bench/reconcile.ts\`): seller acme with a generated SKU table of **${SKUS.toLocaleString('en')} SKUs**,
as many listings in the SP-API emulator (in this process, time scale 1000, through the real amazon-sp-api client),
${fba.length.toLocaleString('en')} of them FBA (fulfillable 7, total supply 28), a warehouse snapshot of every item
(${STOCK} sellable, buffer ${BUFFER}) with Dockgate's accepted publishes in SQLite, and ${edited.length.toLocaleString('en')} MFN listings
edited on Amazon. One \`reconcileInventory\` run: the merchant listings report, FBA inventory, ${run.report.rows.length.toLocaleString('en')} rows
(${SKUS.toLocaleString('en')} mapped + the seed's own listings), ${drift.toLocaleString('en')} inventory-drift exceptions raised, the run stored (blob + cursor).
Setup (table, listings, store) took ${(setupMs / 1000).toFixed(1)} s and is not in the figures.

| measure | value |
|---|---|
| reconcileInventory (Amazon read + rows + exceptions + stored) | ${(runMs / 1000).toFixed(2)} s |
| of which: Amazon read / rows / exceptions / stored | ${['amazon', 'rows', 'exceptions', 'stored'].map((k) => `${((split[k] ?? 0) / 1000).toFixed(2)} s`).join(' / ')} |
| the same rows from the stored run (what the API does per request) | ${(apiMs / 1000).toFixed(2)} s |
| RSS after setup (emulator and its ${SKUS.toLocaleString('en')} listings included) | ${mib(baseline)} MiB |
| peak RSS during the run (process) | ${mib(peak)} MiB |
| SP-API calls | ${used.filter((c) => c.operation !== 'lwaToken').length} (${[...byOp].map(([op, n]) => `${op} ${n}`).join(', ')}) |
| FBA rows with fulfillable shown, never fed | ${fbaRows.toLocaleString('en')} |

The calls do not grow with the MFN SKU count (one report); FBA inventory is ${byOp.get('getInventorySummaries') ?? 0} pages of 50 (getInventorySummaries, 2 requests/s
at Amazon's default plan: about ${Math.ceil((byOp.get('getInventorySummaries') ?? 0) / 2)} s of quota for ${(fba.length + 1).toLocaleString('en')} FBA positions, the seed's one included; the report's generation time at Amazon, minutes, is not modelled by the emulator).
`;
    writeSection(join(here, 'RESULTS.md'), 'Reconciliation: by SKU', body);
    process.stdout.write(body);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
