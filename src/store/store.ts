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
  /** The first few diagnostics, as "code: message" lines. */
  first: string[];
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
  statusReason?: string;
  /** Documents with buyer personal data are purged after the retention period. */
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

export interface PurgeResult {
  blobs: string[];
  messages: number;
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
  /** Control numbers per partner and kind, never reused (see ControlNumberSource). */
  readonly controlNumbers: ControlNumberSource;
  /** The number `controlNumbers.next` would hand out, without consuming it. */
  peekControlNumber(partner: string, kind: ControlNumberKind): number;
  /** Record a file and its envelope tree in one transaction; returns the file's message id. */
  recordFile(record: FileRecord): Promise<number>;
  /** Has an inbound interchange from this sender with this control number been recorded? */
  hasInterchange(senderQualifier: string, senderId: string, control: string): boolean;
  /** Our sent group (and set) with these control numbers, for matching an incoming 997/999. */
  findSent(partner: string, groupControl: string, setControl?: string): MessageRow | null;
  /** Our sent interchange with this ISA13, for matching an incoming TA1. */
  findSentInterchange(partner: string, control: string): MessageRow | null;
  /** Files received from a partner under this name, oldest first (a file is taken once). */
  receivedFiles(partner: string, fileName: string): MessageRow[];
  setStatus(id: number, status: string, reason?: string, completed?: boolean): Promise<void>;
  get(id: number): MessageRow | null;
  trace(id: number): Trace | null;
  list(options?: { limit?: number; kind?: MessageKind }): MessageRow[];
  /** Apply the retention policy: purge raw bytes of completed PII documents older than N days. */
  purgeExpired(now?: Date): Promise<PurgeResult>;
  close(): Promise<void>;
}
