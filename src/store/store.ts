/**
 * The message store interface. Flows and the CLI talk to this, never to SQLite: a PostgreSQL
 * backend (several gateway instances sharing work through row locks) implements the same.
 */
import type { Readable } from 'node:stream';
import type { ControlNumberKind, ControlNumberSource } from '../x12/outbound.ts';

export type Direction = 'in' | 'out';
export type MessageKind = 'file' | 'interchange' | 'group' | 'set';

export interface DiagnosticsSummary {
  errors: number;
  warnings: number;
  /** The first few diagnostics, one line each. They can quote the content: see `redacted`. */
  first: string[];
  /** The lines were removed when the raw file was purged (they may have quoted buyer data). */
  redacted?: boolean;
}

/** A node of a file's envelope tree to record (file -> interchanges -> groups -> sets). */
export interface MessageNode {
  kind: MessageKind;
  control?: string;
  docType?: string;
  version?: string;
  sender?: string;
  receiver?: string;
  status: string;
  statusReason?: string;
  diagnostics?: DiagnosticsSummary;
  /**
   * A received interchange that is not itself a known duplicate: it takes its (sender, control)
   * — control numbers compared as numbers — among received interchanges. Only one recorded
   * receipt can hold them; `recordFile` rejects the file with a DuplicateInterchangeError when
   * another already does, whatever the timing of the two.
   */
  claimsControl?: boolean;
  children?: MessageNode[];
}

export interface FileRecord {
  direction: Direction;
  partner?: string;
  fileName: string;
  /** sha256 and size of a blob already written with `blobs.put*`. */
  sha256: string;
  size: number;
  status: string;
  /** Said when recorded: it can quote the content, and is redacted with the raw file. */
  statusReason?: string;
  /**
   * The file may carry buyer personal data (names, addresses): its raw bytes, diagnostics
   * excerpts and recorded reasons are purged after the retention period. When in doubt, true.
   */
  containsPii?: boolean;
  /** Set when the message needs nothing more (acknowledged, processed); retention counts from here. */
  completedAt?: string;
  diagnostics?: DiagnosticsSummary;
  children: MessageNode[];
}

export interface MessageRow {
  id: number;
  parentId: number | null;
  kind: MessageKind;
  direction: Direction;
  partner: string | null;
  control: string | null;
  docType: string | null;
  version: string | null;
  sender: string | null;
  receiver: string | null;
  fileName: string | null;
  blobSha256: string | null;
  status: string;
  statusReason: string | null;
  containsPii: boolean;
  diagnostics: DiagnosticsSummary | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  purgedAt: string | null;
}

export interface MessageEvent {
  at: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
}

export interface Trace {
  message: MessageRow;
  /** From the direct parent up to the file. */
  parents: MessageRow[];
  children: MessageRow[];
  events: MessageEvent[];
}

export interface PurgedFile {
  id: number;
  partner: string | null;
  fileName: string | null;
  sha256: string;
  completedAt: string;
}

export interface PurgeResult {
  /** Nothing was changed: what a run at that time would purge. */
  dryRun: boolean;
  /** Files completed before this are expired. */
  cutoff: string;
  /** The files whose raw bytes went (would go), oldest completion first. */
  files: PurgedFile[];
  /** Raw files deleted (to delete): bytes shared by several files count once. Order documents included. */
  blobs: string[];
  /** Present when some went: the canonical documents of orders final since before the cutoff (they name the buyer). */
  orderDocuments?: PurgedOrderDocument[];
  /** Present when some went: outbox jobs done before the cutoff, deleted (to delete). */
  doneJobs?: number;
}

export interface PurgedOrderDocument {
  seller: string;
  orderId: string;
  sha256: string;
}

export interface BlobStore {
  putBuffer(data: Buffer): Promise<{ sha256: string; size: number }>;
  putStream(data: Readable): Promise<{ sha256: string; size: number }>;
  open(sha256: string): Promise<Readable>;
  read(sha256: string): Promise<Buffer>;
  has(sha256: string): boolean;
}

export interface MessageStore {
  readonly blobs: BlobStore;
  /**
   * Control numbers per partner and kind, never reused (see ControlNumberSource). `next` is
   * synchronous (the X12 writer draws while it writes). In the gateway, draw the numbers of a
   * file inside the `transaction(fn)` that records that file (and enqueues its delivery): then a
   * rollback takes back the numbers with the file that used them, and a committed file always
   * holds the numbers it was written with. A number drawn outside while a transaction is open is
   * never handed out again, whatever that transaction does.
   */
  readonly controlNumbers: ControlNumberSource;
  /** The number `controlNumbers.next` would hand out, without consuming it. */
  peekControlNumber(partner: string, kind: ControlNumberKind): number;
  /** Record a file and its envelope tree in one transaction; returns the file's message id. */
  recordFile(record: FileRecord): Promise<number>;
  /** Has an inbound interchange from this sender with this control number been recorded (as the one holding them)? */
  hasInterchange(senderQualifier: string, senderId: string, control: string): boolean;
  /** Our sent group (and set) with these control numbers, for matching an incoming 997/999. */
  findSent(partner: string, groupControl: string, setControl?: string): MessageRow | null;
  /** Our sent interchange with this ISA13, for matching an incoming TA1. */
  findSentInterchange(partner: string, control: string): MessageRow | null;
  /** Files received from a partner under this name, oldest first (a file is taken once). */
  receivedFiles(partner: string, fileName: string): MessageRow[];
  /** `completed`: the message needs nothing more; retention counts from now. */
  setStatus(id: number, status: string, reason?: string, completed?: boolean): Promise<void>;
  /** What a recorded file holds became known (e.g. once translated): does it carry buyer data? */
  setContainsPii(id: number, containsPii: boolean): Promise<void>;
  get(id: number): MessageRow | null;
  trace(id: number): Trace | null;
  list(options?: { limit?: number; kind?: MessageKind }): MessageRow[];
  /**
   * Apply the retention policy as at `now`: purge the raw bytes of files with buyer data completed
   * more than N days before, and redact what was recorded about their content (diagnostics
   * excerpts, reasons given when recorded) in the file and everything under it. Rows stay.
   * A dry run changes nothing and says what would go.
   */
  purgeExpired(now?: Date, options?: { dryRun?: boolean }): Promise<PurgeResult>;
  close(): Promise<void>;
}
