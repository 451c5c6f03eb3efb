/** The documents of each received file and their outcome (InboundDocumentsRepo), one implementation for every backend. */
import { StoreError } from '../errors.ts';
import { isoTime, oneOf } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { INBOUND_DOCUMENT_STATES, type InboundDocumentRecord, type InboundDocumentsRepo, type InboundDocumentState } from '../work.ts';

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

export class SqlInboundDocuments implements InboundDocumentsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'inbound-documents.sql');
  }

  /** A document recorded again at the same place (the file reprocessed) replaces the first record. */
  async add(d: InboundDocumentRecord): Promise<void> {
    await this.sql.run(this.q.add, {
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
    return (await this.sql.all<DocumentRow>(this.q.forFile, fileMessageId)).map((r) => ({
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
    const r = await this.sql.run(this.q.setState, { fileMessageId, index, state: oneOf(INBOUND_DOCUMENT_STATES, state, 'inbound document state'), reason, at: isoTime(at, 'at') });
    if (r.changes === 0) throw new StoreError(`no document ${index} recorded for file ${fileMessageId}`, { fileMessageId, index });
  }
}
