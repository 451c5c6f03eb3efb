/**
 * `dockgate reconcile inventory | orders`: the daily reconciliations run by hand, the same
 * flow as the scheduled `reconcile:<seller>` task (exceptions raised and resolved, the run
 * stored for the API and the dashboard).
 *
 * Output: a table by default, --json (the rows and the run's facts) or --csv (a header row, one
 * row per SKU / order). --sort COLUMN (or -COLUMN) orders the rows.
 * Exit codes: 0 nothing found (no drift / no order stuck), 1 drift or a stuck order found (or a
 * seller's run failed), 2 usage or configuration errors.
 */
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../config/config.ts';
import type { GatewayFlags } from '../gateway/config.ts';
import { printable } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';
import { requireDataDir, requireInputDir } from './user-paths.ts';

const out = (text: string) => process.stdout.write(text);

interface CommonOptions extends GatewayFlags {
  seller?: string;
  json?: boolean;
  csv?: boolean;
  sort?: string;
}

function addGatewayOptions(c: Command): Command {
  return c
    .option('--seller <id>', 'one seller (default: every seller of the mappings, or gateway.sellers)')
    .option('--json', 'JSON output')
    .option('--csv', 'CSV output (a header row, then one row each)')
    .option('--sort <column>', 'order the rows by a column; -column for descending')
    .option('--mappings <dir>', 'the mappings folder (env DOCKGATE_MAPPINGS; gateway.mappings; default ./mappings)')
    .option('--amazon-endpoint <url>', "http://host:port every seller's SP-API calls go to, e.g. dockgate sandbox amazon (env DOCKGATE_AMAZON_ENDPOINT)")
    .option('--amazon-time-scale <x>', "the emulator's --time-scale (env DOCKGATE_AMAZON_TIME_SCALE); refused against Amazon's own hosts");
}

async function openContext(opts: CommonOptions, cmd: Command) {
  const [{ resolveGatewayConfig }, { buildGatewayContext, gatewayLogger }, { loadMappings, formatProblem }] = await Promise.all([
    import('../gateway/config.ts'),
    import('../gateway/context.ts'),
    import('../mapping/load.ts'),
  ]);
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: one output at a time');
  const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
  const config = resolveGatewayConfig(loaded, { mappings: opts.mappings, amazonEndpoint: opts.amazonEndpoint, amazonTimeScale: opts.amazonTimeScale });
  requireInputDir(config.mappingsDir, 'mappings folder (--mappings, DOCKGATE_MAPPINGS or gateway.mappings)');
  requireDataDir(config.dataDir);
  const { mappings, problems } = loadMappings(config.mappingsDir);
  for (const p of problems.slice(0, 5)) process.stderr.write(`dockgate: warning: ${formatProblem(p)}\n`);
  if (opts.seller && !mappings.sellers.has(opts.seller)) throw new UsageError(`no seller '${printable(opts.seller)}' in ${config.mappingsDir} (one of: ${[...mappings.sellers.keys()].join(', ')})`);
  const sellers = opts.seller ? [opts.seller] : (config.sellers ?? [...mappings.sellers.keys()]).filter((s) => mappings.sellers.has(s)).sort();
  const log = gatewayLogger({ destination: process.stderr, level: process.env.DOCKGATE_LOG_LEVEL ?? 'warn' });
  const built = await buildGatewayContext(config, { mappings, log });
  return { ...built, sellers };
}

/** Columns of a plain-text table, each padded to its widest value. */
function table(headers: string[], rows: Array<Array<string | number | boolean | null>>): string {
  const text = rows.map((r) => r.map((v) => printable(v === null ? '-' : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return `${[line(headers), ...text.map(line)].join('\n')}\n`;
}

const csv = (headers: string[], rows: Array<Array<string | number | boolean | null>>) => stringify([headers, ...rows.map((r) => r.map((v) => (v === null ? '' : v)))], { record_delimiter: '\r\n' });

function checkSort(sort: string | undefined, columns: readonly string[]): void {
  if (sort && !columns.includes(sort.replace(/^-/, ''))) throw new UsageError(`--sort takes one of ${columns.join(', ')} (or -column), not ${JSON.stringify(printable(sort))}`);
}

export function registerReconcileCommands(program: Command): void {
  const reconcile = program
    .command('reconcile')
    .description('the daily reconciliations by hand: by-SKU inventory (warehouse, Dockgate, Amazon) and orders stuck on their way')
    .addHelpText('after', '\nExit codes: 0 nothing found, 1 drift / a stuck order found (or a seller failed), 2 usage or configuration errors.');

  addGatewayOptions(
    reconcile
      .command('inventory')
      .description("every SKU: the warehouse's sellable quantity (after buffers, packs and kits), what Dockgate last published, what Amazon shows (MFN quantity from the merchant listings report; FBA fulfillable beside it, never fed); inventory-drift beyond gateway.reconcileToleranceUnits"),
  ).action(async (opts: CommonOptions, cmd: Command) => {
    const { SORTABLE_COLUMNS, CSV_COLUMNS } = await import('../reconciliation/by-sku.ts');
    checkSort(opts.sort, SORTABLE_COLUMNS);
    const { reconcileInventory } = await import('../flows/reconciliation.ts');
    const c = await openContext(opts, cmd);
    let found = 0;
    let failed = 0;
    try {
      const { sortRows } = await import('../reconciliation/by-sku.ts');
      const runs: Array<{ seller: string; generatedAt: string; rows: Awaited<ReturnType<typeof reconcileInventory>>['report']['rows']; raised: number; resolved: number }> = [];
      for (const seller of c.sellers) {
        try {
          const run = await reconcileInventory(c.ctx, seller);
          found += run.drift.length;
          runs.push({ seller, generatedAt: run.report.generatedAt, rows: run.report.rows, raised: run.raised, resolved: run.resolved });
        } catch (e) {
          failed++;
          process.stderr.write(`dockgate: ${printable(`reconcile inventory ${seller}: ${(e as Error).message}`)}\n`);
        }
      }
      // Sorted as asked, over every seller's rows at once (the same order as the API's).
      const rows = sortRows(
        runs.flatMap((r) => r.rows),
        opts.sort,
      );
      if (opts.json) out(`${JSON.stringify({ generatedAt: c.ctx.clock.now().toISOString(), toleranceUnits: c.ctx.settings.reconcileToleranceUnits, sellers: runs.map(({ rows: _rows, ...r }) => ({ ...r, skus: _rows.length, drift: _rows.filter((x) => x.status === 'drift').length })), drift: found, rows }, null, 2)}\n`);
      else if (opts.csv) out(csv(CSV_COLUMNS.map((x) => x.header), rows.map((r) => CSV_COLUMNS.map((x) => x.value(r)))));
      else {
        out(
          table(
            ['seller', 'sku', 'status', 'expected', 'accepted', 'amazon', 'fulfillable', 'drift', 'moved last', 'at'],
            rows.map((r) => [r.seller, r.sku, r.status, r.expected, r.amazonAccepted, r.amazonQuantity, r.amazonFulfillable, r.driftUnits, r.movedLast, r.movedAt ?? (r.movedLast === 'amazon' ? `after ${r.acceptedAt}` : null)]),
          ),
        );
        out(`${rows.length} SKU(s), ${found} with drift beyond ${c.ctx.settings.reconcileToleranceUnits} unit(s)${failed ? `, ${failed} seller(s) failed` : ''}\n`);
      }
    } finally {
      await c.close();
    }
    process.exitCode = found || failed ? 1 : 0;
  });

  addGatewayOptions(
    reconcile
      .command('orders')
      .description('every Amazon MFN order of the window against its ship order, acknowledgement, shipment advice and confirmation; orders stuck at a step past its window (order-stuck); an Amazon search of the window finds orders Dockgate never saw')
      .option('--since <time>', 'the window: an ISO 8601 time, or a span back from now like 7d, 48h, 90m (default: gateway.firstLookbackDays)'),
  ).action(async (opts: CommonOptions & { since?: string }, cmd: Command) => {
    const { ORDER_CSV_COLUMNS, ORDER_SORTABLE_COLUMNS, parseSince, sortOrderRows } = await import('../reconciliation/orders.ts');
    checkSort(opts.sort, ORDER_SORTABLE_COLUMNS);
    let since: string | undefined;
    if (opts.since !== undefined) {
      try {
        since = parseSince(opts.since, new Date());
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const { reconcileOrdersRun } = await import('../flows/reconciliation.ts');
    const c = await openContext(opts, cmd);
    let found = 0;
    let failed = 0;
    try {
      const runs: Array<Awaited<ReturnType<typeof reconcileOrdersRun>>> = [];
      for (const seller of c.sellers) {
        try {
          const run = await reconcileOrdersRun(c.ctx, seller, { since });
          found += run.stuck.length;
          runs.push(run);
        } catch (e) {
          failed++;
          process.stderr.write(`dockgate: ${printable(`reconcile orders ${seller}: ${(e as Error).message}`)}\n`);
        }
      }
      const rows = sortOrderRows(
        runs.flatMap((r) => r.report.rows),
        opts.sort,
      );
      if (opts.json) out(`${JSON.stringify({ generatedAt: c.ctx.clock.now().toISOString(), sellers: runs.map((r) => ({ seller: r.report.seller, since: r.report.since, amazonSearched: r.report.amazonSearched, orders: r.report.rows.length, stuck: r.stuck.length, raised: r.raised, resolved: r.resolved })), stuck: found, rows }, null, 2)}\n`);
      else if (opts.csv) out(csv(ORDER_CSV_COLUMNS.map((x) => x.header), rows.map((r) => ORDER_CSV_COLUMNS.map((x) => x.value(r)))));
      else {
        out(table(['seller', 'order', 'stuck', 'step', 'since', 'due', 'state', 'amazon', 'reason'], rows.map((r) => [r.seller, r.orderId, r.stuck ? 'STUCK' : '', r.step, r.since, r.dueAt, r.state ?? 'never seen', r.amazonStatus, r.reason])));
        out(`${rows.length} order(s), ${found} stuck${failed ? `, ${failed} seller(s) failed` : ''}\n`);
      }
    } finally {
      await c.close();
    }
    process.exitCode = found || failed ? 1 : 0;
  });
}
