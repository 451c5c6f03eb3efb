/**
 * The SQLite message store and gateway store (better-sqlite3): WAL, numbered migrations with a
 * ledger, one transaction per recorded file, control numbers handed out inside IMMEDIATE
 * transactions so that concurrent processes never receive the same number, and the durable work
 * (orders, packages, quantities, outbox, exceptions, cursors, locks) in transactions serialised
 * with every other write of this connection.
 *
 * Writes on this connection. better-sqlite3 is synchronous, but `transaction(fn)` holds BEGIN
 * IMMEDIATE across the awaits of `fn`: anything else written on the connection meanwhile would
 * land inside that transaction (and go with its rollback). So every write — a transaction, each
 * `work` call made outside one, recordFile / setStatus / setContainsPii / purgeExpired — waits its
 * turn in one promise chain (the mutex), and code running inside `fn` (known through an
 * AsyncLocalStorage) writes directly on the open transaction instead of queueing behind it.
 * BEGIN IMMEDIATE itself is retried asynchronously while another connection holds the write
 * lock, so two stores in one process (or a busy second process) never block the event loop on
 * SQLite's busy handler while the holder needs it to finish.
 */
import Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlNumberKind, ControlNumberSource } from '../../x12/outbound.ts';
import { FileBlobStore } from '../blob-store.ts';
import { DuplicateInterchangeError, StoreError, type HeldInterchange } from '../errors.ts';
import type { DiagnosticsSummary, FileRecord, MessageNode, MessageRow, PurgedFile, PurgedOrderDocument, PurgeResult, Trace } from '../store.ts';
import type { GatewayStore, Work } from '../work.ts';
import { SqlAlerts } from '../repos/alerts.ts';
import { SqlFbaShipments } from '../repos/fba.ts';
import { SqlRemovals } from '../repos/removals.ts';
import { SqlCursors } from '../repos/cursors.ts';
import { SqlExceptions } from '../repos/exceptions.ts';
import { SqlHealthSamples } from '../repos/health-samples.ts';
import { SqlInboundDocuments } from '../repos/inbound-documents.ts';
import { SqlInventory } from '../repos/inventory.ts';
import { SqlJobs } from '../repos/jobs.ts';
import { SqlLocks } from '../repos/locks.ts';
import { namedQueries } from './named-sql.ts';
import { SqlOrders } from '../repos/orders.ts';
import { SqlPackages } from '../repos/packages.ts';
import { SqlQuota } from '../repos/quota.ts';
import { SqliteRunner } from './runner.ts';
import { isoTime } from '../states.ts';
import { claimsInterchange, CONTROL_MAX, fileRowValues, MigrationError, nodeRowValues, receivedKey, REDACTED, toMessage, TransactionError, type MessageDbRow } from '../message-rows.ts';
import { SqlTracking } from '../repos/tracking.ts';

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url));

/** The connection's busy wait, outside BEGIN IMMEDIATE (which is retried without blocking). */
const BUSY_TIMEOUT_MS = 10_000;
/** How long BEGIN IMMEDIATE is retried while another connection holds the write lock. */
const BEGIN_TIMEOUT_MS = 30_000;

const retentionSql = namedQueries('retention.sql');

/** One open `transaction(fn)`: `active` turns false when it commits or rolls back. */
interface OpenTransaction {
  active: boolean;
}

/** The repositories of `w`, refusing use once their transaction ended (a promise fn left running). */
function guarded<T extends object>(repo: T, tx: OpenTransaction, name: string): T {
  return new Proxy(repo, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (!tx.active) throw new TransactionError(`work.${name}.${String(key)} was called after its transaction ended: use store.work, or a new transaction`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
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

export class SqliteMessageStore implements GatewayStore {
  readonly location: string;
  readonly blobs: FileBlobStore;
  readonly controlNumbers: ControlNumberSource;
  /** Each call its own transaction, in turn with every other write (see the top of this file). */
  readonly work: Work;
  private readonly db: Database.Database;
  /** The repositories on the connection, without transactions of their own. */
  private readonly raw: Work;
  private readonly jobsRepo: SqlJobs;
  /** The mutex: every write outside an open transaction chains here. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;
  private readonly inside = new AsyncLocalStorage<OpenTransaction>();
  private current: OpenTransaction | null = null;
  /** Control numbers drawn by code outside the open transaction: never handed out again, even if it rolls back. */
  private drawnOutside: Array<{ partner: string; kind: ControlNumberKind; last: number }> = [];

  constructor(private readonly options: SqliteStoreOptions) {
    const dbPath = join(options.dataDir, 'dockgate.sqlite');
    this.location = `sqlite ${dbPath}`;
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
    // Prepared once, on first use: the X12 writer draws one number per transaction set, and a
    // prepare per draw was a twentieth of the orders flow's time.
    let take: Database.Transaction<(partner: string, kind: ControlNumberKind) => number> | null = null;
    const drawer = () =>
      (take ??= (() => {
        const next = this.db.prepare(
          `INSERT INTO control_numbers (partner, kind, last) VALUES (?, ?, 1)
           ON CONFLICT (partner, kind) DO UPDATE SET last = CASE WHEN last >= ? THEN 1 ELSE last + 1 END
           RETURNING last`,
        );
        return this.db.transaction((partner: string, kind: ControlNumberKind) => (next.get(partner, kind, CONTROL_MAX[kind]) as { last: number }).last);
      })());
    this.controlNumbers = {
      // Synchronous (the X12 writer draws while it writes). Drawn inside the open transaction
      // (by its fn), it commits or rolls back with the file that uses it; drawn by other code
      // while a transaction is open, it lands in that transaction too (one connection), so it is
      // remembered and written again should that transaction roll back.
      next: (partner: string, kind: ControlNumberKind): number => {
        if (options.readOnly) throw new StoreError('the store was opened read-only: no control number can be consumed');
        const last = drawer().immediate(partner, kind);
        if (this.current && !this.inOpenTransaction()) this.drawnOutside.push({ partner, kind, last });
        return last;
      },
    };
    /** One runner for every repository: its prepared statements are kept per SQL text. */
    const sql = new SqliteRunner(this.db);
    this.jobsRepo = new SqlJobs(sql);
    this.raw = {
      orders: new SqlOrders(sql),
      packages: new SqlPackages(sql),
      inventory: new SqlInventory(sql),
      jobs: this.jobsRepo,
      exceptions: new SqlExceptions(sql),
      cursors: new SqlCursors(sql),
      locks: new SqlLocks(sql),
      inbound: new SqlInboundDocuments(sql),
      health: new SqlHealthSamples(sql),
      alerts: new SqlAlerts(sql),
      fba: new SqlFbaShipments(sql),
      removals: new SqlRemovals(sql),
      quota: new SqlQuota(sql),
      messages: new SqlTracking(sql, {
        recordFile: async (record) => this.recordFileNow(record),
        setStatus: async (id, status, reason, completed, now) => this.setStatusNow(id, status, reason, completed, now),
        setContainsPii: async (id, containsPii) => this.setContainsPiiNow(id, containsPii),
      }),
    };
    this.work = this.outside(this.raw);
  }

  // ---------------------------------------------------------------- transactions

  /** Is the caller running inside the open transaction's fn? */
  private inOpenTransaction(): boolean {
    const t = this.inside.getStore();
    return t !== undefined && t.active && t === this.current;
  }

  /** Run `fn` after every write queued before it (the mutex). */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    this.queued++;
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => this.queued--,
      () => this.queued--,
    );
    return run;
  }

  /**
   * BEGIN IMMEDIATE, retried without blocking the event loop while another connection holds the
   * write lock (its holder may be this very process, awaiting something before its COMMIT).
   */
  private async begin(): Promise<void> {
    if (this.options.readOnly) throw new TransactionError('the store was opened read-only: nothing can be written');
    const deadline = Date.now() + BEGIN_TIMEOUT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      this.db.pragma('busy_timeout = 0');
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw e;
        if (Date.now() > deadline) throw new StoreError(`the database stayed locked by another connection for ${BEGIN_TIMEOUT_MS / 1000} s`, { code });
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    const drawn = this.drawnOutside;
    this.drawnOutside = [];
    if (drawn.length === 0) return;
    // Numbers other code drew during the transaction went with its rollback: written again, so
    // that they are never handed out twice.
    const keep = this.db.prepare('INSERT INTO control_numbers (partner, kind, last) VALUES (?, ?, ?) ON CONFLICT (partner, kind) DO UPDATE SET last = max(last, excluded.last)');
    this.db.transaction(() => {
      for (const d of drawn) keep.run(d.partner, d.kind, d.last);
    }).immediate();
  }

  /** One unit of writing in its own transaction, in turn; directly when already inside the open one. */
  private async write<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.inOpenTransaction()) return fn();
    // Read-only (the CLI's lists): reads run as they are; a write fails in SQLite, naming the readonly database.
    if (this.options.readOnly) return fn();
    return this.serialised(async () => {
      await this.begin();
      try {
        const result = await fn();
        this.db.exec('COMMIT');
        this.drawnOutside = [];
        return result;
      } catch (e) {
        this.rollback();
        throw e;
      }
    });
  }

  async transaction<T>(fn: (w: Work) => Promise<T>): Promise<T> {
    if (this.inside.getStore()?.active) {
      throw new TransactionError('store.transaction() was called inside a transaction: use the Work given to the outer one (SQLite has one transaction per connection)');
    }
    return this.serialised(async () => {
      await this.begin();
      const tx: OpenTransaction = { active: true };
      this.current = tx;
      try {
        const w: Work = {
          orders: guarded(this.raw.orders, tx, 'orders'),
          packages: guarded(this.raw.packages, tx, 'packages'),
          inventory: guarded(this.raw.inventory, tx, 'inventory'),
          jobs: guarded(this.raw.jobs, tx, 'jobs'),
          exceptions: guarded(this.raw.exceptions, tx, 'exceptions'),
          cursors: guarded(this.raw.cursors, tx, 'cursors'),
          locks: guarded(this.raw.locks, tx, 'locks'),
          inbound: guarded(this.raw.inbound, tx, 'inbound'),
          health: guarded(this.raw.health, tx, 'health'),
          alerts: guarded(this.raw.alerts, tx, 'alerts'),
          fba: guarded(this.raw.fba, tx, 'fba'),
          removals: guarded(this.raw.removals, tx, 'removals'),
          quota: guarded(this.raw.quota, tx, 'quota'),
          messages: guarded(this.raw.messages, tx, 'messages'),
        };
        const result = await this.inside.run(tx, () => fn(w));
        this.db.exec('COMMIT');
        this.drawnOutside = [];
        return result;
      } catch (e) {
        this.rollback();
        throw e;
      } finally {
        tx.active = false;
        this.current = null;
      }
    });
  }

  /** `store.work`: every method of every repository as its own transaction (or inside the open one). */
  private outside(raw: Work): Work {
    const wrap = <R extends object>(repo: R): R =>
      new Proxy(repo, {
        get: (target, key) => {
          const value = Reflect.get(target, key, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => this.write(() => (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
    return {
      orders: wrap(raw.orders),
      packages: wrap(raw.packages),
      inventory: wrap(raw.inventory),
      jobs: wrap(raw.jobs),
      exceptions: wrap(raw.exceptions),
      cursors: wrap(raw.cursors),
      locks: wrap(raw.locks),
      inbound: wrap(raw.inbound),
      health: wrap(raw.health),
      alerts: wrap(raw.alerts),
      fba: wrap(raw.fba),
      removals: wrap(raw.removals),
      quota: wrap(raw.quota),
      messages: wrap(raw.messages),
    };
  }

  peekControlNumber(partner: string, kind: ControlNumberKind): number {
    const r = this.db.prepare('SELECT last FROM control_numbers WHERE partner = ? AND kind = ?').get(partner, kind) as { last: number } | undefined;
    if (!r) return 1;
    return r.last >= CONTROL_MAX[kind] ? 1 : r.last + 1;
  }

  async recordFile(record: FileRecord): Promise<number> {
    return this.write(() => this.recordFileNow(record));
  }

  /** recordFile on the connection as it stands (its own savepoint inside an open transaction). */
  private recordFileNow(record: FileRecord): number {
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
      const fileId = Number(insert.run(fileRowValues(record, now)).lastInsertRowid);
      event.run(fileId, now, record.status, record.statusReason ?? null);
      const held: HeldInterchange[] = [];
      const add = (node: MessageNode, parent: number) => {
        const claim = claimsInterchange(record, node);
        let id: number;
        try {
          id = Number(insert.run(nodeRowValues(record, node, parent, now)).lastInsertRowid);
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
      .get(partner, groupControl) as MessageDbRow | undefined;
    if (!group) return null;
    if (setControl === undefined) return toMessage(group);
    const set = this.db.prepare("SELECT * FROM messages WHERE parent_id = ? AND kind = 'set' AND control = ?").get(group.id, setControl) as MessageDbRow | undefined;
    return set ? toMessage(set) : null;
  }

  findSentInterchange(partner: string, control: string): MessageRow | null {
    const r = this.db
      .prepare("SELECT * FROM messages WHERE partner = ? AND kind = 'interchange' AND direction = 'out' AND CAST(control AS INTEGER) = CAST(? AS INTEGER) ORDER BY id DESC LIMIT 1")
      .get(partner, control) as MessageDbRow | undefined;
    return r ? toMessage(r) : null;
  }

  receivedFiles(partner: string, fileName: string): MessageRow[] {
    const rows = this.db
      .prepare("SELECT * FROM messages WHERE partner = ? AND kind = 'file' AND direction = 'in' AND file_name = ? ORDER BY id")
      .all(partner, fileName) as MessageDbRow[];
    return rows.map(toMessage);
  }

  async setContainsPii(id: number, containsPii: boolean): Promise<void> {
    return this.write(() => this.setContainsPiiNow(id, containsPii));
  }

  private setContainsPiiNow(id: number, containsPii: boolean): void {
    const r = this.db.prepare('UPDATE messages SET contains_pii = ?, updated_at = ? WHERE id = ?').run(containsPii ? 1 : 0, new Date().toISOString(), id);
    if (r.changes === 0) throw new StoreError(`no message ${id}`, { id });
  }

  /** `now` (ISO): when it happened by the caller's clock; default the system time. */
  async setStatus(id: number, status: string, reason?: string, completed = false, now?: string): Promise<void> {
    return this.write(() => this.setStatusNow(id, status, reason, completed, now === undefined ? undefined : isoTime(now, 'now')));
  }

  private setStatusNow(id: number, status: string, reason?: string, completed = false, at?: string): void {
    const now = at ?? new Date().toISOString();
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
    const r = this.db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as MessageDbRow | undefined;
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
    const children = (this.db.prepare('SELECT * FROM messages WHERE parent_id = ? ORDER BY id').all(id) as MessageDbRow[]).map(toMessage);
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
    return (rows as MessageDbRow[]).map(toMessage);
  }

  /**
   * Retention (see README "Retention"): raw files with buyer data completed before the cutoff,
   * the canonical order documents (with the buyer's address) of orders final before it, and the
   * outbox rows done before it. Dead jobs stay: they wait for a person.
   */
  async purgeExpired(now = new Date(), options: { dryRun?: boolean } = {}): Promise<PurgeResult> {
    const cutoff = new Date(now.getTime() - this.options.retentionDays * 86_400_000).toISOString();
    const stamp = now.toISOString();
    const dryRun = options.dryRun ?? false;
    if (dryRun) {
      const result = this.choosePurge(cutoff, true);
      const doneJobs = await this.jobsRepo.deleteDoneBefore(cutoff, true);
      if (doneJobs) result.doneJobs = doneJobs;
      return result;
    }
    if (this.inOpenTransaction()) throw new TransactionError('purgeExpired runs outside a transaction (it checkpoints the WAL after its own)');
    return this.serialised(async () => {
      await this.begin();
      let result: PurgeResult;
      try {
        result = this.choosePurge(cutoff, false);
        const markMessage = this.db.prepare('UPDATE messages SET purged_at = ?, updated_at = ? WHERE id = ?');
        const event = this.db.prepare("INSERT INTO message_events (message_id, at, from_status, to_status, reason) SELECT id, ?, status, status, 'raw file purged by retention policy' FROM messages WHERE id = ?");
        for (const f of result.files) {
          markMessage.run(stamp, stamp, f.id);
          event.run(stamp, f.id);
          this.redactTree(f.id);
        }
        const markBlob = this.db.prepare('UPDATE blobs SET purged_at = ? WHERE sha256 = ?');
        for (const b of result.blobs) markBlob.run(stamp, b);
        const doneJobs = await this.jobsRepo.deleteDoneBefore(cutoff, false);
        if (doneJobs) result.doneJobs = doneJobs;
        this.db.exec('COMMIT');
      } catch (e) {
        this.rollback();
        throw e;
      }
      // Earlier page images (with the redacted text) live on in the WAL until it is checkpointed
      // and emptied. Best effort: a reader holding an old snapshot delays it to a later purge.
      if (result.files.length) this.db.pragma('wal_checkpoint(TRUNCATE)');
      // Bytes go after the rows say so; a failed deletion is retried by the next run below.
      const leftovers = this.db.prepare('SELECT sha256 FROM blobs WHERE purged_at IS NOT NULL').all() as Array<{ sha256: string }>;
      for (const b of leftovers) this.blobs.remove(b.sha256);
      // Order documents have no blobs row: one still on disk is chosen again by the next run.
      for (const d of result.orderDocuments ?? []) this.blobs.remove(d.sha256);
      return result;
    });
  }

  /** What a purge at `cutoff` takes. A blob goes only when nothing unexpired refers to it. */
  private choosePurge(cutoff: string, dryRun: boolean): PurgeResult {
    const expiredWhere = 'contains_pii = 1 AND completed_at IS NOT NULL AND completed_at < ?';
    const expired = this.db
      .prepare(`SELECT id, partner, file_name, blob_sha256, completed_at FROM messages WHERE kind = 'file' AND purged_at IS NULL AND ${expiredWhere} ORDER BY completed_at, id`)
      .all(cutoff) as Array<{ id: number; partner: string | null; file_name: string | null; blob_sha256: string; completed_at: string }>;
    const kept = this.db.prepare(`SELECT 1 FROM messages WHERE blob_sha256 = ? AND purged_at IS NULL AND NOT (${expiredWhere}) LIMIT 1`);
    const hasOrders = !!this.db.prepare(retentionSql.ordersTableExists).get();
    const keptByOrder = hasOrders ? this.db.prepare(retentionSql.documentKeptByOrder) : null;
    const files: PurgedFile[] = [];
    const blobs = new Set<string>();
    const verdict = new Map<string, boolean>();
    for (const m of expired) {
      if (!verdict.has(m.blob_sha256)) verdict.set(m.blob_sha256, !kept.get(m.blob_sha256, cutoff) && !keptByOrder?.get({ sha: m.blob_sha256, cutoff }));
      if (!verdict.get(m.blob_sha256)) continue;
      files.push({ id: m.id, partner: m.partner, fileName: m.file_name, sha256: m.blob_sha256, completedAt: m.completed_at });
      blobs.add(m.blob_sha256);
    }
    const result: PurgeResult = { dryRun, cutoff, files, blobs: [...blobs] };
    if (hasOrders) {
      // Orders in a final state (confirmed, cancelled, cancel-sent) since before the cutoff: the
      // ShipOrder document kept for them names the buyer and serves nothing any more.
      const documents: PurgedOrderDocument[] = [];
      const rows = this.db.prepare(retentionSql.expiredOrderDocuments).all({ cutoff }) as Array<{ seller: string; order_id: string; document_sha256: string }>;
      for (const r of rows) {
        if (blobs.has(r.document_sha256) || !this.blobs.has(r.document_sha256)) continue;
        if (kept.get(r.document_sha256, cutoff) || keptByOrder!.get({ sha: r.document_sha256, cutoff })) continue;
        documents.push({ seller: r.seller, orderId: r.order_id, sha256: r.document_sha256 });
      }
      const unique = new Set(documents.map((d) => d.sha256));
      if (documents.length) {
        result.orderDocuments = documents;
        result.blobs.push(...unique);
      }
    }
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

  /** Closes at once when nothing is queued; else after the writes queued before it. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queued === 0) {
      this.closed = true;
      this.db.close();
      return;
    }
    await this.serialised(async () => {
      this.db.close();
    });
    this.closed = true;
  }
}
