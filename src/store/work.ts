/**
 * The gateway's durable work: business records with states (orders, packages, published
 * quantities, inbound documents), the outbox of outside work with leases, the exception queue
 * and cursors. Backend-neutral like MessageStore: SQLite implements it now, PostgreSQL later
 * (claims with SELECT ... FOR UPDATE SKIP LOCKED, several instances sharing the rows).
 *
 * Every method is async and takes `now` from the caller where time matters: flows inject their
 * clock, tests drive it. Inside `GatewayStore.transaction(fn)` use only the `Work` handed to fn.
 */
import type { FbaShipmentsRepo } from './fba.ts';
import type { RemovalsRepo } from './removals.ts';
import type { MessageStore, FileRecord, MessageRow } from './store.ts';

// ------------------------------------------------------------------ states (one list each)

/** An Amazon order as the gateway tracks it. */
export const ORDER_STATES = [
  /** Seen on Amazon, not yet translated for the warehouse. */
  'new',
  /** Cannot be sent: an exception says why (unmapped SKU, unsendable text, ...); a retry re-reads it. */
  'held',
  /** In a ship-order file whose bytes are fixed, waiting for (or in) its delivery job. */
  'queued',
  /** The file holding its set reached the partner. */
  'delivered',
  /** The partner's 997/999 accepted its set (or accepted with errors). */
  'acknowledged',
  /** The partner's 997/999 rejected its set: an exception carries the reasons. */
  'rejected',
  /** Some lines shipped (advices received), some still open. */
  'partially-shipped',
  /** Every ordered unit shipped (advices received); confirmations may still be in the outbox. */
  'shipped',
  /** Every package confirmed at Amazon. */
  'confirmed',
  /** Cancelled on Amazon before anything went to the warehouse: never sent. */
  'cancelled',
  /** Cancelled on Amazon after it was sent: a cancel went (goes) to the warehouse. */
  'cancel-sent',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const PACKAGE_STATES = [
  /** Recorded from an advice; its confirm-package job is in the outbox. */
  'pending',
  /** Cannot be confirmed as it stands (unmapped carrier, no order item id): an exception says why. */
  'held',
  /** Amazon accepted the confirmation (or already had it). */
  'confirmed',
  /** Amazon refused it for good (a 4xx that no retry changes): an amazon-refused exception. */
  'refused',
] as const;
export type PackageState = (typeof PACKAGE_STATES)[number];

/** Processing state of a file we received (the message row of kind 'file' carries it too). */
export const INBOUND_FILE_STATES = ['received', 'processed', 'held', 'rejected', 'failed'] as const;
export type InboundFileState = (typeof INBOUND_FILE_STATES)[number];

export const INBOUND_DOCUMENT_STATES = ['processed', 'held', 'rejected', 'unknown', 'skipped'] as const;
export type InboundDocumentState = (typeof INBOUND_DOCUMENT_STATES)[number];

/** Axes of an outbound message (file, interchange, group, set), Orderful-style. */
export const VALIDATION_STATES = ['valid', 'invalid'] as const;
export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'not-picked-up', 'picked-up'] as const;
export const ACK_STATES = ['not-expected', 'awaiting', 'accepted', 'accepted-with-errors', 'partially-accepted', 'rejected', 'overdue'] as const;
export type ValidationState = (typeof VALIDATION_STATES)[number];
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export type AckState = (typeof ACK_STATES)[number];

export const JOB_KINDS = [
  /** Put a file (bytes fixed in the blob store, name fixed) on a partner's server. */
  'deliver-file',
  /** confirmShipment for one package. */
  'confirm-package',
  /** patchListingsItem for one (seller, SKU) quantity. */
  'publish-quantity',
  /** JSON_LISTINGS_FEED for many quantities of one seller. */
  'publish-feed',
  /** POST one alert (fired or cleared) to one webhook, signed (src/alerts). */
  'deliver-alert',
  /** updateShipmentTrackingDetails for one FBA inbound shipment (src/flows/fba-replenishment.ts). */
  'fba-tracking',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];
/** pending: waiting for its time (or leased by a worker while lease_until is ahead); done; dead: failed for good. */
export const JOB_STATES = ['pending', 'done', 'dead'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const EXCEPTION_KINDS = [
  'unmapped-sku',
  'unmapped-carrier',
  'unsendable-text',
  'mapping-problem',
  'ack-overdue',
  'ack-rejected',
  'not-picked-up',
  'order-late',
  'order-cancel-after-ship',
  'order-change-unsupported',
  'short-ship',
  'over-ship',
  'inventory-stale',
  'feed-error',
  'amazon-refused',
  'partner-data-rejected',
  'unknown-document',
  'file-failed',
  'delivery-failed',
  'seller-unavailable',
  'partner-unavailable',
  /** An alert webhook that kept refusing or failing (src/alerts). */
  'alert-failed',
  /** FBA replenishment (src/flows/fba-replenishment.ts): the cartons shipped are not Amazon's boxes (count, box ids, SSCCs, contents). */
  'fba-carton-mismatch',
  /** An FBA shipment sent to the warehouse and not shipped within its window. */
  'fba-not-shipped',
  /** An FBA shipment Amazon has that cannot be sent as it stands (no warehouse, no valid Shipment ID, unmapped SKU). */
  'fba-shipment-problem',
  /** Removals and returns (src/flows/removals.ts): a receipt line no expected arrival matches; its candidates listed. */
  'receipt-unmatched',
  /** More received than Amazon shipped back. */
  'over-receipt',
  /** A removal shipment Amazon sent and the warehouse has not received within its window. */
  'removal-overdue',
  /** By-SKU reconciliation (src/reconciliation): the warehouse, Dockgate and Amazon disagree beyond the tolerance. */
  'inventory-drift',
  /** Orders reconciliation: an order stopped at one step longer than its window. */
  'order-stuck',
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];
export const EXCEPTION_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type ExceptionSeverity = (typeof EXCEPTION_SEVERITIES)[number];
export const EXCEPTION_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

// ------------------------------------------------------------------ records

export interface OrderLineRecord {
  lineNumber: number;
  sellerSku: string;
  orderItemId?: string;
  ordered: number;
  /** Summed over every advice received for the order. */
  shipped: number;
}

export interface OrderRecord {
  seller: string;
  orderId: string;
  marketplaceId: string;
  /** The partner (warehouse) it goes to. */
  partner: string;
  state: OrderState;
  /** Amazon's lastUpdatedTime of the version we hold, and its order status. */
  amazonUpdatedAt: string;
  amazonStatus: string;
  shipBy: string | null;
  /** The canonical ShipOrder (with the buyer's address) lives in the blob store: encrypted, purged with retention. */
  documentSha256: string;
  /** sha256 of the address fields as last sent: a change is detected by comparing. */
  addressHash: string;
  lines: OrderLineRecord[];
  /** Revisions sent: 1 for the new order, +1 per change / cancel. */
  revision: number;
  /** The exception holding it, when held. */
  heldBy: number | null;
  createdAt: string;
  updatedAt: string;
}

/** One ship-order set that carried an order (new, change or cancel), in the file it went in. */
export interface OrderRevisionRecord {
  seller: string;
  orderId: string;
  revision: number;
  purpose: 'new' | 'change' | 'cancel';
  /** The outbound file message, and the set's message row (X12) when there is one. */
  fileMessageId: number;
  setMessageId: number | null;
  createdAt: string;
}

export interface PackageRecord {
  /** Our own stable package id: the packageReferenceId Amazon gets (a numeric string). */
  id: number;
  seller: string;
  orderId: string;
  marketplaceId: string;
  partner: string;
  /** The received file it came from, and the warehouse's own package number (LX-01, a CSV column). */
  fileMessageId: number;
  warehousePackageId: string | null;
  trackingNumber: string;
  carrierCode: string | null;
  carrierName: string | null;
  shippingMethod: string | null;
  items: Array<{ orderItemId: string; sellerSku: string; quantity: number }>;
  shippedAt: string;
  state: PackageState;
  confirmedAt: string | null;
  /** confirmedAt - shippedAt, seconds: the tracking lag Amazon's late-shipment rate measures. */
  lagSeconds: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface PublishedQuantity {
  seller: string;
  sku: string;
  /** The last quantity Amazon accepted, and when. */
  accepted: number | null;
  acceptedAt: string | null;
  /** The quantity a publish job is taking to Amazon now (null when none is in flight). */
  pending: number | null;
  pendingSince: string | null;
}

export interface SkuChannel {
  seller: string;
  sku: string;
  /** MFN: the merchant channel (DEFAULT); FBA: Amazon fulfils it; unknown: no listing found. */
  channel: 'MFN' | 'FBA' | 'unknown';
  checkedAt: string;
}

export interface JobRecord {
  id: number;
  kind: JobKind;
  /** Idempotency key: one job per unit of work, whoever enqueues it again. */
  key: string;
  seller: string | null;
  partner: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
}

export interface NewJob {
  kind: JobKind;
  key: string;
  seller?: string;
  partner?: string;
  payload: Record<string, unknown>;
  /** Default: now. */
  notBefore?: string;
}

export interface ExceptionContext {
  /** The file (name and message id) and where in it: "set 945 0001 (line 3)", "line 4". */
  file?: { name: string; messageId?: number };
  where?: string;
  /** The mapping file and key to fix. */
  mappingFile?: string;
  mappingKey?: string;
  /** A short excerpt of the payload (never buyer personal data). */
  excerpt?: string;
  /** Anything else worth showing (reasons, AK3/AK4 lines, Amazon's code). */
  details?: Record<string, unknown>;
}

export interface ExceptionRecord {
  id: number;
  kind: ExceptionKind;
  severity: ExceptionSeverity;
  seller: string | null;
  partner: string | null;
  /** The business key of the cause: the SKU, carrier, order id, file... */
  key: string;
  message: string;
  context: ExceptionContext;
  /** Business keys affected (order ids, files), most recent last, capped. */
  refs: string[];
  owner: string | null;
  state: ExceptionState;
  note: string | null;
  firstSeen: string;
  lastSeen: string;
  count: number;
  resolvedAt: string | null;
}

export interface RaiseException {
  kind: ExceptionKind;
  severity?: ExceptionSeverity;
  seller?: string;
  partner?: string;
  key: string;
  message: string;
  context?: ExceptionContext;
  /** The business key affected this time (an order id): added to refs. */
  ref?: string;
  now: string;
}

export interface InboundDocumentRecord {
  fileMessageId: number;
  /** Position in the file, 0-based, and where it is ("set 945 0001 (line 3)"). */
  index: number;
  where: string;
  document: string;
  seller: string | null;
  /** Its business key (order id, warehouse / as-of, ...). */
  key: string | null;
  state: InboundDocumentState;
  reason: string | null;
  at: string;
}

// ------------------------------------------------------------------ repositories

export interface OrdersRepo {
  get(seller: string, orderId: string): Promise<OrderRecord | null>;
  /** Insert or replace the record (the caller read it, decided, and writes it back whole). */
  put(order: OrderRecord): Promise<void>;
  list(filter: { seller?: string; partner?: string; states?: OrderState[]; limit?: number }): Promise<OrderRecord[]>;
  /** Open orders (not shipped / confirmed / cancelled) whose ship-by is before `before`. */
  dueBefore(before: string, limit?: number): Promise<OrderRecord[]>;
  addRevision(r: OrderRevisionRecord): Promise<void>;
  revisions(seller: string, orderId: string): Promise<OrderRevisionRecord[]>;
  /** The order(s) a sent set carried (to settle a 997 against orders). */
  bySetMessage(setMessageId: number): Promise<OrderRecord[]>;
  byFileMessage(fileMessageId: number): Promise<OrderRecord[]>;
}

export interface PackagesRepo {
  /** Insert a package; one (seller, order, tracking number) is one package: a second insert returns the existing one. */
  add(p: Omit<PackageRecord, 'id' | 'createdAt' | 'updatedAt' | 'confirmedAt' | 'lagSeconds'>, now: string): Promise<{ record: PackageRecord; created: boolean }>;
  get(id: number): Promise<PackageRecord | null>;
  forOrder(seller: string, orderId: string): Promise<PackageRecord[]>;
  setState(id: number, state: PackageState, now: string, confirmedAt?: string): Promise<void>;
  list(filter: { seller?: string; states?: PackageState[]; limit?: number }): Promise<PackageRecord[]>;
}

export interface InventoryRepo {
  quantity(seller: string, sku: string): Promise<PublishedQuantity | null>;
  quantities(seller: string): Promise<PublishedQuantity[]>;
  setPending(seller: string, sku: string, quantity: number, now: string): Promise<void>;
  accepted(seller: string, sku: string, quantity: number, now: string): Promise<void>;
  clearPending(seller: string, sku: string): Promise<void>;
  channel(seller: string, sku: string): Promise<SkuChannel | null>;
  setChannel(c: SkuChannel): Promise<void>;
  /** The as-of of the last snapshot applied from this partner for this seller (older ones are not applied). */
  lastSnapshot(partner: string, seller: string): Promise<{ asOf: string; appliedAt: string; fileMessageId: number } | null>;
  setLastSnapshot(partner: string, seller: string, asOf: string, appliedAt: string, fileMessageId: number): Promise<void>;
  /** Per warehouse item and state, the counts as of the last snapshot applied (change reports add to them). */
  stock(partner: string, seller: string): Promise<Array<{ warehouseItem: string; state: string; quantity: number }>>;
  setStock(partner: string, seller: string, items: Array<{ warehouseItem: string; state: string; quantity: number }>): Promise<void>;
}

export interface JobsRepo {
  /** Enqueue; an existing key is not enqueued twice (the existing job is returned, created false). */
  enqueue(job: NewJob, now: string): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * Lease up to `limit` pending jobs whose time has come and whose lease (if any) has expired,
   * oldest first; each claim increments attempts. PostgreSQL: FOR UPDATE SKIP LOCKED.
   */
  claim(options: { owner: string; now: string; leaseMs: number; limit: number; kinds?: JobKind[] }): Promise<JobRecord[]>;
  /** Each of these is refused (false) when `owner` no longer holds the lease. */
  complete(id: number, owner: string, now: string): Promise<boolean>;
  retry(id: number, owner: string, error: string, nextAttemptAt: string, now: string): Promise<boolean>;
  fail(id: number, owner: string, error: string, now: string): Promise<boolean>;
  /** Give the job back without counting the attempt (shutdown). */
  release(id: number, owner: string, now: string): Promise<boolean>;
  extendLease(id: number, owner: string, leaseUntil: string): Promise<boolean>;
  get(id: number): Promise<JobRecord | null>;
  byKey(key: string): Promise<JobRecord | null>;
  list(filter: { kind?: JobKind; state?: JobState; seller?: string; partner?: string; limit?: number }): Promise<JobRecord[]>;
  /** Pending jobs whose time has come and that nobody holds: how much is ready now. */
  readyCount(now: string): Promise<number>;
  /** When the next pending job becomes ready (null: none pending). */
  nextReadyAt(): Promise<string | null>;
  /** Make a dead job pending again (a retry after a fix). */
  revive(id: number, now: string): Promise<boolean>;
  /** Owners holding a lease on a pending job now. */
  leaseOwners(now: string): Promise<string[]>;
  /** Take back every lease of an owner known to be dead (its attempt stays counted). Returns how many. */
  releaseOwner(owner: string, now: string): Promise<number>;
}

export interface ExceptionsRepo {
  /** Open (or bump) the exception for this cause: (kind, seller, partner, key) while not resolved. */
  raise(x: RaiseException): Promise<ExceptionRecord>;
  get(id: number): Promise<ExceptionRecord | null>;
  /** The unresolved exception for this cause, if any. */
  find(kind: ExceptionKind, key: string, seller?: string | null, partner?: string | null): Promise<ExceptionRecord | null>;
  list(filter: { states?: ExceptionState[]; kind?: ExceptionKind; seller?: string; partner?: string; limit?: number }): Promise<ExceptionRecord[]>;
  assign(id: number, owner: string, now: string): Promise<void>;
  acknowledge(id: number, now: string): Promise<void>;
  resolve(id: number, note: string, now: string): Promise<void>;
  /** Resolve the unresolved exception of this cause, when there is one (its cause went away). */
  resolveCause(kind: ExceptionKind, key: string, seller: string | null, partner: string | null, note: string, now: string): Promise<boolean>;
  /**
   * Remove one business key from an exception's refs (that order was released), keeping it in
   * context.details.released (the last 1,000) so the record still says whom it held; resolves
   * the exception when none is left.
   */
  dropRef(id: number, ref: string, note: string, now: string): Promise<void>;
}

export interface CursorsRepo {
  get(name: string): Promise<string | null>;
  set(name: string, value: string, now: string): Promise<void>;
  /** Every cursor whose name starts with `prefix`, by name. */
  list(prefix: string): Promise<Array<{ name: string; value: string; updatedAt: string }>>;
}

/**
 * One sample of a health metric (src/metrics/health.ts names them), taken by the running
 * gateway every minute so the dashboard's charts have history, also under `dockgate serve`.
 */
export interface HealthSample {
  at: string;
  metric: string;
  /** '' for the whole gateway, else a seller, partner or "seller/sku". */
  scope: string;
  value: number;
}

export interface HealthSamplesRepo {
  add(samples: HealthSample[]): Promise<void>;
  /** Samples in [since, until), oldest first. */
  list(filter: { since: string; until?: string; metric?: string; scope?: string; limit?: number }): Promise<HealthSample[]>;
  /** Retention: drop samples older than `before`. Returns how many. */
  purgeBefore(before: string): Promise<number>;
}

export const ALERT_STATES = ['firing', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One alert cause (rule + key), fired once and cleared once (src/alerts). */
export interface AlertRecord {
  id: number;
  /** ack-overdue, tracking-lag, ship-by-near, inventory-stale, exception-unowned, amazon-auth, partner-refused. */
  rule: string;
  /** The cause within the rule: a message id, a package id, an order id, "seller/partner", an exception id... */
  key: string;
  seller: string | null;
  partner: string | null;
  severity: ExceptionSeverity;
  message: string;
  details: Record<string, unknown>;
  state: AlertState;
  firedAt: string;
  lastSeen: string;
  clearedAt: string | null;
  /** Why it cleared ("acknowledged at ...", "confirmed"). */
  clearedBecause: string | null;
}

export interface AlertsRepo {
  /** Fire (rule, key): `created` true when it was not firing (a new alert, to be sent); else lastSeen bumped. */
  fire(a: { rule: string; key: string; seller?: string | null; partner?: string | null; severity: ExceptionSeverity; message: string; details?: Record<string, unknown> }, now: string): Promise<{ record: AlertRecord; created: boolean }>;
  /** Clear a firing alert: true when it was firing (a clear, to be sent). */
  clear(id: number, because: string, now: string): Promise<boolean>;
  get(id: number): Promise<AlertRecord | null>;
  firing(rule?: string): Promise<AlertRecord[]>;
  list(filter: { state?: AlertState; rule?: string; limit?: number }): Promise<AlertRecord[]>;
}

/** Leases on named scheduled jobs: one runner at a time, taken over when its holder dies. */
export interface LocksRepo {
  acquire(name: string, owner: string, now: string, leaseMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
  /** Owners holding a lock whose lease runs now. */
  owners(now: string): Promise<string[]>;
  /** Drop every lock of an owner known to be dead. Returns how many. */
  releaseOwner(owner: string): Promise<number>;
}

export interface InboundDocumentsRepo {
  add(d: InboundDocumentRecord): Promise<void>;
  forFile(fileMessageId: number): Promise<InboundDocumentRecord[]>;
  setState(fileMessageId: number, index: number, state: InboundDocumentState, reason: string | null, at: string): Promise<void>;
}

/** What the message log offers inside a work transaction, plus the outbound status axes. */
export interface MessageTracking {
  recordFile(record: FileRecord): Promise<number>;
  /** `now` (ISO): when it happened, by the flow's clock (retention counts a completion from it); default: the system time. */
  setStatus(id: number, status: string, reason?: string, completed?: boolean, now?: string): Promise<void>;
  setContainsPii(id: number, containsPii: boolean): Promise<void>;
  /**
   * The messages whose parent is `id`, by id, read on the transaction's connection: it sees what
   * the transaction recorded just now (store.trace, synchronous, may read on another connection).
   */
  children(id: number): Promise<MessageRow[]>;
  /** Outbound axes; each change is a message_events row ("delivery: pending -> delivered"). */
  setValidation(id: number, state: ValidationState, now: string, reason?: string): Promise<void>;
  /** `remoteDir`: the directory on the partner's server it was put in (the not-picked-up check looks there). */
  setDelivery(id: number, state: DeliveryState, now: string, reason?: string, remoteDir?: string): Promise<void>;
  /** `dueAt` with 'awaiting': when it becomes overdue. */
  setAcknowledgement(id: number, state: AckState, now: string, reason?: string, dueAt?: string): Promise<void>;
  axes(id: number): Promise<MessageAxes | null>;
  /** Outbound messages (groups and interchanges) still awaiting an acknowledgement whose due time is before `now`. */
  ackOverdue(now: string, limit?: number): Promise<Array<{ id: number; partner: string | null; kind: string; control: string | null; dueAt: string }>>;
  /** Delivered files not yet seen picked up (for the not-picked-up check). */
  deliveredUnconfirmed(partner: string, limit?: number): Promise<Array<{ id: number; fileName: string; deliveredAt: string; remoteDir: string | null }>>;
  /** Received files left in 'received' (a crash between taking and processing): taken up again on start. */
  unprocessedReceived(partner: string, limit?: number): Promise<Array<{ id: number; fileName: string; sha256: string }>>;
}

export interface MessageAxes {
  validation: ValidationState | null;
  delivery: DeliveryState | null;
  deliveredAt: string | null;
  acknowledgement: AckState | null;
  acknowledgedAt: string | null;
  ackDueAt: string | null;
}

/**
 * SP-API token buckets shared by every gateway instance on the store (src/store/repos/quota.ts),
 * one per key (the caller's: seller, operation, time scale). Rates are requests per second, times
 * epoch milliseconds on the caller's clock.
 */
export interface QuotaRepo {
  /**
   * Refill by the time elapsed and take one token, atomically across instances: 0 when granted,
   * else the milliseconds until one will be there (sleep, then ask again). A new key starts full
   * with `rate` and `burst`; an existing one keeps its own (see setRate). `nowMs` may be a clock,
   * read inside the store's transaction: time spent waiting for another instance's write lock
   * then does not count as time the granted request spent on its way to Amazon.
   */
  take(key: string, rate: number, burst: number, nowMs: number | (() => number)): Promise<number>;
  /** Amazon answered 429: the bucket is empty now, whatever it held. */
  drain(key: string, nowMs: number | (() => number)): Promise<void>;
  /** The rate Amazon says it applies (x-amzn-RateLimit-Limit), and the burst when known. */
  setRate(key: string, rate: number, burst?: number): Promise<void>;
}

export interface Work {
  orders: OrdersRepo;
  packages: PackagesRepo;
  inventory: InventoryRepo;
  jobs: JobsRepo;
  exceptions: ExceptionsRepo;
  cursors: CursorsRepo;
  locks: LocksRepo;
  inbound: InboundDocumentsRepo;
  messages: MessageTracking;
  health: HealthSamplesRepo;
  alerts: AlertsRepo;
  /** FBA inbound shipments sent to warehouses (src/store/fba.ts). */
  fba: FbaShipmentsRepo;
  /** Removal / return arrivals expected from Amazon and the receipts posted against them (src/store/removals.ts). */
  removals: RemovalsRepo;
  /** SP-API quota buckets shared by the instances on this store (src/store/repos/quota.ts). */
  quota: QuotaRepo;
}

export interface GatewayStore extends MessageStore {
  /** Where the store is, for people: `sqlite <path>` or `postgres <URL without its password>`. */
  readonly location: string;
  /** The repositories, each call its own transaction. */
  readonly work: Work;
  /**
   * Run `fn` in one transaction (SQLite: BEGIN IMMEDIATE, serialised with every other write of
   * this process). Use only the Work given to fn inside it; a throw rolls everything back.
   */
  transaction<T>(fn: (w: Work) => Promise<T>): Promise<T>;
}
