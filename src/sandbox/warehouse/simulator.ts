/**
 * A warehouse on the other side of a partner's directories, for the demo, the tests, the crash
 * test and the benches: it plays any partner of the mappings by that partner's own layouts.
 *
 * The directories are those of the gateway's `--partner-root DIR`: under <root>/<partner id>,
 * the partner file's `outbound` is where Dockgate writes ship orders (the simulator takes them
 * from there) and `inbound` is where Dockgate reads the warehouse's files (the simulator writes
 * there). Each cycle (`step`):
 *   1. puts down files built in an earlier cycle that a crash kept from being written;
 *   2. takes each ship-order file (X12 940, CSV or XML by the partner's ship-order layout),
 *      answers an X12 partner's with a 997 (accept, reject a share of sets, or never), holds
 *      each new order with stock set aside for it, applies changes and cancels;
 *   3. ships each order whose time has come: a shipment advice by the partner's layout, with
 *      packages and tracking numbers of a carrier the partner's carrier table maps (optionally
 *      part of a line now and the rest later, or two packages);
 *   4. on its schedule, a full inventory count per seller, stock lowered by what it shipped;
 *   5. saves its state, writes the files (temporary name, then rename) and moves the files it
 *      took to <root>/<partner>/.simulator/processed, as a WMS import job does (the gateway's
 *      not-picked-up check sees them gone).
 * Everything drawn at random comes from a generator seeded by `seed` and saved with the state,
 * so a run is the same for the same seed and inputs, and a restarted simulator carries on.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import pino, { type Logger } from 'pino';
import type { Mappings } from '../../mapping/load.ts';
import { skuIndex, type SkuIndex } from '../../mapping/resolve.ts';
import type { PartnerFile } from '../../mapping/schema.ts';
import { readPartnerDocuments, translator, writePartner, type InboundDocument, type Translator } from '../../mapping/translate.ts';
import type { CanonicalDocument, InventorySnapshot, ShipmentAdvice, ShipOrder } from '../../model/index.ts';
import { buildAcknowledgements, parseAcknowledgement, summarizeAck } from '../../x12/ack/index.ts';
import { diagnostic } from '../../x12/diagnostics.ts';
import type { FileResult } from '../../x12/result.ts';
import { validateFile } from '../../x12/validate-file.ts';
import { sendInterchange } from '../../x12/writer.ts';
import { DirectoryTransport } from '../../transport/directory.ts';
import { TransportError } from '../../transport/transport.ts';
import { chooseCarrier, trackingNumber, WarehouseSetupError } from './carriers.ts';
import { corruptSsccs, fbaAsn, fbaCartons, fbaOf, type FbaFaults, type HeldFba } from './fba.ts';
import { receiveArrivals, type ArrivalReceived, type ReceivingResult } from './receiving.ts';
import { loadState, Random, saveState, stateControlNumbers, type HeldLine, type HeldOrder, type OutboxFile, type WarehouseState } from './state.ts';

export { WarehouseSetupError } from './carriers.ts';

export type AckMode = 'accept' | 'reject' | 'none';

export interface WarehouseClock {
  now(): Date;
  /** Wait; an aborted signal ends the wait early. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realWarehouseClock: WarehouseClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface WarehouseOptions {
  mappings: Mappings;
  partner: string;
  /** The same DIR as the gateway's --partner-root: the partner's directories are under DIR/<partner id>. */
  root: string;
  /** X12 partners: answer every ship-order group with a 997 (accept), reject a share of its sets, or never answer. Default accept. */
  ack?: AckMode;
  /** With ack reject: the share of sets rejected (AK5 R with an AK3/AK4 reason). Default 1. */
  rejectShare?: number;
  /**
   * X12 partners, whatever `ack` says: the set carrying one of these order ids is rejected the
   * first time it arrives (a deterministic rejection for demos and tests; sent again, it is taken).
   */
  rejectOrders?: string[];
  /** X12 partners: minutes from taking a ship-order file to putting its 997 down (a late acknowledgement). Default 0. */
  ackDelayMinutes?: number;
  /** Seconds from taking an order to its shipment advice (and from a partial advice to the rest). Default 60. */
  shipAfterSeconds?: number;
  /** Share of orders shipped in two advices: part of a line first, the rest one ship-after later. Default 0. */
  partialShare?: number;
  /** Share of orders shipped in two packages. Default 0. */
  splitShare?: number;
  /** Seconds between inventory counts (0: never). Default 3600; the first comes with the first cycle. */
  inventoryEverySeconds?: number;
  /** Units of each warehouse item of each seller's SKU table at the start. Default 10000. */
  stock?: number;
  /** Seed of everything drawn at random. Default 1. */
  seed?: number;
  /** run(): seconds between cycles. Default 5. */
  pollSeconds?: number;
  clock?: WarehouseClock;
  log?: Logger;
  /** FBA replenishments (./fba.ts): cartons left out of the paperwork, an SSCC with a wrong check digit. Default none. */
  fbaFaults?: FbaFaults;
  /** FBA replenishments: also write an 856 of the cartons (default: when the partner lists inbound-asn as in). */
  fbaAsn?: boolean;
}

/** What one cycle did, for tests, benches and the CLI's summary line. */
export interface StepReport {
  taken: string[];
  written: Array<{ name: string; kind: OutboxFile['kind'] }>;
  ordersReceived: string[];
  rejectedSets: string[];
  cancelled: string[];
  shipped: Array<{ orderId: string; packages: Array<{ trackingNumber: string; carrierScac: string }>; final: boolean }>;
  snapshots: string[];
  problems: string[];
}

/** Most documents put in one advice file. */
const MAX_ADVICES_PER_FILE = 200;
const PARTIAL_REASON = 'PARTIAL SHIPMENT - BALANCE TO FOLLOW';
const SHORT_REASON = 'OUT OF STOCK';
export const PROCESSED_DIR = '/.simulator/processed';

export class WarehouseSimulator {
  readonly partner: PartnerFile;
  readonly options: Required<Omit<WarehouseOptions, 'mappings' | 'partner' | 'root' | 'clock' | 'log' | 'rejectOrders' | 'fbaFaults' | 'fbaAsn'>>;
  private readonly fbaFaults: FbaFaults;
  /** The partner's 856 layout, when FBA cartons go as an 856 too; the 856s and SSCCs to corrupt of the cycle. */
  private readonly asns: Translator | null;
  private pendingAsns: CanonicalDocument[] = [];
  private badSsccs: string[] = [];
  private readonly rejectOrders: ReadonlySet<string>;
  /** <root>/<partner id>. */
  readonly dir: string;
  readonly stateFile: string;
  private readonly mappings: Mappings;
  private readonly shipOrders: Translator;
  private readonly advices: Translator;
  private readonly inventory: Translator | null;
  private readonly transport: DirectoryTransport;
  private readonly clock: WarehouseClock;
  private readonly log: Logger;
  private readonly indexes = new Map<string, SkuIndex>();
  private state: WarehouseState;
  private rng: Random;

  constructor(o: WarehouseOptions) {
    this.mappings = o.mappings;
    const partner = o.mappings.partners.get(o.partner);
    if (!partner) throw new WarehouseSetupError(`no partner '${o.partner}' in the mappings (${[...o.mappings.partners.keys()].join(', ') || 'none'})`);
    this.partner = partner;
    this.options = {
      ack: o.ack ?? 'accept',
      rejectShare: o.rejectShare ?? 1,
      ackDelayMinutes: o.ackDelayMinutes ?? 0,
      shipAfterSeconds: o.shipAfterSeconds ?? 60,
      partialShare: o.partialShare ?? 0,
      splitShare: o.splitShare ?? 0,
      inventoryEverySeconds: o.inventoryEverySeconds ?? 3600,
      stock: o.stock ?? 10_000,
      seed: o.seed ?? 1,
      pollSeconds: o.pollSeconds ?? 5,
    };
    this.rejectOrders = new Set(o.rejectOrders ?? []);
    for (const [k, v] of Object.entries(this.options)) {
      if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new WarehouseSetupError(`${k} must be a number of at least 0, not ${v}`);
    }
    for (const k of ['rejectShare', 'partialShare', 'splitShare'] as const) {
      if (this.options[k] > 1) throw new WarehouseSetupError(`${k} is a share between 0 and 1, not ${this.options[k]}`);
    }
    const dirOf = (d: DocumentDirection) => this.partner.documents[d.name]?.direction === d.direction;
    if (!dirOf({ name: 'ship-order', direction: 'out' })) throw new WarehouseSetupError(`partner ${partner.id} receives no ship orders (documents.ship-order with direction out)`);
    if (!dirOf({ name: 'shipment-advice', direction: 'in' })) throw new WarehouseSetupError(`partner ${partner.id} sends no shipment advice (documents.shipment-advice with direction in)`);
    this.shipOrders = translator(o.mappings, partner.id, 'ship-order');
    this.advices = translator(o.mappings, partner.id, 'shipment-advice');
    this.inventory = dirOf({ name: 'inventory', direction: 'in' }) ? translator(o.mappings, partner.id, 'inventory') : null;
    this.fbaFaults = o.fbaFaults ?? {};
    this.asns = (o.fbaAsn ?? true) && partner.documents['inbound-asn']?.direction === 'in' ? translator(o.mappings, partner.id, 'inbound-asn') : null;
    const dirs = partner.transport.directories;
    if (dirs.inbound.replace(/\/+$/, '') === dirs.outbound.replace(/\/+$/, '')) {
      throw new WarehouseSetupError(`partner ${partner.id} reads and writes one directory (${dirs.inbound}): the simulator would take its own files`);
    }
    this.dir = join(o.root, partner.id);
    this.stateFile = join(this.dir, '.simulator', 'state.json');
    this.transport = new DirectoryTransport(this.dir);
    this.clock = o.clock ?? realWarehouseClock;
    this.log = (o.log ?? pino({ level: 'silent' })).child({ component: 'warehouse-simulator', partner: partner.id });
    for (const seller of partner.sellers) this.indexes.set(seller, skuIndex(o.mappings, seller));
    this.state = loadState(this.stateFile, partner.id, this.options.seed);
    this.rng = new Random(this.state.rng);
    mkdirSync(join(this.dir, dirs.inbound), { recursive: true });
    mkdirSync(join(this.dir, dirs.outbound), { recursive: true });
    mkdirSync(join(this.dir, PROCESSED_DIR), { recursive: true });
    for (const seller of partner.sellers) this.stockOf(seller);
  }

  /** The partner's directories, as paths on this machine. */
  get directories(): { outbound: string; inbound: string; processed: string } {
    const d = this.partner.transport.directories;
    return { outbound: join(this.dir, d.outbound), inbound: join(this.dir, d.inbound), processed: join(this.dir, PROCESSED_DIR) };
  }

  /** What the simulator holds: counters, orders not yet fully shipped, finished orders, stock. */
  status(): { counters: WarehouseState['counters']; held: string[]; finished: WarehouseState['finished']; stock: WarehouseState['stock']; control: WarehouseState['control'] } {
    const s = structuredClone(this.state);
    return { counters: s.counters, held: Object.keys(s.orders).sort(), finished: s.finished, stock: s.stock, control: s.control };
  }

  /** One cycle at `now` (default: the clock's). */
  async step(now: Date = this.clock.now()): Promise<StepReport> {
    const report: StepReport = { taken: [], written: [], ordersReceived: [], rejectedSets: [], cancelled: [], shipped: [], snapshots: [], problems: [] };
    // Files a crash kept from being written, and files taken but not moved: finish those first.
    if (this.state.outbox.some((f) => due(f, now)) || Object.values(this.state.taken).some((t) => !t.moved)) await this.flush(report, now);
    const outbound = this.partner.transport.directories.outbound;
    const listed = await this.transport.list(outbound);
    for (const f of listed) {
      // Hidden names are files still being written (the gateway's temporary names) or not ours to take.
      if (f.name.startsWith('.') || f.name.endsWith('.part') || f.name.endsWith('.tmp')) continue;
      await this.take(f.name, now, report);
    }
    this.shipDue(now, report);
    this.countInventory(now, report);
    // An idle cycle changes nothing: the state file is not rewritten (the idle bench stays flat).
    // (997s held back for later do not count: they were saved when they were built.)
    const changed = report.taken.length > 0 || report.problems.length > 0 || report.shipped.length > 0 || this.state.outbox.some((f) => due(f, now)) || this.rng.state !== this.state.rng;
    if (!changed) return report;
    this.state.rng = this.rng.state;
    saveState(this.stateFile, this.state);
    await this.flush(report, now);
    return report;
  }

  /**
   * Receive stock sent back (removal orders, customer returns) as the dock tells it, and put the
   * partner's receipt document down now (src/sandbox/warehouse/receiving.ts).
   */
  async receiveReturns(arrivals: ArrivalReceived[], now: Date = this.clock.now()): Promise<ReceivingResult & { written: StepReport['written'] }> {
    const report: StepReport = { taken: [], written: [], ordersReceived: [], rejectedSets: [], cancelled: [], shipped: [], snapshots: [], problems: [] };
    const r = receiveArrivals({ mappings: this.mappings, partner: this.partner, state: this.state, stockOf: (seller) => this.stockOf(seller) }, arrivals, now);
    for (const f of r.files) this.queue(f, report);
    await this.flush(report, now);
    return { ...r, written: report.written };
  }

  /** Cycles every pollSeconds until the signal aborts. A failed cycle is logged and the next one tries again. */
  async run(signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      try {
        const r = await this.step(this.clock.now());
        if (r.taken.length || r.written.length) this.log.info({ taken: r.taken.length, written: r.written.length, shipped: r.shipped.length }, 'cycle');
      } catch (e) {
        if (e instanceof WarehouseSetupError) throw e;
        this.log.error({ err: e }, 'cycle failed; trying again next cycle');
        // The state in memory may be ahead of the file: start the next cycle from what was saved.
        this.state = loadState(this.stateFile, this.partner.id, this.options.seed);
        this.rng = new Random(this.state.rng);
      }
      if (signal?.aborted) break;
      await this.clock.sleep(this.options.pollSeconds * 1000, signal);
    }
  }

  // ------------------------------------------------------------------ taking files

  private async take(name: string, now: Date, report: StepReport): Promise<void> {
    const outbound = this.partner.transport.directories.outbound;
    let bytes: Buffer;
    try {
      bytes = await readAll(await this.transport.read(outbound, name));
    } catch (e) {
      // Gone between the listing and the read (another taker): nothing to do.
      if (e instanceof TransportError && e.kind === 'not-found') return;
      throw e;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const prior = this.state.taken[name];
    if (prior && prior.sha256 === sha256) {
      if (!prior.moved) return;
      // The same file delivered again (a gateway retry after a crash): a WMS imports a file once.
      this.log.warn({ file: name }, 'the same file was delivered again; not imported twice');
      report.problems.push(`${name}: delivered again with the same bytes, not imported twice`);
      this.state.taken[`${name}#${this.state.fileSeq + 1}`] = { sha256, moved: false, at: now.toISOString() };
      this.state.fileSeq++;
      return;
    }
    this.state.taken[name] = { sha256, moved: false, at: now.toISOString() };
    this.state.counters.filesTaken++;
    report.taken.push(name);
    if (this.shipOrders.layout.format === 'x12') await this.takeX12(name, bytes, now, report);
    else await this.takeDocuments(name, bytes, new Set(), now, report);
  }

  private async takeX12(name: string, bytes: Buffer, now: Date, report: StepReport): Promise<void> {
    /** Per set control number: its first segment after ST, for the reason a rejection gives. */
    const firsts = new Map<string, { id: string; value: string }>();
    /** Sets carrying an order id of the rejectOrders option, not rejected before: set control -> order id. */
    const chosen = new Map<string, string>();
    const rejectedBefore = new Set(this.state.rejectedOrders ?? []);
    const acks: string[] = [];
    const result: FileResult = await validateFile(bytes, {
      file: name,
      onSet: (set) => {
        if (set.id === '997' || set.id === '999') {
          acks.push(...summarizeAck(parseAcknowledgement(set)));
          return;
        }
        const first = set.segments[1];
        if (first) firsts.set(set.control, { id: first.id, value: first.element(1) });
        if (this.rejectOrders.size === 0) return;
        // Wherever the layout puts the order id: any element that is one of the listed ids.
        for (const seg of set.segments) {
          for (let i = 1; i <= seg.elementCount; i++) {
            const v = seg.element(i);
            if (this.rejectOrders.has(v) && !rejectedBefore.has(v)) {
              chosen.set(set.control, v);
              return;
            }
          }
        }
      },
    });
    if (acks.length) {
      // The gateway's 997 for a file of ours.
      this.state.counters.acknowledgementsReceived++;
      this.log.info({ file: name, acknowledgement: acks }, 'acknowledgement received');
    }
    const orderGroups = result.interchanges.flatMap((ic) => ic.groups).filter((g) => g.header.functionalId !== 'FA');
    if (orderGroups.length === 0) {
      if (!acks.length) {
        this.state.counters.unreadableFiles++;
        report.problems.push(`${name}: no ship-order group in the file`);
        this.log.warn({ file: name }, 'no ship-order group in the file');
      }
      return;
    }
    const rejected = new Set<string>();
    for (const g of orderGroups) {
      for (const set of g.sets) {
        if (set.diagnostics.some((d) => d.level === 'error')) {
          rejected.add(set.control);
          continue;
        }
        const listed = chosen.get(set.control);
        if (listed) {
          this.state.rejectedOrders = [...(this.state.rejectedOrders ?? []), listed];
          this.log.info({ file: name, set: set.control, orderId: listed }, 'set rejected: its order is one of rejectOrders');
        } else if (this.options.ack !== 'reject' || !this.rng.chance(this.options.rejectShare)) continue;
        rejected.add(set.control);
        // A reason as a WMS gives one: the set's first segment, its first element refused.
        const first = firsts.get(set.control) ?? { id: 'ST', value: set.id };
        const where = { set: set.control, setId: set.id, segmentId: first.id, segmentPosition: 2, element: 1 };
        set.diagnostics.push(
          diagnostic('segment.has-element-errors', `${first.id} refused by the simulated warehouse`, where),
          diagnostic('element.invalid-code', `${first.id}01 refused by the simulated warehouse`, where, { found: first.value }),
          diagnostic('st.segments-in-error', `set ${set.control} refused by the simulated warehouse`, { set: set.control, setId: set.id }),
        );
      }
    }
    for (const control of rejected) report.rejectedSets.push(`${name} ${control}`);
    this.state.counters.setsRejected += rejected.size;
    if (this.options.ack !== 'none') this.acknowledge(result, now, report);
    await this.takeDocuments(name, bytes, rejected, now, report);
  }

  private acknowledge(result: FileResult, now: Date, report: StepReport): void {
    const x = this.partner.x12;
    if (!x) return;
    const plan = buildAcknowledgements(result);
    const sep = (c: string) => c.charCodeAt(0);
    for (const ic of plan.interchanges) {
      const sent = sendInterchange(ic, {
        partner: this.partner.id,
        controlNumbers: stateControlNumbers(this.state),
        now,
        separators: { element: sep(x.separators.element), component: sep(x.separators.component), segment: sep(x.separators.segment), repetition: sep(x.separators.repetition), suffix: x.separators.newline ? '\n' : '' },
      });
      const delay = this.options.ackDelayMinutes * 60_000;
      this.queue({ name: this.x12Name('997', sent.controlNumbers.isa13), kind: 'acknowledgement', bytes: sent.bytes.toString('base64'), ...(delay > 0 && { notBefore: new Date(now.getTime() + delay).toISOString() }) }, report);
      this.state.counters.acknowledgementsWritten++;
    }
    for (const note of plan.notes) this.log.info({ note }, 'acknowledgement note');
  }

  /** Read the file's documents; those of sets in `rejected` are refused, not imported. */
  private async takeDocuments(name: string, bytes: Buffer, rejected: Set<string>, now: Date, report: StepReport): Promise<void> {
    const read = async (seller?: string) => {
      const docs: InboundDocument[] = [];
      const problems: string[] = [];
      for await (const e of readPartnerDocuments(this.shipOrders, bytes, { file: name, seller })) {
        if (e.type === 'document') docs.push(e.document);
        else problems.push(`${e.problem.where}: ${e.problem.message}`);
      }
      return { docs, problems };
    };
    const { docs, problems } = await read();
    for (const p of problems) {
      report.problems.push(`${name}: ${p}`);
      this.log.warn({ file: name, problem: p }, 'ship-order file problem');
    }
    if (problems.length) this.state.counters.unreadableFiles++;
    // An order whose items several sellers' tables know: the warehouse knows its client; try each.
    if (docs.some((d) => d.status === 'held' && d.exceptions.some((x) => x.code === 'unknown-seller'))) {
      for (const seller of this.partner.sellers) {
        const again = await read(seller);
        docs.forEach((d, i) => {
          if (d.status === 'held' && again.docs[i]?.status === 'ok') docs[i] = again.docs[i];
        });
      }
    }
    for (const d of docs) {
      const control = /^set \S+ (\S+)/.exec(d.where)?.[1];
      if (control && rejected.has(control)) {
        this.log.info({ file: name, where: d.where }, 'set rejected in the 997: order not imported');
        continue;
      }
      if (d.status !== 'ok' || d.document?.kind !== 'ShipOrder') {
        const why = [...d.problems.map((p) => p.message), ...d.exceptions.map((x) => x.message)].join('; ');
        report.problems.push(`${name} ${d.where}: ${d.status}: ${why}`);
        this.log.warn({ file: name, where: d.where, status: d.status, why }, 'ship order not imported');
        continue;
      }
      this.receive(d.document as ShipOrder, name, now, report);
    }
  }

  // ------------------------------------------------------------------ orders

  private receive(order: ShipOrder, file: string, now: Date, report: StepReport): void {
    const held = this.state.orders[order.orderId];
    const finished = this.state.finished[order.orderId];
    const fields = { orderId: order.orderId, seller: order.seller, file, purpose: order.purpose };
    if (order.purpose === 'cancel') {
      if (held && held.lines.every((l) => l.shipped === 0)) {
        this.release(held);
        delete this.state.orders[order.orderId];
        this.state.finished[order.orderId] = 'cancelled';
        this.state.counters.cancels++;
        report.cancelled.push(order.orderId);
        this.log.info(fields, 'order cancelled before shipping');
      } else if (held) {
        // Part of it left already: what has not shipped is not sent.
        this.release(held);
        delete this.state.orders[order.orderId];
        this.state.finished[order.orderId] = 'shipped';
        this.state.counters.cancels++;
        report.cancelled.push(order.orderId);
        this.log.info(fields, 'order cancelled after a partial shipment: the balance is not shipped');
      } else this.log.warn({ ...fields, state: finished ?? 'unknown' }, 'cancel for an order not held: too late or never received');
      return;
    }
    if (order.purpose === 'change' && held) {
      if (held.lines.some((l) => l.shipped > 0)) {
        this.log.warn(fields, 'change for an order already partly shipped: not applied');
        return;
      }
      this.release(held);
      this.state.orders[order.orderId] = this.hold(order, file, now, held);
      this.log.info(fields, 'order changed before shipping');
      return;
    }
    if (held || finished) {
      this.state.counters.duplicateOrders++;
      report.problems.push(`${file}: order ${order.orderId} received before (${held ? 'held' : finished}); not imported again`);
      this.log.warn({ ...fields, state: held ? 'held' : finished }, 'order received again: not imported twice');
      return;
    }
    this.state.counters.ordersReceived++;
    report.ordersReceived.push(order.orderId);
    const h = this.hold(order, file, now);
    if (h.lines.every((l) => l.allocated === 0)) {
      this.state.finished[order.orderId] = 'unfillable';
      report.problems.push(`order ${order.orderId}: no stock for any line`);
      this.log.warn(fields, 'no stock for any line of the order: not shipped');
      return;
    }
    this.state.orders[order.orderId] = h;
    this.log.info({ ...fields, shipAt: h.shipAt, partial: h.partial, split: h.split, carrier: h.carrier.scac }, 'order received');
  }

  private hold(order: ShipOrder, file: string, now: Date, before?: HeldOrder): HeldOrder {
    const lines: HeldLine[] = order.lines.map((l) => ({ lineNumber: l.lineNumber, sellerSku: l.sellerSku, ...(l.orderItemId && { orderItemId: l.orderItemId }), quantity: l.quantity, allocated: 0, shipped: 0 }));
    for (const l of lines) this.allocate(order.seller, l);
    const warehouseOrderId = before?.warehouseOrderId ?? `SO${String(++this.state.orderSeq).padStart(7, '0')}`;
    const carrier = chooseCarrier(this.mappings, this.partner, order.carrier, this.rng);
    const partial = before?.partial ?? this.rng.chance(this.options.partialShare);
    const split = before?.split ?? this.rng.chance(this.options.splitShare);
    const fba = fbaOf(order);
    const held: HeldOrder & { fba?: HeldFba } = {
      orderId: order.orderId,
      seller: order.seller,
      marketplaceId: order.marketplaceId,
      warehouseOrderId,
      file,
      receivedAt: now.toISOString(),
      // A change does not put the order back in the queue: it ships when it was going to.
      shipAt: before?.shipAt ?? new Date(now.getTime() + this.options.shipAfterSeconds * 1000).toISOString(),
      lines,
      carrier,
      partial,
      split,
      advices: 0,
    };
    // An FBA replenishment ships whole, in the cartons Amazon expects (./fba.ts).
    if (fba) Object.assign(held, { fba, partial: false, split: false });
    return held;
  }

  /** Warehouse items and units of each for one unit of a seller SKU. */
  private components(seller: string, sellerSku: string): Array<{ warehouseItem: string; per: number }> {
    const item = this.indexes.get(seller)?.bySellerSku.get(sellerSku);
    if (!item) return [];
    if (item.kit) return item.kit.map((p) => ({ warehouseItem: p.warehouseItem, per: p.quantity }));
    return [{ warehouseItem: item.warehouseItem!, per: item.packSize }];
  }

  private stockOf(seller: string): Record<string, { onHand: number; allocated: number }> {
    let s = this.state.stock[seller];
    if (!s) {
      s = this.state.stock[seller] = {};
      const index = this.indexes.get(seller) ?? skuIndex(this.mappings, seller);
      for (const item of index.table.items) {
        for (const w of item.kit ? item.kit.map((p) => p.warehouseItem) : [item.warehouseItem!]) s[w] ??= { onHand: this.options.stock, allocated: 0 };
      }
    }
    return s;
  }

  /** Set stock aside for a line: whole seller units, as many as there are. */
  private allocate(seller: string, line: HeldLine): void {
    const stock = this.stockOf(seller);
    const parts = this.components(seller, line.sellerSku);
    if (parts.length === 0) return;
    let units = line.quantity - line.allocated;
    for (const p of parts) {
      const c = (stock[p.warehouseItem] ??= { onHand: 0, allocated: 0 });
      units = Math.min(units, Math.floor((c.onHand - c.allocated) / p.per));
    }
    units = Math.max(0, units);
    for (const p of parts) stock[p.warehouseItem].allocated += units * p.per;
    line.allocated += units;
  }

  /** Give back what was set aside and not shipped. */
  private release(order: HeldOrder): void {
    const stock = this.stockOf(order.seller);
    for (const l of order.lines) {
      const left = l.allocated - l.shipped;
      for (const p of this.components(order.seller, l.sellerSku)) stock[p.warehouseItem].allocated -= left * p.per;
      l.allocated = l.shipped;
    }
  }

  // ------------------------------------------------------------------ shipping

  private shipDue(now: Date, report: StepReport): void {
    const due = Object.values(this.state.orders)
      .filter((o) => Date.parse(o.shipAt) <= now.getTime())
      .sort((a, b) => a.shipAt.localeCompare(b.shipAt) || a.orderId.localeCompare(b.orderId));
    const docs: CanonicalDocument[] = [];
    for (const o of due) docs.push(this.ship(o, now, report));
    // The badSsccCheckDigit fault: applied to the written bytes (the model refuses such an SSCC).
    const bad = this.badSsccs.splice(0);
    const corrupt = bad.length ? (b: Buffer) => corruptSsccs(b, bad) : undefined;
    for (let i = 0; i < docs.length; i += MAX_ADVICES_PER_FILE) this.writeDocuments(this.advices, docs.slice(i, i + MAX_ADVICES_PER_FILE), 'shipment-advice', now, report, corrupt);
    const asns = this.pendingAsns.splice(0);
    if (this.asns) for (let i = 0; i < asns.length; i += MAX_ADVICES_PER_FILE) this.writeDocuments(this.asns, asns.slice(i, i + MAX_ADVICES_PER_FILE), 'shipment-advice', now, report, corrupt);
  }

  private ship(o: HeldOrder, now: Date, report: StepReport): ShipmentAdvice {
    const now_ = o.lines.map((l) => l.allocated - l.shipped);
    let more = false;
    if (o.partial && o.advices === 0) {
      const i = now_.findIndex((n) => n >= 2);
      if (i >= 0) {
        now_[i] = Math.floor(now_[i] / 2);
        more = true;
      }
    }
    const shipping = o.lines.map((line, i) => ({ line, units: now_[i] })).filter((x) => x.units > 0);
    // Packages: one, or two (the lines shared out, or one line's units halved).
    let packages: Array<Array<{ line: HeldLine; units: number }>> = [shipping];
    if (o.split && shipping.length >= 2) {
      const half = Math.ceil(shipping.length / 2);
      packages = [shipping.slice(0, half), shipping.slice(half)];
    } else if (o.split && shipping.length === 1 && shipping[0].units >= 2) {
      const first = Math.floor(shipping[0].units / 2);
      packages = [[{ line: shipping[0].line, units: first }], [{ line: shipping[0].line, units: shipping[0].units - first }]];
    }
    const shippedAt = DateTime.fromJSDate(now, { zone: this.partner.timeZone }).startOf('minute').toISO({ suppressMilliseconds: true })!;
    const stock = this.stockOf(o.seller);
    const fba = (o as HeldOrder & { fba?: HeldFba }).fba;
    const pkgs: ShipmentAdvice['packages'] = fba ? this.fbaPackages(o, fba, shipping) : packages.map((content, i) => {
      const seq = ++this.state.packageSeq;
      const lines = content.flatMap(({ line, units }) =>
        this.components(o.seller, line.sellerSku).map((p) => ({ sellerSku: line.sellerSku, warehouseItem: p.warehouseItem, ...(line.orderItemId && { orderItemId: line.orderItemId }), quantity: units * p.per })),
      );
      return {
        packageId: String(i + 1),
        carrierScac: o.carrier.scac,
        ...(o.carrier.service && { carrierService: o.carrier.service }),
        trackingNumber: trackingNumber(o.carrier, seq, this.state.trackingBase),
        lines,
      };
    });
    // The per-item summary: what was still to ship of each line, and what ships now.
    const summary = new Map<string, ShipmentAdvice['lines'][number]>();
    o.lines.forEach((line, i) => {
      if (now_[i] <= 0) return;
      for (const p of this.components(o.seller, line.sellerSku)) {
        const s = summary.get(p.warehouseItem) ?? { sellerSku: line.sellerSku, warehouseItem: p.warehouseItem, ...(line.orderItemId && { orderItemId: line.orderItemId }), ordered: 0, shipped: 0 };
        s.ordered += (line.quantity - line.shipped) * p.per;
        s.shipped += now_[i] * p.per;
        summary.set(p.warehouseItem, s);
      }
    });
    // FBA: what the paperwork says went (a carton left out of it is not in the lines either).
    if (fba) for (const s of summary.values()) s.shipped = pkgs.reduce((n, p) => n + p.lines.filter((l) => l.warehouseItem === s.warehouseItem).reduce((m, l) => m + l.quantity, 0), 0);
    for (const s of summary.values()) if (s.shipped < s.ordered) s.shortReason = more ? PARTIAL_REASON : SHORT_REASON;
    // Out of the stock: what ships leaves the shelf and its allocation.
    o.lines.forEach((line, i) => {
      for (const p of this.components(o.seller, line.sellerSku)) {
        stock[p.warehouseItem].onHand -= now_[i] * p.per;
        stock[p.warehouseItem].allocated -= now_[i] * p.per;
        this.state.counters.unitsShipped += now_[i] * p.per;
      }
      line.shipped += now_[i];
    });
    o.advices++;
    this.state.adviceSeq++;
    this.state.counters.packagesShipped += pkgs.length;
    report.shipped.push({ orderId: o.orderId, packages: pkgs.map((p) => ({ trackingNumber: p.trackingNumber, carrierScac: p.carrierScac! })), final: !more });
    this.log.info({ orderId: o.orderId, seller: o.seller, packages: pkgs.length, trackingNumbers: pkgs.map((p) => p.trackingNumber), final: !more }, 'order shipped');
    if (more) o.shipAt = new Date(now.getTime() + this.options.shipAfterSeconds * 1000).toISOString();
    else {
      delete this.state.orders[o.orderId];
      this.state.finished[o.orderId] = 'shipped';
    }
    const advice: ShipmentAdvice = {
      kind: 'ShipmentAdvice',
      orderId: o.orderId,
      seller: o.seller,
      marketplaceId: o.marketplaceId,
      warehouseOrderId: o.warehouseOrderId,
      shipmentId: `SHP${String(this.state.adviceSeq).padStart(7, '0')}`,
      shippedAt,
      packages: pkgs,
      lines: [...summary.values()],
    };
    if (fba && this.asns) this.pendingAsns.push(fbaAsn(fba, advice));
    return advice;
  }

  /** An FBA order's cartons (./fba.ts): one package per box, its label id, SSCC and tracking number. */
  private fbaPackages(o: HeldOrder, fba: HeldFba, shipping: Array<{ line: HeldLine; units: number }>): ShipmentAdvice['packages'] {
    const going = shipping.map(({ line, units }) => ({ sellerSku: line.sellerSku, ...(line.orderItemId && { orderItemId: line.orderItemId }), units, components: this.components(o.seller, line.sellerSku) }));
    const next = () => {
      const seq = ++this.state.packageSeq;
      return { serial: seq, trackingNumber: trackingNumber(o.carrier, seq, this.state.trackingBase) };
    };
    const { packages, dropped } = fbaCartons(fba, going, o.carrier, next, this.fbaFaults);
    if (dropped.length) this.log.warn({ orderId: o.orderId, dropped }, 'fault: carton left out of the paperwork');
    if (this.fbaFaults.badSsccCheckDigit && packages[0]?.sscc) this.badSsccs.push(packages[0].sscc);
    return packages;
  }

  // ------------------------------------------------------------------ inventory

  private countInventory(now: Date, report: StepReport): void {
    const every = this.options.inventoryEverySeconds;
    if (!this.inventory || every <= 0) return;
    if (this.state.lastInventoryAt && now.getTime() - Date.parse(this.state.lastInventoryAt) < every * 1000) return;
    this.state.lastInventoryAt = now.toISOString();
    const asOf = DateTime.fromJSDate(now, { zone: this.partner.timeZone }).startOf('minute').toISO({ suppressMilliseconds: true })!;
    // Counts that already take off what is set aside for orders, unless the partner says its counts are on-hand.
    const onHand = this.partner.inventory?.semantics === 'on-hand';
    const state = this.partner.stockStates.sellable[0];
    for (const seller of this.partner.sellers) {
      const stock = this.stockOf(seller);
      const items = Object.keys(stock)
        .sort()
        .map((w) => ({ warehouseItem: w, state, quantity: Math.max(0, onHand ? stock[w].onHand : stock[w].onHand - stock[w].allocated) }));
      const snapshot: InventorySnapshot = { kind: 'InventorySnapshot', warehouse: this.partner.id.toUpperCase(), seller, asOf, scope: 'full', items };
      const name = this.writeDocuments(this.inventory, [snapshot], 'inventory', now, report);
      if (name) report.snapshots.push(name);
    }
  }

  // ------------------------------------------------------------------ files

  /** Write documents as one partner file into the outbox; the file's name. */
  private writeDocuments(t: Translator, docs: CanonicalDocument[], kind: 'shipment-advice' | 'inventory', now: Date, report: StepReport, transform?: (bytes: Buffer) => Buffer): string | null {
    if (docs.length === 0) return null;
    const w = writePartner(t, docs, { controlNumbers: stateControlNumbers(this.state), now });
    const refused = w.documents.filter((d) => d.status !== 'ok');
    if (refused.length || !w.bytes) {
      // The simulator builds documents from the mappings it plays by: one they refuse is a bug here.
      const why = refused.flatMap((d) => [...d.problems.map((p) => p.message), ...d.exceptions.map((x) => x.message)]).join('; ');
      throw new Error(`the ${t.layout.id} layout refused what the simulator wrote: ${why}`);
    }
    const name =
      t.layout.format === 'x12'
        ? this.x12Name(t.layout.set, w.isa13!)
        : `${kind === 'inventory' ? 'inventory' : 'shipments'}_${String(++this.state.fileSeq).padStart(6, '0')}.${t.layout.format}`;
    this.queue({ name, kind, bytes: (transform ? transform(w.bytes) : w.bytes).toString('base64') }, report);
    if (kind === 'inventory') this.state.counters.snapshotsWritten++;
    else this.state.counters.advicesWritten += docs.length;
    return name;
  }

  private x12Name(set: string, isa13: number): string {
    this.state.fileSeq++;
    return `${this.partner.id.toUpperCase()}_${set}_${String(isa13).padStart(9, '0')}.edi`;
  }

  private queue(file: OutboxFile, _report: StepReport): void {
    this.state.outbox.push(file);
  }

  /** Put down the outbox files that are due and move the taken files away; then save. Safe to repeat after a crash. */
  private async flush(report: StepReport, now: Date): Promise<void> {
    const inbound = this.partner.transport.directories.inbound;
    const later = this.state.outbox.filter((f) => !due(f, now));
    for (const f of this.state.outbox.filter((x) => due(x, now))) {
      const bytes = Buffer.from(f.bytes, 'base64');
      try {
        await this.transport.put(inbound, f.name, bytes);
      } catch (e) {
        if (!(e instanceof TransportError && e.kind === 'exists')) throw e;
        // Written before a crash kept the state from saying so; anything else under the name is not ours.
        const there = await readAll(await this.transport.read(inbound, f.name)).catch(() => null);
        if (!there || !there.equals(bytes)) throw new Error(`${join(this.dir, inbound, f.name)} is there with other bytes: the simulator's files and the partner directory disagree`);
      }
      report.written.push({ name: f.name, kind: f.kind });
      this.log.info({ file: f.name, kind: f.kind }, 'file written');
    }
    this.state.outbox = later;
    const outbound = this.partner.transport.directories.outbound;
    for (const [key, t] of Object.entries(this.state.taken)) {
      if (t.moved) continue;
      const name = key.replace(/#\d+$/, '');
      let target = name;
      for (let n = 1; existsSync(join(this.dir, PROCESSED_DIR, target)); n++) target = `${name}.dup${n}`;
      try {
        await this.transport.move(outbound, name, PROCESSED_DIR, target);
      } catch (e) {
        if (!(e instanceof TransportError && e.kind === 'not-found')) throw e;
      }
      t.moved = true;
    }
    this.state.rng = this.rng.state;
    saveState(this.stateFile, this.state);
  }
}

/** A file of the outbox whose time has come (a late 997 waits for its notBefore). */
function due(f: OutboxFile, now: Date): boolean {
  return !f.notBefore || Date.parse(f.notBefore) <= now.getTime();
}

interface DocumentDirection {
  name: 'ship-order' | 'shipment-advice' | 'inventory';
  direction: 'in' | 'out';
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}
