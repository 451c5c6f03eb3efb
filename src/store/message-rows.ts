/**
 * What both stores share about the message log: the row shape of `messages` and its mapping to
 * MessageRow, how a received ISA13 is keyed, the text left by a purge, the control-number maxima,
 * and the errors of migrations and transactions. Neutral ground, so that the repositories and
 * the PostgreSQL store do not import the SQLite store.
 */
import type { ControlNumberKind } from '../x12/outbound.ts';
import { StoreError } from './errors.ts';
import type { FileRecord, MessageNode, MessageRow } from './store.ts';

/** Standard maxima: ISA13 and GS06 are N0 1-9; ST02 is AN 4-9 and we send digits. */
export const CONTROL_MAX: Record<ControlNumberKind, number> = { ISA13: 999_999_999, GS06: 999_999_999, ST02: 999_999_999 };

export class MigrationError extends StoreError {
  override name = 'MigrationError';
}

/** A transaction used wrongly: nested, used after it ended, on a read-only store. */
export class TransactionError extends StoreError {
  override name = 'TransactionError';
}

/** A received ISA13 as compared: digits without leading zeros (as migration 0002 computes it). */
export function receivedKey(control: string): string {
  return /^\d+$/.test(control) ? control.replace(/^0+(?=\d)/, '') : control;
}

/** What replaces the text recorded about a purged file's content. */
export const REDACTED = '(redacted: the raw file was purged by the retention policy)';

export interface MessageDbRow {
  id: number;
  parent_id: number | null;
  kind: MessageRow['kind'];
  direction: MessageRow['direction'];
  partner: string | null;
  control: string | null;
  doc_type: string | null;
  version: string | null;
  sender: string | null;
  receiver: string | null;
  file_name: string | null;
  blob_sha256: string | null;
  status: string;
  status_reason: string | null;
  contains_pii: number;
  diagnostics: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  purged_at: string | null;
}

export function toMessage(r: MessageDbRow): MessageRow {
  return {
    id: r.id,
    parentId: r.parent_id,
    kind: r.kind,
    direction: r.direction,
    partner: r.partner,
    control: r.control,
    docType: r.doc_type,
    version: r.version,
    sender: r.sender,
    receiver: r.receiver,
    fileName: r.file_name,
    blobSha256: r.blob_sha256,
    status: r.status,
    statusReason: r.status_reason,
    containsPii: r.contains_pii === 1,
    diagnostics: r.diagnostics ? JSON.parse(r.diagnostics) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    purgedAt: r.purged_at,
  };
}

/** Whether `node` claims its interchange: a received ISA with a sender and control number, held by one receipt (migration 0002's unique index). */
export function claimsInterchange(record: FileRecord, node: MessageNode): boolean {
  return Boolean(node.claimsControl && node.kind === 'interchange' && record.direction === 'in' && node.sender && node.control);
}

/** The INSERT INTO messages parameters (@parent, @kind, ... @receivedKey) of a recorded file. */
export function fileRowValues(record: FileRecord, now: string): Record<string, unknown> {
  return {
    ...commonValues(record, now),
    parent: null,
    kind: 'file',
    control: null,
    docType: null,
    version: null,
    sender: null,
    receiver: null,
    fileName: record.fileName,
    sha: record.sha256,
    status: record.status,
    reason: record.statusReason ?? null,
    diagnostics: record.diagnostics ? JSON.stringify(record.diagnostics) : null,
    receivedKey: null,
  };
}

/** The same for one envelope node of the file, under `parent`. */
export function nodeRowValues(record: FileRecord, node: MessageNode, parent: number, now: string): Record<string, unknown> {
  return {
    ...commonValues(record, now),
    parent,
    kind: node.kind,
    control: node.control ?? null,
    docType: node.docType ?? null,
    version: node.version ?? null,
    sender: node.sender ?? null,
    receiver: node.receiver ?? null,
    fileName: null,
    sha: null,
    status: node.status,
    reason: node.statusReason ?? null,
    diagnostics: node.diagnostics ? JSON.stringify(node.diagnostics) : null,
    receivedKey: claimsInterchange(record, node) ? receivedKey(node.control!) : null,
  };
}

function commonValues(record: FileRecord, now: string) {
  return { direction: record.direction, partner: record.partner ?? null, pii: record.containsPii ? 1 : 0, now, completed: record.completedAt ?? null };
}
