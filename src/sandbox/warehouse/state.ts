/**
 * What the warehouse simulator remembers between cycles and across restarts, kept in one JSON
 * file under <root>/<partner>/.simulator/: its own X12 control numbers (so a restart never
 * reuses an ISA13), its file counter, the orders it holds and has finished, its stock, the
 * files it has taken, the files it built but has not yet put down (an outbox, so a crash
 * between building a file and writing it neither loses the file nor draws new numbers for
 * it), and the state of its random generator (so a run is the same for the same --seed).
 *
 * Written to a temporary name, synced and renamed: a crash leaves the old state or the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ControlNumberKind, ControlNumberSource } from '../../x12/outbound.ts';

export const STATE_VERSION = 1;

/** A state file that cannot be used: written by something else, or damaged. */
export class WarehouseStateError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'WarehouseStateError';
  }
}

/** One line of an order as the seller sold it (kits and packs whole), with what the warehouse set aside for it. */
export interface HeldLine {
  lineNumber: number;
  sellerSku: string;
  orderItemId?: string;
  /** Ordered, in the seller's units. */
  quantity: number;
  /** Units set aside from stock for this line (less than ordered when stock ran short). */
  allocated: number;
  /** Units already advised as shipped. */
  shipped: number;
}

export interface HeldOrder {
  orderId: string;
  seller: string;
  marketplaceId: string;
  /** The warehouse's own order number (945 W06-04, Cascade's ShipmentNumber). */
  warehouseOrderId: string;
  /** The file the order (its latest revision) came in. */
  file: string;
  receivedAt: string;
  /** When the next advice for it is due. */
  shipAt: string;
  lines: HeldLine[];
  carrier: { scac: string; service?: string; carrierCode: string };
  /** Decided when the order arrived: ship part of a line now and the rest in a second advice. */
  partial: boolean;
  /** Decided when the order arrived: put the order in two packages. */
  split: boolean;
  advices: number;
}

export type FinishedState = 'shipped' | 'cancelled' | 'rejected' | 'unfillable';

/** A file built and not yet put down; the bytes are base64 so the state stays plain JSON. */
export interface OutboxFile {
  name: string;
  kind: 'acknowledgement' | 'shipment-advice' | 'inventory' | 'receipt';
  bytes: string;
  /** Not put down before this time (ISO 8601): a 997 answered late (the ackDelayMinutes option). */
  notBefore?: string;
}

export interface StockCount {
  onHand: number;
  /** Set aside for orders received and not yet shipped. */
  allocated: number;
}

export interface WarehouseCounters {
  filesTaken: number;
  ordersReceived: number;
  duplicateOrders: number;
  setsRejected: number;
  cancels: number;
  advicesWritten: number;
  packagesShipped: number;
  unitsShipped: number;
  snapshotsWritten: number;
  acknowledgementsWritten: number;
  /** 997s the gateway sent back for our files. */
  acknowledgementsReceived: number;
  unreadableFiles: number;
}

export interface WarehouseState {
  version: number;
  partner: string;
  seed: number;
  /** mulberry32 state. */
  rng: number;
  /** Mixed into tracking numbers so that two seeds do not draw the same ones. */
  trackingBase: number;
  /** The last control number used, per kind. */
  control: Record<ControlNumberKind, number>;
  fileSeq: number;
  orderSeq: number;
  packageSeq: number;
  adviceSeq: number;
  lastInventoryAt: string | null;
  orders: Record<string, HeldOrder>;
  finished: Record<string, FinishedState>;
  /** Files taken from the gateway's outbound directory: name -> sha256 and whether it has been moved away. */
  taken: Record<string, { sha256: string; moved: boolean; at: string }>;
  outbox: OutboxFile[];
  /** seller -> warehouse item -> count. */
  stock: Record<string, Record<string, StockCount>>;
  counters: WarehouseCounters;
  /** Order ids of the rejectOrders option whose set was rejected once already (sent again, it is taken). */
  rejectedOrders?: string[];
}

export function newState(partner: string, seed: number): WarehouseState {
  const rng = new Random(seed >>> 0 || 1);
  const trackingBase = Math.floor(rng.next() * 1_000_000);
  return {
    version: STATE_VERSION,
    partner,
    seed,
    rng: rng.state,
    trackingBase,
    control: { ISA13: 0, GS06: 0, ST02: 0 },
    fileSeq: 0,
    orderSeq: 0,
    packageSeq: 0,
    adviceSeq: 0,
    lastInventoryAt: null,
    orders: {},
    finished: {},
    taken: {},
    outbox: [],
    stock: {},
    counters: {
      filesTaken: 0,
      ordersReceived: 0,
      duplicateOrders: 0,
      setsRejected: 0,
      cancels: 0,
      advicesWritten: 0,
      packagesShipped: 0,
      unitsShipped: 0,
      snapshotsWritten: 0,
      acknowledgementsWritten: 0,
      acknowledgementsReceived: 0,
      unreadableFiles: 0,
    },
  };
}

export function loadState(file: string, partner: string, seed: number): WarehouseState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return newState(partner, seed);
    throw new WarehouseStateError(`cannot read the simulator state: ${(e as Error).message}`, file);
  }
  let state: WarehouseState;
  try {
    state = JSON.parse(text) as WarehouseState;
  } catch (e) {
    throw new WarehouseStateError(`the simulator state is not JSON (${(e as Error).message}): move it away to start afresh`, file);
  }
  if (state?.version !== STATE_VERSION) throw new WarehouseStateError(`the simulator state has version ${String(state?.version)}, this simulator writes ${STATE_VERSION}`, file);
  if (state.partner !== partner) throw new WarehouseStateError(`the simulator state is partner ${state.partner}'s, not ${partner}'s`, file);
  return state;
}

export function saveState(file: string, state: WarehouseState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.part`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** Control numbers from the state: each kind counts up and is saved with the state. */
export function stateControlNumbers(state: WarehouseState): ControlNumberSource {
  return {
    next(_partner, kind) {
      // ISA13 and GS06 are 9 digits; ST02 4-9. Wrapping is years away at any real rate.
      state.control[kind] = (state.control[kind] % 999_999_999) + 1;
      return state.control[kind];
    },
  };
}

/** mulberry32: small, fast, and its whole state is one number that fits in the state file. */
export class Random {
  constructor(public state: number) {}

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** true with probability p (never for 0, always for 1). */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}
