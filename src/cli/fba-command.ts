/**
 * `dockgate fba send | list`: FBA replenishments (src/flows/fba-replenishment.ts). `send` builds
 * a full context (mappings loaded now, the configured Amazon endpoint) and sends one inbound
 * shipment to its warehouse by hand, whatever its Amazon status except cancelled; `list` opens
 * the store read-only.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import type { FbaShipmentRecord, FbaShipmentState } from '../store/fba.ts';
import { FBA_SHIPMENT_STATES } from '../store/fba.ts';
import { wholeNumber } from './options.ts';
import { printable } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';
// The gateway's modules (flows, adapters, transports) load only in the actions that use them.
const commandContext = () => import('../gateway/command-context.ts');

const out = (text: string) => process.stdout.write(text);

function states(text: string | undefined): FbaShipmentState[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(FBA_SHIPMENT_STATES as readonly string[]).includes(s));
  if (bad !== undefined) throw new UsageError(`--state must be one (or a comma-separated list) of ${FBA_SHIPMENT_STATES.join(', ')}, not ${JSON.stringify(printable(bad))}`);
  return list as FbaShipmentState[];
}

function line(r: FbaShipmentRecord): string {
  const units = r.boxes.reduce((n, b) => n + b.items.reduce((m, i) => m + i.quantity, 0), 0);
  return printable(
    `${r.shipmentId.padEnd(15)} ${r.seller.padEnd(10)} ${r.state.padEnd(17)} ${(r.partner || '-').padEnd(12)} ${r.destinationFc.padEnd(5)} ${r.boxes.length} box(es) ${units} unit(s), Amazon ${r.amazonStatus}` +
      `${r.sentAt ? `, sent ${r.sentAt}` : ''}${r.shippedAt ? `, shipped ${r.shippedAt}` : ''}${r.exceptionId !== null ? `, exception ${r.exceptionId}` : ''}${r.planName ? ` (plan ${r.planName})` : ''}`,
  );
}

export function registerFbaCommands(program: Command): void {
  const fba = program.command('fba').description('FBA replenishment: inbound shipments sent from the warehouse to Amazon fulfilment centres');

  fba
    .command('send')
    .description('send one FBA inbound shipment to the warehouse now (any Amazon status but cancelled); sent already: says so')
    .requiredOption('--seller <id>', 'seller id')
    .requiredOption('--shipment <id>', 'the Amazon Shipment ID (shipmentConfirmationId, FBA...)')
    .option('--warehouse <partner>', "the partner to send it to (default: the seller's fba.plans / fba.warehouse / warehouse)")
    .option('--json', 'JSON output (the outcome and the record)')
    .action(async (opts: { seller: string; shipment: string; warehouse?: string; json?: boolean }, cmd: Command) => {
      if (!/^FBA[0-9A-Z]{6,12}$/.test(opts.shipment)) throw new UsageError(`--shipment must be an Amazon Shipment ID like FBA15ABCD1234, not ${JSON.stringify(printable(opts.shipment))}`);
      const c = await (await commandContext()).openCommandContext(loadConfig({ file: cmd.optsWithGlobals().config }));
      const { sendFbaShipment, FbaSendError } = await import('../flows/fba-replenishment.ts');
      try {
        if (!c.ctx.mappings.sellers.has(opts.seller)) throw new UsageError(`no seller ${JSON.stringify(printable(opts.seller))} in the mappings (${[...c.ctx.mappings.sellers.keys()].join(', ')})`);
        if (opts.warehouse !== undefined && !c.ctx.mappings.partners.has(opts.warehouse)) throw new UsageError(`--warehouse: no partner ${JSON.stringify(printable(opts.warehouse))} in the mappings (${[...c.ctx.mappings.partners.keys()].join(', ')})`);
        let r;
        try {
          r = await sendFbaShipment(c.ctx, opts.seller, opts.shipment, { ...(opts.warehouse && { warehouse: opts.warehouse }) });
        } catch (e) {
          if (e instanceof FbaSendError) throw new UsageError(e.message);
          throw e;
        }
        out(opts.json ? `${JSON.stringify({ outcome: r.outcome, message: r.message, record: r.record }, null, 2)}\n` : `${printable(r.message)}\n`);
        // Held: nothing went; the exception says what to fix (dockgate exceptions show ID).
        process.exitCode = r.outcome === 'held' || r.outcome === 'skipped' ? 1 : 0;
      } finally {
        await c.close();
      }
    });

  fba
    .command('list')
    .description('FBA inbound shipments Dockgate tracks, most recently changed first')
    .option('--seller <id>', 'seller id')
    .option('--partner <id>', 'partner (warehouse) id')
    .option('--state <states>', `comma-separated: ${FBA_SHIPMENT_STATES.join(', ')}`)
    .option('--limit <n>', 'how many', wholeNumber('--limit', { min: 1, max: 100_000 }), 100)
    .option('--json', 'JSON output')
    .action(async (opts: { seller?: string; partner?: string; state?: string; limit: number; json?: boolean }, cmd: Command) => {
      const st = states(opts.state);
      const store = (await commandContext()).openReadOnlyStore(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const rows = await store.work.fba.list({ seller: opts.seller, partner: opts.partner, states: st, limit: opts.limit });
        if (opts.json) out(`${JSON.stringify(rows, null, 2)}\n`);
        else out(rows.length ? `${rows.map(line).join('\n')}\n` : 'no FBA shipments match\n');
      } finally {
        await store.close();
      }
    });
}
