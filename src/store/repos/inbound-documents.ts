/** The documents of each received file and their outcome (InboundDocumentsRepo) on SQLite. */
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.ts';
import { INBOUND_DOCUMENT_STATES, type InboundDocumentRecord, type InboundDocumentsRepo, type InboundDocumentState } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime, oneOf } from './states.ts';

const q = namedQueries('inbound-documents.sql');

interface DocumentRow {
  file_message_id: number;
  idx: number;
  where_text: string;
  document: string;
  seller: string | null;
  key: string | null;
  state: string;
  reason: string | null;
  at: string;
}

export class SqliteInboundDocuments implements InboundDocumentsRepo {
  constructor(private readonly db: Database.Database) {}

  /** A document recorded again at the same place (the file reprocessed) replaces the first record. */
  async add(d: InboundDocumentRecord): Promise<void> {
    prepared(this.db, q.add).run({
      fileMessageId: d.fileMessageId,
      index: d.index,
      where: d.where,
      document: d.document,
      seller: d.seller,
      key: d.key,
      state: oneOf(INBOUND_DOCUMENT_STATES, d.state, 'inbound document state'),
      reason: d.reason,
      at: isoTime(d.at, 'at'),
    });
  }

  async forFile(fileMessageId: number): Promise<InboundDocumentRecord[]> {
    return (prepared(this.db, q.forFile).all(fileMessageId) as DocumentRow[]).map((r) => ({
      fileMessageId: r.file_message_id,
      index: r.idx,
      where: r.where_text,
      document: r.document,
      seller: r.seller,
      key: r.key,
      state: r.state as InboundDocumentState,
      reason: r.reason,
      at: r.at,
    }));
  }

  async setState(fileMessageId: number, index: number, state: InboundDocumentState, reason: string | null, at: string): Promise<void> {
    const r = prepared(this.db, q.setState).run({ fileMessageId, index, state: oneOf(INBOUND_DOCUMENT_STATES, state, 'inbound document state'), reason, at: isoTime(at, 'at') });
    if (r.changes === 0) throw new StoreError(`no document ${index} recorded for file ${fileMessageId}`, { fileMessageId, index });
  }
}
