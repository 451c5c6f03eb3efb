/**
 * The SQLite message store (better-sqlite3): WAL, numbered migrations with a ledger, one
 * transaction per recorded file, control numbers handed out inside IMMEDIATE transactions so
 * that concurrent processes never receive the same number.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlNumberKind, ControlNumberSource } from '../../x12/outbound.ts';
import { FileBlobStore } from '../blob-store.ts';
import { DuplicateInterchangeError, StoreError, type HeldInterchange } from '../errors.ts';
import type { DiagnosticsSummary, FileRecord, MessageNode, MessageRow, MessageStore, PurgedFile, PurgeResult, Trace } from '../store.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url));

/** Standard maxima: ISA13 and GS06 are N0 1-9; ST02 is AN 4-9 and we send digits. */
const CONTROL_MAX: Record<ControlNumberKind, number> = { ISA13: 999_999_999, GS06: 999_999_999, ST02: 999_999_999 };

export class MigrationError extends StoreError {
  override name = 'MigrationError';
}

/** A received ISA13 as compared: digits without leading zeros (as migration 0002 computes it). */
function receivedKey(control: string): string {
  return /^\d+$/.test(control) ? control.replace(/^0+(?=\d)/, '') : control;
}

/** What replaces the text recorded about a purged file's content. */
const REDACTED = '(redacted: the raw file was purged by the retention policy)';

interface Row {
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

function toMessage(r: Row): MessageRow {
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

/**
 * Apply pending migrations in order; refuse a changed or missing applied migration. Each runs in
 * an IMMEDIATE transaction that reads the ledger again: processes opening one store at the same
 * time apply each migration once.
 */
export function migrate(db: Database.Database, dir = MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const appliedAs = db.prepare('SELECT checksum FROM schema_migrations WHERE version = ?');
  let count = 0;
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    const sql = readFileSync(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const applyOnce = db.transaction(() => {
      const done = appliedAs.get(version) as { checksum: string } | undefined;
      if (done) {
        if (done.checksum !== checksum) {
          throw new MigrationError(`migration ${file} was changed after it was applied; migrations are append-only: add a new one`, { file, version });
        }
        return false;
      }
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(version, file, checksum, new Date().toISOString());
      return true;
    });
    if (applyOnce.immediate()) count++;
  }
  return count;
}

export interface SqliteStoreOptions {
  dataDir: string;
  /** 32-byte key for encryption at rest; null stores files in clear. */
  encryptionKey: Buffer | null;
  retentionDays: number;
  /** Open without writing anything: previews (`x12 ack` without --record). */
  readOnly?: boolean;
}

export class SqliteMessageStore implements MessageStore {
  readonly blobs: FileBlobStore;
  readonly controlNumbers: ControlNumberSource;
  private readonly db: Database.Database;

  constructor(private readonly options: SqliteStoreOptions) {
    const dbPath = join(options.dataDir, 'dockgate.sqlite');
    if (options.readOnly && !existsSync(dbPath)) {
      // Nothing recorded yet: an empty in-memory store answers without creating anything.
      this.db = new Database(':memory:');
      migrate(this.db);
    } else if (options.readOnly) {
      this.db = new Database(dbPath, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 10000');
    } else {
      mkdirSync(options.dataDir, { recursive: true });
      this.db = new Database(dbPath);
      // First: processes opening one store at once wait for each other instead of failing.
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      // Text the retention policy redacts is overwritten on disk, not only unlinked from the tree.
      this.db.pragma('secure_delete = ON');
      migrate(this.db);
    }
    this.blobs = new FileBlobStore(join(options.dataDir, 'raw'), options.encryptionKey, options.readOnly ?? false);
    // A key that does not open the files already stored would mix two keys in one store.
    if (options.encryptionKey) {
      const sample = this.db.prepare('SELECT sha256 FROM blobs WHERE encrypted = 1 AND purged_at IS NULL AND size <= ? ORDER BY size LIMIT 1').get(1 << 20) as { sha256: string } | undefined;
      if (sample) this.blobs.checkKey(sample.sha256);
    }
    const nextStatement = () =>
      this.db.prepare(
        `INSERT INTO control_numbers (partner, kind, last) VALUES (?, ?, 1)
         ON CONFLICT (partner, kind) DO UPDATE SET last = CASE WHEN last >= ? THEN 1 ELSE last + 1 END
         RETURNING last`,
      );
    this.controlNumbers = {
      next: (partner: string, kind: ControlNumberKind): number => {
        if (options.readOnly) throw new StoreError('the store was opened read-only: no control number can be consumed');
        const take = this.db.transaction(() => (nextStatement().get(partner, kind, CONTROL_MAX[kind]) as { last: number }).last);
        return take.immediate();
      },
    };
  }

  peekControlNumber(partner: string, kind: ControlNumberKind): number {
    const r = this.db.prepare('SELECT last FROM control_numbers WHERE partner = ? AND kind = ?').get(partner, kind) as { last: number } | undefined;
    if (!r) return 1;
    return r.last >= CONTROL_MAX[kind] ? 1 : r.last + 1;
  }

  async recordFile(record: FileRecord): Promise<number> {
    if (!this.blobs.has(record.sha256)) throw new StoreError(`file ${record.fileName}: its bytes (${record.sha256}) are not in the raw-file store`, { sha256: record.sha256 });
    const now = new Date().toISOString();
    const insert = this.db.prepare(
      `INSERT INTO messages (parent_id, kind, direction, partner, control, doc_type, version, sender, receiver, file_name, blob_sha256,
         status, status_reason, contains_pii, diagnostics, created_at, updated_at, completed_at, received_key)
       VALUES (@parent, @kind, @direction, @partner, @control, @docType, @version, @sender, @receiver, @fileName, @sha,
         @status, @reason, @pii, @diagnostics, @now, @now, @completed, @receivedKey)`,
    );
    const event = this.db.prepare('INSERT INTO message_events (message_id, at, from_status, to_status, reason) VALUES (?, ?, NULL, ?, ?)');
    const tx = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO blobs (sha256, size, encrypted, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET purged_at = NULL')
        .run(record.sha256, record.size, this.blobs.encrypting ? 1 : 0, now);
      const common = { direction: record.direction, partner: record.partner ?? null, pii: record.containsPii ? 1 : 0, now, completed: record.completedAt ?? null };
      const fileId = Number(
        insert.run({
          ...common,
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
        }).lastInsertRowid,
      );
      event.run(fileId, now, record.status, record.statusReason ?? null);
      const held: HeldInterchange[] = [];
      const add = (node: MessageNode, parent: number) => {
        const claim = node.claimsControl && node.kind === 'interchange' && record.direction === 'in' && node.sender && node.control;
        let id: number;
        try {
          id = Number(
            insert.run({
              ...common,
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
              receivedKey: claim ? receivedKey(node.control!) : null,
            }).lastInsertRowid,
          );
        } catch (e) {
          // The unique index of migration 0002: another receipt holds this interchange. The
          // statement alone failed; the others are looked at so that the error names them all.
          if (!claim || (e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
          held.push({ sender: node.sender!, control: node.control! });
          return;
        }
        event.run(id, now, node.status, node.statusReason ?? null);
        for (const c of node.children ?? []) add(c, id);
      };
      for (const c of record.children) add(c, fileId);
      // Throwing rolls the whole file back: it is recorded again with these marked duplicates.
      if (held.length) throw new DuplicateInterchangeError(held);
      return fileId;
    });
    return tx.immediate();
  }

  hasInterchange(senderQualifier: string, senderId: string, control: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM messages WHERE sender = ? AND received_key = ? LIMIT 1').get(`${senderQualifier}:${senderId}`, receivedKey(control));
  }

  findSent(partner: string, groupControl: string, setControl?: string): MessageRow | null {
    const group = this.db
      .prepare("SELECT * FROM messages WHERE partner = ? AND kind = 'group' AND direction = 'out' AND CAST(control AS INTEGER) = CAST(? AS INTEGER) ORDER BY id DESC LIMIT 1")
      .get(partner, groupControl) as Row | undefined;
    if (!group) return null;
    if (setControl === undefined) return toMessage(group);
    const set = this.db.prepare("SELECT * FROM messages WHERE parent_id = ? AND kind = 'set' AND control = ?").get(group.id, setControl) as Row | undefined;
    return set ? toMessage(set) : null;
  }

  findSentInterchange(partner: string, control: string): MessageRow | null {
    const r = this.db
      .prepare("SELECT * FROM messages WHERE partner = ? AND kind = 'interchange' AND direction = 'out' AND CAST(control AS INTEGER) = CAST(? AS INTEGER) ORDER BY id DESC LIMIT 1")
      .get(partner, control) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  receivedFiles(partner: string, fileName: string): MessageRow[] {
    const rows = this.db
      .prepare("SELECT * FROM messages WHERE partner = ? AND kind = 'file' AND direction = 'in' AND file_name = ? ORDER BY id")
      .all(partner, fileName) as Row[];
    return rows.map(toMessage);
  }

  async setContainsPii(id: number, containsPii: boolean): Promise<void> {
    const r = this.db.prepare('UPDATE messages SET contains_pii = ?, updated_at = ? WHERE id = ?').run(containsPii ? 1 : 0, new Date().toISOString(), id);
    if (r.changes === 0) throw new StoreError(`no message ${id}`, { id });
  }

  async setStatus(id: number, status: string, reason?: string, completed = false): Promise<void> {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      const before = this.db.prepare('SELECT status FROM messages WHERE id = ?').get(id) as { status: string } | undefined;
      if (!before) throw new StoreError(`no message ${id}`, { id });
      this.db
        .prepare('UPDATE messages SET status = ?, status_reason = ?, updated_at = ?, completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?')
        .run(status, reason ?? null, now, completed ? 1 : 0, now, id);
      this.db.prepare('INSERT INTO message_events (message_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?)').run(id, now, before.status, status, reason ?? null);
    }).immediate();
  }

  get(id: number): MessageRow | null {
    const r = this.db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  trace(id: number): Trace | null {
    const message = this.get(id);
    if (!message) return null;
    const parents: MessageRow[] = [];
    for (let p = message.parentId; p !== null; ) {
      const row = this.get(p);
      if (!row) break;
      parents.push(row);
      p = row.parentId;
    }
    const children = (this.db.prepare('SELECT * FROM messages WHERE parent_id = ? ORDER BY id').all(id) as Row[]).map(toMessage);
    const events = (
      this.db.prepare('SELECT at, from_status, to_status, reason FROM message_events WHERE message_id = ? ORDER BY id').all(id) as Array<{
        at: string;
        from_status: string | null;
        to_status: string;
        reason: string | null;
      }>
    ).map((e) => ({ at: e.at, fromStatus: e.from_status, toStatus: e.to_status, reason: e.reason }));
    return { message, parents, children, events };
  }

  list(options: { limit?: number; kind?: MessageRow['kind'] } = {}): MessageRow[] {
    const rows = options.kind
      ? this.db.prepare('SELECT * FROM messages WHERE kind = ? ORDER BY id DESC LIMIT ?').all(options.kind, options.limit ?? 50)
      : this.db.prepare('SELECT * FROM messages ORDER BY id DESC LIMIT ?').all(options.limit ?? 50);
    return (rows as Row[]).map(toMessage);
  }

  async purgeExpired(now = new Date(), options: { dryRun?: boolean } = {}): Promise<PurgeResult> {
    const cutoff = new Date(now.getTime() - this.options.retentionDays * 86_400_000).toISOString();
    const stamp = now.toISOString();
    const dryRun = options.dryRun ?? false;
    const expiredWhere = 'contains_pii = 1 AND completed_at IS NOT NULL AND completed_at < ?';
    // A blob goes only when every message that refers to it is an expired PII document.
    const choose = () => {
      const expired = this.db
        .prepare(`SELECT id, partner, file_name, blob_sha256, completed_at FROM messages WHERE kind = 'file' AND purged_at IS NULL AND ${expiredWhere} ORDER BY completed_at, id`)
        .all(cutoff) as Array<{ id: number; partner: string | null; file_name: string | null; blob_sha256: string; completed_at: string }>;
      const kept = this.db.prepare(`SELECT 1 FROM messages WHERE blob_sha256 = ? AND purged_at IS NULL AND NOT (${expiredWhere}) LIMIT 1`);
      const files: PurgedFile[] = [];
      const blobs = new Set<string>();
      const verdict = new Map<string, boolean>();
      for (const m of expired) {
        if (!verdict.has(m.blob_sha256)) verdict.set(m.blob_sha256, !kept.get(m.blob_sha256, cutoff));
        if (!verdict.get(m.blob_sha256)) continue;
        files.push({ id: m.id, partner: m.partner, fileName: m.file_name, sha256: m.blob_sha256, completedAt: m.completed_at });
        blobs.add(m.blob_sha256);
      }
      return { dryRun, cutoff, files, blobs: [...blobs] };
    };
    if (dryRun) return choose();
    const purge = this.db.transaction(() => {
      const chosen = choose();
      const markMessage = this.db.prepare('UPDATE messages SET purged_at = ?, updated_at = ? WHERE id = ?');
      const event = this.db.prepare("INSERT INTO message_events (message_id, at, from_status, to_status, reason) SELECT id, ?, status, status, 'raw file purged by retention policy' FROM messages WHERE id = ?");
      for (const f of chosen.files) {
        markMessage.run(stamp, stamp, f.id);
        event.run(stamp, f.id);
        this.redactTree(f.id);
      }
      const markBlob = this.db.prepare('UPDATE blobs SET purged_at = ? WHERE sha256 = ?');
      for (const b of chosen.blobs) markBlob.run(stamp, b);
      return chosen;
    });
    const result = purge.immediate();
    // Earlier page images (with the redacted text) live on in the WAL until it is checkpointed
    // and emptied. Best effort: a reader holding an old snapshot delays it to a later purge.
    if (result.files.length) this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Bytes go after the rows say so; a failed deletion is retried by the next run below.
    const leftovers = this.db.prepare('SELECT sha256 FROM blobs WHERE purged_at IS NOT NULL').all() as Array<{ sha256: string }>;
    for (const b of leftovers) this.blobs.remove(b.sha256);
    return result;
  }

  /**
   * What was recorded about a purged file's content, in the file and every message under it:
   * diagnostics excerpts (they quote elements: names, addresses) and the reasons given when it
   * was recorded. Counts stay; reasons of later status changes (delivery, acknowledgements) are
   * the gateway's own words and stay too.
   */
  private redactTree(fileId: number): void {
    const tree = `WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN tree ON m.parent_id = tree.id) SELECT id FROM tree`;
    const rows = this.db.prepare(`SELECT id, diagnostics FROM messages WHERE id IN (${tree})`).all(fileId) as Array<{ id: number; diagnostics: string | null }>;
    const setDiagnostics = this.db.prepare('UPDATE messages SET diagnostics = ? WHERE id = ?');
    for (const r of rows) {
      if (!r.diagnostics) continue;
      const d = JSON.parse(r.diagnostics) as DiagnosticsSummary;
      setDiagnostics.run(JSON.stringify({ errors: d.errors, warnings: d.warnings, first: [], redacted: true } satisfies DiagnosticsSummary), r.id);
    }
    this.db
      .prepare(
        `UPDATE messages SET status_reason = ? WHERE id IN (${tree}) AND status_reason IN
           (SELECT reason FROM message_events e WHERE e.message_id = messages.id AND e.from_status IS NULL)`,
      )
      .run(REDACTED, fileId);
    this.db.prepare(`UPDATE message_events SET reason = ? WHERE from_status IS NULL AND reason IS NOT NULL AND message_id IN (${tree})`).run(REDACTED, fileId);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
