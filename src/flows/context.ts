/**
 * What every flow runs with: the mappings, the store, one Amazon adapter per seller, one
 * transport per partner, a clock, a logger and the gateway's settings. Flows take it as their
 * first argument; tests build it over real parts (test/flows/harness.ts), `dockgate start`
 * builds it from configuration (src/gateway).
 */
import type { Logger } from 'pino';
import type { AmazonAdapter } from '../amazon/index.ts';
import type { InboundDocument, DocumentName } from '../mapping/translate.ts';
import type { Mappings } from '../mapping/load.ts';
import type { GatewayMetrics } from '../metrics/registry.ts';
import type { ExceptionKind, ExceptionRecord, GatewayStore, InboundDocumentState, JobKind, JobRecord } from '../store/work.ts';
import type { Transport } from '../transport/transport.ts';

export interface GatewayClock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const realGatewayClock: GatewayClock = { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface GatewaySettings {
  /** An open order this close to its ship-by time without a confirmation is `order-late`. Default 120. */
  lateOrderLeadMinutes: number;
  /** No inventory snapshot from a partner for this long is `inventory-stale`. Default 1440 (a day). */
  inventoryFreshnessMinutes: number;
  /** More quantity changes than this for one seller go as one JSON_LISTINGS_FEED, fewer as patches. Default 20. */
  feedThreshold: number;
  /** Orders per ship-order file, at most (one set per order). Default 100. */
  ordersPerFile: number;
  /** Orders are searched from the last watermark minus this overlap (Amazon's clock and ours differ). Default 300. */
  ordersOverlapSeconds: number;
  /** The first search of a seller looks this far back. Default 7. */
  firstLookbackDays: number;
  /** A delivered file still on the partner's server after this is `not-picked-up` (default: the partner's acks window, else 60). */
  notPickedUpMinutes?: number;
  /** How often a SKU's channel (MFN / FBA) is looked up again. Default 24. */
  channelRefreshHours: number;
  /** A worker's lease on a job. Default 120 000. */
  leaseMs: number;
  /** The second look of the two-looks completeness check comes this long after the first. Default 3000. */
  secondLookMs: number;
  /** How often each seller's FBA inbound plans are read for shipments to send. Default 30. */
  fbaPollMinutes: number;
  /** An FBA shipment sent to the warehouse and not shipped this long after is `fba-not-shipped` (a seller's fba.shipWithinDays wins). Default 3. */
  fbaShipWithinDays: number;
  /** How often each seller's removal shipment and customer returns reports are pulled. Default 12. */
  removalReportHours: number;
  /** A removal Amazon shipped and the warehouse has not received this long after is `removal-overdue` (a seller's returns.overdueDays wins). Default 14. */
  removalOverdueDays: number;
  /** How often the by-SKU and orders reconciliations run per seller. Default 24. */
  reconcileHours: number;
  /** Units of difference between the warehouse, Dockgate and Amazon tolerated before `inventory-drift`. Default 0. */
  reconcileToleranceUnits: number;
}

export const DEFAULT_SETTINGS: GatewaySettings = {
  lateOrderLeadMinutes: 120,
  inventoryFreshnessMinutes: 1440,
  feedThreshold: 20,
  ordersPerFile: 100,
  ordersOverlapSeconds: 300,
  firstLookbackDays: 7,
  channelRefreshHours: 24,
  leaseMs: 120_000,
  secondLookMs: 3000,
  fbaPollMinutes: 30,
  fbaShipWithinDays: 3,
  removalReportHours: 12,
  removalOverdueDays: 14,
  reconcileHours: 24,
  reconcileToleranceUnits: 0,
};

export interface GatewayContext {
  mappings: Mappings;
  /** The folder the mappings were loaded from (exceptions name files in it). */
  mappingsDir: string;
  store: GatewayStore;
  /** The seller's adapter (one per seller, created on first use); throws AmazonConfigError when its credentials are missing. */
  amazon(seller: string): AmazonAdapter;
  /** The partner's transport, connected (one per partner, reconnected by the transport itself). */
  transport(partner: string): Promise<Transport>;
  clock: GatewayClock;
  log: Logger;
  settings: GatewaySettings;
  /** This process, as lease owner: host:pid:random. */
  instanceId: string;
  /** This process's Prometheus metrics (src/metrics): the SP-API rates of the health metrics come from them. */
  metrics: GatewayMetrics;
}

/** A failure no retry can change (a 4xx from Amazon, a refused file name): the job goes dead with an exception. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly exception?: { kind: ExceptionKind; key: string; seller?: string; partner?: string },
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Runs one outbox job. Throw PermanentError for failures no retry changes; any other error is retried with backoff. */
export type JobHandler = (job: JobRecord, ctx: GatewayContext) => Promise<void>;
export type JobHandlers = Partial<Record<JobKind, JobHandler>>;

/** A file taken from a partner, recorded, its bytes in the blob store. */
export interface ReceivedFile {
  messageId: number;
  partner: string;
  name: string;
  sha256: string;
  size: number;
}

/** Where the inbound step hands each translated document of one kind. */
export interface DocumentRoute {
  document: DocumentName;
  /** One document of a received file (ok, held or rejected as translation left it); returns what became of it. */
  handle(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument, index: number): Promise<{ state: InboundDocumentState; reason?: string }>;
  /**
   * A document the translation rejected (the inbound step raised partner-data-rejected for it):
   * what the route's own records should say about it (an FBA shipment whose advice carries a bad
   * SSCC is flagged as mismatched, naming the box). Optional; the file stays rejected.
   */
  rejected?(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument, index: number): Promise<void>;
}

/** What one run of a scheduled flow did, for the log and `--once`'s exit code. */
export interface FlowRunSummary {
  flow: string;
  scope?: string;
  counts: Record<string, number>;
  /** Failures in this run (a seller or partner unavailable, a file that failed): --once exits 1 when any. */
  failed: number;
}

/** `dockgate exceptions retry`: re-run what the exception held, after a fix. Returns one line saying what happened. */
export type ExceptionRetry = (ctx: GatewayContext, x: ExceptionRecord) => Promise<string>;
export type ExceptionRetries = Partial<Record<ExceptionKind, ExceptionRetry>>;

export const nowIso = (ctx: Pick<GatewayContext, 'clock'>): string => ctx.clock.now().toISOString();
