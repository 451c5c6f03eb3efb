/**
 * The demo's story: the real gateway (every flow, the outbox worker, the checks) against the
 * SP-API emulator and a simulated warehouse for each example partner, on one clock that is moved
 * from step to step rather than waited for. What happens and when:
 *
 *   T+0    the gateway's first cycle: Amazon's unshipped MFN orders in; ship orders out to Reno
 *          (X12 940) and Cascade (CSV); an unmapped SKU held; an order near its ship-by flagged
 *   T+5    the warehouses take their files and count their stock (846, inventory CSV)
 *   T+10   the buyer cancels an order the warehouse already holds; the gateway sends the cancel
 *          and publishes the counted quantities; T+12 the warehouse takes the cancel
 *   T+75   no 997 within Reno's 60-minute window: ack-overdue
 *   T+95   Reno's late 997 (one set rejected); T+96 the gateway reads it: the overdue clears
 *   T+110  the warehouses ship (945, shipments CSV) and count again; T+111 the gateway confirms
 *          the packages to Amazon and publishes the new quantities; T+112 the checks once more
 *
 * Alongside: the seller's FBA replenishment (ready to ship on Amazon) goes to Reno in the first
 * cycle as a 940 carrying its Amazon Shipment ID, Reno ships its boxes at T+110 (945 and 856),
 * and the gateway gives Amazon the tracking at T+111; the removal and returns reports are read
 * in the first cycle, Reno's dock receives the returned stock at T+12 (one line it cannot tie to
 * anything Amazon sent), and the gateway matches the 944 at T+75; at the end someone edits two
 * listings in Seller Central (offsetting: the totals still match) and the reconciliations run.
 *
 * The numbers (delays, windows, which order is rejected or cancelled) are the scenario's and the
 * mappings'; the minutes above follow from them and are checked when the story starts.
 * Everything the gateway logs goes to <demo folder>/gateway.log, the terminal gets the progress.
 */
import { cpSync, createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../../config/config.ts';
import { flows } from '../../flows/index.ts';
import { resolveGatewayConfig } from '../../gateway/config.ts';
import { gatewayLogger } from '../../gateway/context.ts';
import type { OnceResult } from '../../gateway/gateway.ts';
import { listMessages, type MessageSummary } from '../../gateway/messages.ts';
import { prepareGateway, type Prepared } from '../../gateway/start.ts';
import { AmazonEmulator } from '../../sandbox/amazon/emulator.ts';
import { loadRelativeSeed } from '../../sandbox/amazon/seed-relative.ts';
import { WarehouseSimulator, type StepReport } from '../../sandbox/warehouse/index.ts';
import type { ExceptionRecord, GatewayStore } from '../../store/work.ts';
import { reconcileInventory, reconcileOrdersRun } from '../../flows/reconciliation.ts';
import type { ScenarioT } from './scenario-file.ts';
import { StoryClock } from './story-clock.ts';
import { shownPath } from './paths.ts';

const MAPPINGS = fileURLToPath(new URL('../../../mappings/', import.meta.url));

/** The example sellers' credentials for the emulator (it takes any well-formed LWA values; the seed names these refresh tokens). */
export const DEMO_CREDENTIALS: Record<string, string> = {
  ACME_LWA_CLIENT_ID: 'amzn1.application-oa2-client.demo',
  ACME_LWA_CLIENT_SECRET: 'demo-secret',
  ACME_LWA_REFRESH_TOKEN: 'Atzr|acme-sandbox-refresh-token',
  NORTHWIND_LWA_CLIENT_ID: 'amzn1.application-oa2-client.demo',
  NORTHWIND_LWA_CLIENT_SECRET: 'demo-secret',
  NORTHWIND_LWA_REFRESH_TOKEN: 'Atzr|northwind-sandbox-refresh-token',
};

/** The emulator's quotas and the adapter's run this much faster than Amazon's published rates. */
const TIME_SCALE = 1000;

export const STEPS = 9;

/** The story's minutes; checked against the scenario's numbers in checkTimeline. */
const AT = { firstCycle: 0, warehousesTake: 5, cancel: 10, cancelTaken: 12, overdue: 75, lateAck: 95, ackRead: 96, ship: 110, confirm: 111, checks: 112 } as const;

/** A step's line: "3/7 ..." and indented detail lines under it. */
export type Progress = (step: number, title: string, details?: string[]) => void;

export interface Story {
  demoDir: string;
  logFile: string;
  mappingsDir: string;
  partnerRoot: string;
  envFile: string;
  clock: StoryClock;
  emulator: AmazonEmulator;
  emulatorUrl: string;
  prepared: Prepared;
  store: GatewayStore;
  log: Logger;
  env: NodeJS.ProcessEnv;
  simulators: Map<string, WarehouseSimulator>;
  scenario: ScenarioT;
  /** What went as the story did not plan, one line each (empty: as designed). */
  unexpected: string[];
  /** What each step observed, for the summary. */
  facts: StoryFacts;
  close(): Promise<void>;
}

export interface LateAck {
  file: string;
  partner: string;
  dueAt: string;
  acknowledgedAt: string;
  minutesLate: number;
}

/** The files we sent whose acknowledgement came after its due time. */
export async function lateAcknowledgements(store: GatewayStore): Promise<LateAck[]> {
  const late: LateAck[] = [];
  for (const m of await listMessages(store, { flow: 'orders', limit: 1000 })) {
    const a = m.axes;
    if (m.direction !== 'out' || !a?.acknowledgedAt || !a.ackDueAt || a.acknowledgedAt <= a.ackDueAt) continue;
    late.push({ file: m.fileName ?? `message ${m.id}`, partner: m.partner ?? '?', dueAt: a.ackDueAt, acknowledgedAt: a.acknowledgedAt, minutesLate: Math.round((Date.parse(a.acknowledgedAt) - Date.parse(a.ackDueAt)) / minute) });
  }
  return late.sort((x, y) => x.dueAt.localeCompare(y.dueAt));
}

export interface StoryFacts {
  /** The late 997s as the story read them at T+96 (the summary reads them again at the end). */
  lateAcks: LateAck[];
  overdueRaised: ExceptionRecord[];
  rejectedSets: string[];
  cancelledAtWarehouse: string[];
  /** What Reno's dock received (step 7) and the SKUs edited on Amazon (step 8). */
  returnsReceived: number;
  editedOnAmazon: string[];
  driftFound: string[];
}

/**
 * What Reno's dock receives at T+12, for acme: 3 of the removal order's 5 units by its id, the
 * customer return by its license plate number (damaged: not sellable), and a carton with only a
 * tracking number that Amazon never reported (unmatched: the gateway lists the removal order,
 * still 2 units short, as the best candidate; `exceptions resolve ID --match RMV-5120-0042`).
 */
const RETURNS_ARRIVING = [
  { seller: 'acme', removalOrderId: 'RMV-5120-0042', sellerSku: 'TSHIRT-RED-M-FBA', quantity: 3, condition: 'sellable' as const },
  { seller: 'acme', lpn: 'LPN7770001234', sellerSku: 'TSHIRT-RED-M-FBA', quantity: 1, condition: 'customer-damaged' as const },
  { seller: 'acme', trackingNumber: '1Z999AA10187654399', sellerSku: 'TSHIRT-RED-M-FBA', quantity: 2, condition: 'sellable' as const },
];

/** The Seller Central edits of step 8: one listing up, one down by as much (offsetting: a total would not show it). */
const EDITED_ON_AMAZON: Array<{ seller: string; sku: string; by: number }> = [
  { seller: 'acme', sku: 'TSHIRT-RED-M', by: 4 },
  { seller: 'acme', sku: 'MUG-12OZ-WHT', by: -4 },
];

const minute = 60_000;

/** The minutes of the story must fit the scenario: a late 997 after the window and before the story reads it, shipping after the acknowledgements. */
function checkTimeline(scenario: ScenarioT, windowMinutes: number | null): string[] {
  const problems: string[] = [];
  for (const [id, w] of Object.entries(scenario.warehouses)) {
    if (w.ackDelayMinutes > 0) {
      if (windowMinutes === null) problems.push(`${id}: ackDelayMinutes is set but the partner asks for no acknowledgements`);
      else if (AT.warehousesTake + w.ackDelayMinutes <= windowMinutes) problems.push(`${id}: a 997 ${w.ackDelayMinutes} minutes after T+${AT.warehousesTake} is within the ${windowMinutes}-minute window: not late`);
      else if (AT.cancelTaken + w.ackDelayMinutes > AT.ship) problems.push(`${id}: ackDelayMinutes ${w.ackDelayMinutes} puts the last 997 after the story's T+${AT.ship}`);
    }
    if (AT.warehousesTake + w.shipAfterMinutes <= AT.cancelTaken) problems.push(`${id}: shipAfterMinutes ${w.shipAfterMinutes} ships before the cancel at T+${AT.cancelTaken} arrives`);
    if (AT.warehousesTake + w.shipAfterMinutes > AT.ship) problems.push(`${id}: shipAfterMinutes ${w.shipAfterMinutes} ships after the story's T+${AT.ship}`);
  }
  return problems;
}

/**
 * The simulated warehouses of the scenario over the partner root; `live`: at the pace of the
 * scenario's live section (the dashboard is up: answers in seconds, not story minutes). A new
 * simulator over the same root carries on where the last one stopped (its state file).
 */
export function simulatorsFor(scenario: ScenarioT, on: { mappings: Prepared['mappings']; root: string; clock: StoryClock; log: Logger }, live: boolean): Map<string, WarehouseSimulator> {
  const simulators = new Map<string, WarehouseSimulator>();
  for (const [id, w] of Object.entries(scenario.warehouses)) {
    const pace = live
      ? { ackDelayMinutes: scenario.live.ackDelayMinutes, shipAfterSeconds: scenario.live.shipAfterSeconds, inventoryEverySeconds: scenario.live.inventoryEverySeconds }
      : { ackDelayMinutes: w.ackDelayMinutes, shipAfterSeconds: w.shipAfterMinutes * 60, inventoryEverySeconds: w.inventoryEveryMinutes * 60 };
    simulators.set(
      id,
      new WarehouseSimulator({ mappings: on.mappings, partner: id, root: on.root, ...pace, rejectOrders: w.rejectOrders, stock: w.stock, seed: 1, pollSeconds: scenario.live.pollSeconds, clock: on.clock, log: on.log }),
    );
  }
  return simulators;
}

export interface StoryOptions {
  loaded: LoadedConfig;
  scenario: ScenarioT;
  progress: Progress;
  /** A plain line before the steps (where the demo's files are). */
  say: (line: string) => void;
  /** Where the demo's own folder goes (default: a new demo-<time> folder in the data directory). */
  demoDir?: string;
}

export async function tellStory(o: StoryOptions): Promise<Story> {
  const { loaded, scenario, progress } = o;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const demoDir = o.demoDir ?? join(loaded.dataDir, `demo-${stamp}`);
  mkdirSync(demoDir, { recursive: true });
  // The demo's own mappings: mappings/ with the scenario's files over it (Northwind's orders to Cascade).
  const mappingsDir = join(demoDir, 'mappings');
  cpSync(MAPPINGS, mappingsDir, { recursive: true });
  cpSync(scenario.mappingsOverlay, mappingsDir, { recursive: true, force: true });
  const partnerRoot = join(demoDir, 'partners');
  const logFile = join(demoDir, 'gateway.log');
  const logStream: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const log = gatewayLogger({ level: 'info', destination: logStream });

  const start = new Date(Math.floor(Date.now() / minute) * minute - scenario.startMinutesAgo * minute);
  const clock = new StoryClock(start);
  const emulator = new AmazonEmulator({ seed: loadRelativeSeed(scenario.seedFile, start), timeScale: TIME_SCALE, orderClock: clock });
  const port = await emulator.start();
  const emulatorUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...DEMO_CREDENTIALS };
  // In this order: the gateway (its last log lines), the emulator, then the log file.
  const closers: Array<() => Promise<void>> = [() => emulator.stop(), () => new Promise<void>((r) => logStream.end(r))];
  const close = async () => {
    for (const c of closers.splice(0)) await c().catch(() => undefined);
  };
  try {
    const config = resolveGatewayConfig({ ...loaded, dataDir: demoDir }, { mappings: mappingsDir, partnerRoot, amazonEndpoint: emulatorUrl, amazonTimeScale: String(TIME_SCALE) }, {});
    // The simulator renames each file into place; the second look of the completeness check runs on the story's clock anyway.
    config.settings.secondLookMs = 1000;
    // Once live (the dashboard up), every poll every 10 s: a retried order reaches the warehouse while one watches.
    config.schedules.pollSeconds = 10;
    const prepared = await prepareGateway(config, flows, { log, clock, env });
    closers.unshift(() => prepared.built.close());
    const store = prepared.built.ctx.store;
    const { mappings } = prepared;
    const reno = mappings.partners.get('reno-wms');
    const windowMinutes = reno?.acks?.required ? (reno.acks.withinMinutes ?? 60) : null;
    const timeline = checkTimeline(scenario, windowMinutes);
    if (timeline.length) throw new Error(`${scenario.file}: ${timeline.join('; ')}`);

    const simulators = simulatorsFor(scenario, { mappings, root: partnerRoot, clock, log }, false);
    const envFile = join(demoDir, 'demo.env');
    writeFileSync(
      envFile,
      `# The demo's gateway settings, for commands that act (exceptions retry, messages resend) while the demo runs:\n#   set -a; . ${envFile}; set +a\n${Object.entries({ DOCKGATE_DATA_DIR: demoDir, DOCKGATE_MAPPINGS: mappingsDir, DOCKGATE_PARTNER_ROOT: partnerRoot, DOCKGATE_AMAZON_ENDPOINT: emulatorUrl, DOCKGATE_AMAZON_TIME_SCALE: String(TIME_SCALE), ...DEMO_CREDENTIALS })
        .map(([k, v]) => `${k}='${v}'`)
        .join('\n')}\n`,
    );

    o.say(`Demo folder: ${shownPath(demoDir)} (the store, the partners' directories, the demo's mappings; the gateway's JSON log is gateway.log there)\n`);
    const unexpected: string[] = [];
    const facts: StoryFacts = { lateAcks: [], overdueRaised: [], rejectedSets: [], cancelledAtWarehouse: [], returnsReceived: 0, editedOnAmazon: [], driftFound: [] };
    const story: Story = { demoDir, logFile, mappingsDir, partnerRoot, envFile, clock, emulator, emulatorUrl, prepared, store, log, env, simulators, scenario, unexpected, facts, close };

    const cycle = async (at: number): Promise<OnceResult> => {
      clock.at(at);
      const r = await prepared.gateway.runOnce();
      for (const f of r.failures) unexpected.push(`gateway cycle at T+${at} min: ${f}`);
      return r;
    };
    const warehouses = async (at: number): Promise<Map<string, StepReport>> => {
      clock.at(at);
      const reports = new Map<string, StepReport>();
      for (const [id, sim] of simulators) {
        const r = await sim.step(clock.now());
        for (const p of r.problems) unexpected.push(`${id} (simulated) at T+${at} min: ${p}`);
        reports.set(id, r);
      }
      return reports;
    };
    const outFiles = async (partner: string, after: Set<number>): Promise<MessageSummary[]> =>
      (await listMessages(store, { partner, flow: 'orders', limit: 1000 })).filter((m) => m.direction === 'out' && !after.has(m.id)).sort((a, b) => a.id - b.id);
    const clockTime = (iso: string) => iso.slice(11, 16);
    const open = async (kind: ExceptionRecord['kind']) => store.work.exceptions.list({ kind, states: ['open', 'acknowledged'] });

    // ------------------------------------------------------------ 1. Amazon's orders in
    const mfn = (seller: string) => emulator.orders(seller).filter((x) => x.fulfilledBy === 'MERCHANT');
    const sellers = [...new Set(emulator.orders().map((x) => x.seller))];
    await cycle(AT.firstCycle);
    const counted = sellers.map((s) => `${mfn(s).filter((x) => x.status === 'UNSHIPPED').length} for ${s}`);
    const cancelledBefore = sellers.flatMap((s) => mfn(s).filter((x) => x.status === 'CANCELLED').map((x) => `${s} ${x.orderId}`));
    const held = await open('unmapped-sku');
    const late = await open('order-late');
    progress(1, `Amazon (SP-API emulator at ${emulatorUrl}): unshipped MFN orders ${counted.join(', ')}`, [
      ...(cancelledBefore.length ? [`cancelled by the buyer before the gateway saw it (never sent): ${cancelledBefore.join(', ')}`] : []),
      ...held.map((x) => `held, not sent: ${x.seller} order ${x.refs.join(' ')}: ${x.message} (unmapped-sku)`),
      ...late.map((x) => `flagged: ${x.seller} order ${x.key} is close to its ship-by time (order-late)`),
    ]);

    // ------------------------------------------------------------ 2. ship orders to the warehouses
    const seen = new Set<number>();
    const sentLines: string[] = [];
    for (const partner of simulators.keys()) {
      for (const m of await outFiles(partner, seen)) {
        seen.add(m.id);
        sentLines.push(`${partner}: ${m.sets.length ? `${[...new Set(m.sets)].join('/')} ` : ''}${m.fileName} sent (${m.orders.length} order(s): ${m.orders.map((x) => x.orderId).join(', ')})`);
      }
    }
    const fbaLines = (await store.work.fba.list({})).map((f) => `FBA replenishment ${f.shipmentId} (${f.seller}, plan ${f.planName ?? f.inboundPlanId}) to ${f.destinationFc}: ${f.state} to ${f.partner}, ${f.boxes.length} box(es), the Amazon Shipment ID in the order's primary reference and BOL`);
    const arrivals = await store.work.removals.listExpected({});
    const took = await warehouses(AT.warehousesTake);
    progress(2, 'Ship orders to the warehouses', [
      ...sentLines,
      ...fbaLines,
      ...(arrivals.length ? [`Amazon's removal and returns reports read: ${arrivals.map((a) => `${a.source} ${a.reference} ${a.sellerSku} x${a.expected}${a.lpn ? ` (LPN ${a.lpn})` : ''}`).join(', ')} expected back`] : []),
      ...[...took].map(
        ([id, r]) =>
          `${id} (simulated) took ${r.taken.length} file(s): ${r.ordersReceived.length} order(s) imported${r.rejectedSets.length ? `, ${r.rejectedSets.length} set(s) refused (its 997 will say so)` : ''}; counted its stock: ${r.written.filter((f) => f.kind === 'inventory').map((f) => f.name).join(', ') || 'no count'}`,
      ),
    ]);

    // ------------------------------------------------------------ 3. a cancellation after the warehouse has the order
    const cancelLines: string[] = [];
    clock.at(AT.cancel);
    for (const c of scenario.cancelAfterTaken) {
      emulator.cancelOrder(c.seller, c.orderId, { ...(c.reason && { reason: c.reason }) });
    }
    await cycle(AT.cancel);
    for (const partner of simulators.keys()) {
      for (const m of await outFiles(partner, seen)) {
        seen.add(m.id);
        cancelLines.push(`the gateway sent ${partner} ${m.fileName} for ${m.orders.map((x) => `${x.seller} ${x.orderId} (${x.state})`).join(', ')}`);
      }
    }
    clock.at(AT.cancelTaken);
    const renoDock = simulators.get('reno-wms');
    if (renoDock) {
      const dock = await renoDock.receiveReturns(RETURNS_ARRIVING, clock.now());
      facts.returnsReceived = dock.receipts.reduce((n, r) => n + r.lines, 0);
      cancelLines.push(`reno-wms (simulated) dock received stock back from Amazon: ${dock.receipts.map((r) => `${r.receiptId} (${r.lines} line(s)) in ${r.file}`).join(', ')}`);
    }
    const tookCancel = await warehouses(AT.cancelTaken);
    for (const [id, r] of [...took, ...tookCancel]) facts.rejectedSets.push(...r.rejectedSets.map((x) => `${id} ${x}`));
    for (const [id, r] of tookCancel) {
      facts.cancelledAtWarehouse.push(...r.cancelled);
      if (r.cancelled.length) cancelLines.push(`${id} (simulated) cancelled ${r.cancelled.join(', ')} before picking it`);
    }
    progress(3, `Cancellation: the buyer cancelled ${scenario.cancelAfterTaken.map((c) => `${c.seller} ${c.orderId}`).join(', ')} on Amazon after the warehouse had it`, cancelLines);

    // ------------------------------------------------------------ 4. acknowledgements: overdue, then late
    await cycle(AT.overdue);
    facts.overdueRaised = await open('ack-overdue');
    const ackLines = facts.overdueRaised.map((x) => `T+${AT.overdue} min: ${x.partner}: ${x.message} (ack-overdue)`);
    const answered = await warehouses(AT.lateAck);
    for (const [id, r] of answered) {
      const acks = r.written.filter((f) => f.kind === 'acknowledgement');
      if (acks.length) ackLines.push(`T+${AT.lateAck} min: ${id} (simulated) wrote ${acks.map((f) => f.name).join(', ')}, ${scenario.warehouses[id]?.ackDelayMinutes ?? 0} minutes after taking the 940`);
    }
    await cycle(AT.ackRead);
    const rejected = await open('ack-rejected');
    facts.lateAcks = await lateAcknowledgements(store);
    for (const l of facts.lateAcks) ackLines.push(`the 997 for ${l.file} came ${l.minutesLate} min after its due time (${clockTime(l.dueAt)} UTC): recorded as late, the ack-overdue cleared`);
    for (const x of rejected) ackLines.push(`rejected: ${x.message} (ack-rejected)`);
    const stillOverdue = await open('ack-overdue');
    if (stillOverdue.length) ackLines.push(`still overdue: ${stillOverdue.map((x) => x.key).join(', ')} (its 997 is not due from Reno yet)`);
    progress(4, 'Acknowledgements (997): Reno answers late, and refuses one set', ackLines);

    // ------------------------------------------------------------ 5. shipments -> confirmShipment
    const shipped = await warehouses(AT.ship);
    await cycle(AT.confirm);
    const shipLines = [...shipped].map(([id, r]) => {
      const acks = r.written.filter((f) => f.kind === 'acknowledgement');
      return `${id} (simulated) shipped ${r.shipped.length} order(s) (${r.written.filter((f) => f.kind === 'shipment-advice').map((f) => f.name).join(', ') || 'no advice'})${acks.length ? `; and the last late 997 (${acks.map((f) => f.name).join(', ')})` : ''}`;
    });
    for (const s of sellers) {
      const confirmed = mfn(s).filter((x) => x.confirmations.length > 0);
      shipLines.push(`Amazon: ${confirmed.length} ${s} order(s) confirmed shipped: ${confirmed.map((x) => `${x.orderId} (${x.confirmations.map((c) => `${c.carrierCode} ${c.trackingNumber}`).join(', ')})`).join(', ') || 'none'}`);
    }
    for (const s of sellers) {
      for (const f of emulator.inboundShipments(s).filter((x) => x.tracking)) {
        const record = await store.work.fba.get(s, f.confirmationId);
        shipLines.push(`Amazon: FBA shipment ${f.confirmationId} tracking given (${record?.state ?? 'not tracked'}): ${JSON.stringify(f.tracking)}`);
      }
    }
    progress(5, 'Shipments: the warehouses ship, the gateway confirms each package (and the FBA shipment\'s tracking) to Amazon', shipLines);

    // ------------------------------------------------------------ 6. inventory -> quantities
    const invLines = sellers.map((s) => {
      const published = emulator.listings(s).filter((l) => l.quantityUpdates > 0);
      return `Amazon ${s}: ${published.length ? published.map((l) => `${l.sku} ${l.mfnQuantity}`).join(', ') : 'no quantity published'}`;
    });
    progress(6, 'Inventory: the warehouses\' counts, less the safety buffers, published as MFN quantities', invLines);

    // ------------------------------------------------------------ 7. returns matched
    const returnLines: string[] = [];
    for (const a of await store.work.removals.listExpected({})) {
      returnLines.push(`${a.source} ${a.reference} ${a.sellerSku}: ${a.received} of ${a.expected} received (${a.state})`);
    }
    for (const p of await store.work.removals.postings({})) {
      returnLines.push(`receipt ${p.receiptId} line ${p.line + 1}: ${p.quantity} ${p.sellerSku ?? p.warehouseItem} ${p.condition} -> ${p.disposition}, ${p.state}${p.matchedBy ? ` by ${p.matchedBy}` : ''}`);
    }
    for (const x of await open('receipt-unmatched')) returnLines.push(`${x.message} (receipt-unmatched #${x.id}: dockgate exceptions resolve ${x.id} --match REF)`);
    progress(7, 'Returns: the removal order and the customer return matched to Reno\'s 944, only sellable units to stock', returnLines);

    // ------------------------------------------------------------ 8. reconciliation
    clock.at(AT.checks);
    for (const e of EDITED_ON_AMAZON) {
      const channel = emulator.seller(e.seller)?.listings.get(e.sku)?.channels.find((c) => c.code === 'DEFAULT');
      if (!channel || channel.quantity === undefined) {
        unexpected.push(`the story edits ${e.seller} ${e.sku} on Amazon, which has no MFN quantity there`);
        continue;
      }
      channel.quantity += e.by;
      facts.editedOnAmazon.push(`${e.sku} ${e.by > 0 ? '+' : ''}${e.by}`);
    }
    const reconLines = [`someone edits listings in Seller Central: ${facts.editedOnAmazon.join(', ')} (their total is unchanged)`];
    for (const s of sellers) {
      const inv = await reconcileInventory(prepared.built.ctx, s);
      facts.driftFound.push(...inv.drift.map((r) => `${s} ${r.sku}`));
      reconLines.push(`by SKU, ${s}: ${inv.report.rows.length} SKU(s), ${inv.drift.length} drifting${inv.drift.length ? `: ${inv.drift.map((r) => `${r.sku} ${r.driftUnits! > 0 ? '+' : ''}${r.driftUnits} (${r.movedNote ?? 'moved: not known'})`).join('; ')}` : ''}`);
      const ord = await reconcileOrdersRun(prepared.built.ctx, s);
      reconLines.push(`orders, ${s}: ${ord.report.rows.length} order(s), ${ord.stuck.length} stopped at a step${ord.stuck.length ? `: ${ord.stuck.map((r) => `${r.orderId} at ${r.step}`).join(', ')}` : ''}`);
    }
    progress(8, 'Reconciliation: warehouse, Dockgate and Amazon by SKU; every order against its steps', reconLines);

    // ------------------------------------------------------------ 9. checks
    await cycle(AT.checks);
    const all = await store.work.exceptions.list({ limit: 1000 });
    const byState = (s: string) => all.filter((x) => x.state === s).length;
    progress(9, `Checks (late orders, overdue acknowledgements, files not picked up, stale inventory, alerts): ${byState('open') + byState('acknowledged')} exception(s) open, ${byState('resolved')} resolved`);
    return story;
  } catch (e) {
    await close();
    throw e;
  }
}
