/**
 * The PostgreSQL message store and gateway store (`pg`), for several gateway instances sharing
 * one database. The work repositories are the same classes as SQLite's (src/store/repos) over a
 * PostgresRunner on the pooled client that holds the transaction; the message log's own writes
 * are here. Raw files stay content-addressed on a filesystem path (`<dataDir>/raw`, a shared
 * volume when instances run on several machines), behind the same blob interface.
 *
 * Transactions: `transaction(fn)` takes a pooled client, BEGIN (READ COMMITTED), runs fn with the
 * repositories bound to that client, COMMIT. Unlike SQLite, transactions of one process run side
 * by side (they are separate connections); what must not interleave is kept apart by the
 * database: row locks (FOR UPDATE where a repository reads to write), unique indexes with ON
 * CONFLICT, SKIP LOCKED claims. Each `store.work` call made outside a transaction is its own;
 * code running inside fn (AsyncLocalStorage) that calls `store.work` or `store.recordFile` joins
 * the open transaction, as on SQLite.
 *
 * The synchronous MessageStore calls (control numbers, get / trace / list, ...) run on a second,
 * synchronous connection (sync-client.ts): they see committed rows, and a control number is
 * committed when drawn, so a rolled-back file leaves a gap and no number is ever handed out twice.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import pg from 'pg';
import type { ControlNumberKind, ControlNumberSource } from '../../x12/outbound.ts';
import { FileBlobStore } from '../blob-store.ts';
import { DuplicateInterchangeError, StoreError, type HeldInterchange } from '../errors.ts';
import { SqlAlerts } from '../repos/alerts.ts';
import { SqlCursors } from '../repos/cursors.ts';
import { SqlExceptions } from '../repos/exceptions.ts';
import { SqlFbaShipments } from '../repos/fba.ts';
import { SqlHealthSamples } from '../repos/health-samples.ts';
import { SqlInboundDocuments } from '../repos/inbound-documents.ts';
import { SqlInventory } from '../repos/inventory.ts';
import { SqlJobs } from '../repos/jobs.ts';
import { SqlLocks } from '../repos/locks.ts';
import { SqlOrders } from '../repos/orders.ts';
import { SqlPackages } from '../repos/packages.ts';
import { SqlQuota } from '../repos/quota.ts';
import { SqlRemovals } from '../repos/removals.ts';
import { SqlTracking, type MessageWrites } from '../repos/tracking.ts';
import { queries } from '../sql/queries.ts';
import { claimsInterchange, CONTROL_MAX, fileRowValues, nodeRowValues, receivedKey, REDACTED, TransactionError, toMessage, type MessageDbRow } from '../message-rows.ts';
import type { DiagnosticsSummary, FileRecord, MessageNode, MessageRow, PurgedFile, PurgedOrderDocument, PurgeResult, Trace } from '../store.ts';
import type { GatewayStore, Work } from '../work.ts';
import { migratePostgres } from './migrate.ts';
import { PostgresRunner } from './runner.ts';
import { SyncPostgres } from './sync-client.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (never logged: see redactUrl). */
  url: string;
  /** Raw files live in <dataDir>/raw (shared by every instance). */
  dataDir: string;
  encryptionKey: Buffer | null;
  retentionDays: number;
  readOnly?: boolean;
  /** Connections of this instance's pool (default 10). */
  poolSize?: number;
}

const INT8 = 20;
const NUMERIC = 1700;
/** bigint (ids, count(*)) and numeric (sum) as numbers: ids stay far below 2^53. */
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string | null) => (v === null ? null : Number(v)) : pg.types.getTypeParser(oid, format as 'text'),
} as unknown as pg.CustomTypesConfig;

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a malformed PostgreSQL URL)';
  }
}

/** A failure of the connection rather than of a statement: no SQLSTATE, or class 08 / 57P01-3 (terminated, shut down). */
function connectionLost(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return !err.code || /^08|^57P0[123]$/.test(err.code) || /Connection terminated|not queryable|ECONNRESET|EPIPE/i.test(err.message ?? '');
}

interface OpenTransaction {
  active: boolean;
  repos: Work;
}

const retentionSql = queries('postgres', 'retention.sql');

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

const REPO_NAMES = ['orders', 'packages', 'inventory', 'jobs', 'exceptions', 'cursors', 'locks', 'inbound', 'health', 'alerts', 'fba', 'removals', 'quota', 'messages'] as const;

export class PostgresMessageStore implements GatewayStore {
  readonly location: string;
  readonly blobs: FileBlobStore;
  readonly controlNumbers: ControlNumberSource;
  readonly work: Work;
  private readonly pool: pg.Pool;
  private readonly sync: SyncPostgres;
  private readonly inside = new AsyncLocalStorage<OpenTransaction>();
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
    this.location = `postgres ${redactUrl(options.url)}`;
    this.sync = new SyncPostgres(options.url);
    try {
      this.sync.get('SELECT 1 AS ok');
    } catch (e) {
      void this.sync.close();
      throw new StoreError(`cannot connect to PostgreSQL at ${redactUrl(options.url)}: ${(e as Error).message}`, { url: redactUrl(options.url) });
    }
    if (!options.readOnly) migratePostgres(this.sync);
    this.blobs = new FileBlobStore(join(options.dataDir, 'raw'), options.encryptionKey, options.readOnly ?? false);
    if (options.encryptionKey) {
      const sample = this.sync.get<{ sha256: string }>('SELECT sha256 FROM blobs WHERE encrypted = 1 AND purged_at IS NULL AND size <= ? ORDER BY size LIMIT 1', [1 << 20]);
      if (sample && this.blobs.has(sample.sha256)) this.blobs.checkKey(sample.sha256);
    }
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types, application_name: 'dockgate' });
    // An idle client losing its connection (a restarted server) must not end the process: the next query fails instead.
    this.pool.on('error', () => undefined);
    // Nor one lost while checked out (the database cut mid-transaction): its query fails, the
    // transaction with it, and the process goes on (an 'error' event without a listener would end it).
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.controlNumbers = {
      next: (partner: string, kind: ControlNumberKind): number => {
        if (options.readOnly) throw new StoreError('the store was opened read-only: no control number can be consumed');
        // One statement, committed at once: the row lock orders concurrent instances; the
        // number is never handed out twice, and one whose file rolled back is not reused.
        const r = this.sync.get<{ last: number }>(
          `INSERT INTO control_numbers (partner, kind, last) VALUES (?, ?, 1)
           ON CONFLICT (partner, kind) DO UPDATE SET last = CASE WHEN control_numbers.last >= ? THEN 1 ELSE control_numbers.last + 1 END
           RETURNING last`,
          [partner, kind, CONTROL_MAX[kind]],
        );
        return r!.last;
      },
    };
    this.work = this.outside();
  }

  // ---------------------------------------------------------------- transactions

  private repos(client: pg.ClientBase): Work {
    const sql = new PostgresRunner(client, !this.options.readOnly);
    const writes: MessageWrites = {
      recordFile: (record) => this.recordFileOn(client, record, true),
      setStatus: (id, status, reason, completed, now) => this.setStatusOn(client, id, status, reason, completed, now),
      setContainsPii: (id, containsPii) => this.setContainsPiiOn(client, id, containsPii),
    };
    return {
      orders: new SqlOrders(sql),
      packages: new SqlPackages(sql),
      inventory: new SqlInventory(sql),
      jobs: new SqlJobs(sql),
      exceptions: new SqlExceptions(sql),
      cursors: new SqlCursors(sql),
      locks: new SqlLocks(sql),
      inbound: new SqlInboundDocuments(sql),
      health: new SqlHealthSamples(sql),
      alerts: new SqlAlerts(sql),
      fba: new SqlFbaShipments(sql),
      removals: new SqlRemovals(sql),
      quota: new SqlQuota(sql),
      messages: new SqlTracking(sql, writes),
    };
  }

  private openTransaction(): OpenTransaction | undefined {
    const t = this.inside.getStore();
    return t?.active ? t : undefined;
  }

  /** BEGIN on a pooled client, fn, COMMIT; ROLLBACK when fn throws. */
  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('the store is closed');
    const client = await this.begin();
    let broken = false;
    try {
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  /**
   * A pooled client with its transaction begun. An idle connection the database dropped (a
   * restart, a failover, a terminated backend) fails at BEGIN, before anything was done on it:
   * it is thrown away and the next one tried, so the first transaction after the database came
   * back does not fail for a connection that was already dead.
   */
  private async begin(): Promise<pg.PoolClient> {
    // Read-only (the CLI's lists): PostgreSQL refuses any write in it.
    const begin = this.options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN';
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query(begin);
        return client;
      } catch (e) {
        client.release(true);
        // Every idle connection of the pool may be dead: try as many, and one new.
        if (attempt > (this.options.poolSize ?? 10) || !connectionLost(e)) throw e;
      }
    }
  }

  async transaction<T>(fn: (w: Work) => Promise<T>): Promise<T> {
    if (this.openTransaction()) {
      throw new TransactionError('store.transaction() was called inside a transaction: use the Work given to the outer one');
    }
    if (this.options.readOnly) throw new TransactionError('the store was opened read-only: nothing can be written');
    return this.withClient(async (client) => {
      const repos = this.repos(client);
      const tx: OpenTransaction = { active: true, repos };
      try {
        const w = Object.fromEntries(REPO_NAMES.map((n) => [n, guarded(repos[n], tx, n)])) as unknown as Work;
        return await this.inside.run(tx, () => fn(w));
      } finally {
        tx.active = false;
      }
    });
  }

  /** `store.work`: every method of every repository as its own transaction (or inside the open one). */
  private outside(): Work {
    const wrap = (name: (typeof REPO_NAMES)[number]) =>
      new Proxy(
        {},
        {
          get: (_target, key) => {
            return (...args: unknown[]) => {
              const call = (repos: Work) => {
                const repo = repos[name] as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
                if (typeof repo[key] !== 'function') throw new TypeError(`work.${name}.${String(key)} is not a method`);
                return repo[key](...args);
              };
              const open = this.openTransaction();
              if (open) return call(open.repos);
              // Reads of a read-only store need no transaction of their own.
              return this.withClient(async (client) => call(this.repos(client)));
            };
          },
        },
      );
    return Object.fromEntries(REPO_NAMES.map((n) => [n, wrap(n)])) as unknown as Work;
  }

  // ---------------------------------------------------------------- the message log

  peekControlNumber(partner: string, kind: ControlNumberKind): number {
    const r = this.sync.get<{ last: number }>('SELECT last FROM control_numbers WHERE partner = ? AND kind = ?', [partner, kind]);
    if (!r) return 1;
    return r.last >= CONTROL_MAX[kind] ? 1 : r.last + 1;
  }

  async recordFile(record: FileRecord): Promise<number> {
    const open = this.openTransaction();
    if (open) return open.repos.messages.recordFile(record);
    return this.withClient((client) => this.recordFileOn(client, record, false));
  }

  /**
   * Record a file on `client`. Inside somebody's transaction it runs under a savepoint: a
   * duplicate interchange takes back this file's rows only, and the transaction goes on.
   */
  private async recordFileOn(client: pg.ClientBase, record: FileRecord, savepoint: boolean): Promise<number> {
    if (!this.blobs.has(record.sha256)) throw new StoreError(`file ${record.fileName}: its bytes (${record.sha256}) are not in the raw-file store`, { sha256: record.sha256 });
    if (savepoint) await client.query('SAVEPOINT record_file');
    try {
      const id = await this.insertFile(client, record);
      if (savepoint) await client.query('RELEASE SAVEPOINT record_file');
      return id;
    } catch (e) {
      if (savepoint) await client.query('ROLLBACK TO SAVEPOINT record_file');
      throw e;
    }
  }

  private async insertFile(client: pg.ClientBase, record: FileRecord): Promise<number> {
    const sql = new PostgresRunner(client);
    const now = new Date().toISOString();
    await sql.run('INSERT INTO blobs (sha256, size, encrypted, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET purged_at = NULL', [
      record.sha256,
      record.size,
      this.blobs.encrypting ? 1 : 0,
      now,
    ]);
    const columns = `parent_id, kind, direction, partner, control, doc_type, version, sender, receiver, file_name, blob_sha256,
         status, status_reason, contains_pii, diagnostics, created_at, updated_at, completed_at, received_key`;
    const values = `@parent, @kind, @direction, @partner, @control, @docType, @version, @sender, @receiver, @fileName, @sha,
         @status, @reason, @pii, @diagnostics, @now, @now, @completed, @receivedKey`;
    const event = 'INSERT INTO message_events (message_id, at, from_status, to_status, reason) VALUES (?, ?, NULL, ?, ?)';
    const file = await sql.get<{ id: number }>(`INSERT INTO messages (${columns}) VALUES (${values}) RETURNING id`, fileRowValues(record, now));
    const fileId = file!.id;
    await sql.run(event, [fileId, now, record.status, record.statusReason ?? null]);
    const held: HeldInterchange[] = [];
    const add = async (node: MessageNode, parent: number): Promise<void> => {
      const claim = claimsInterchange(record, node);
      const row = nodeRowValues(record, node, parent, now);
      // The unique index of migration 0002 decides who holds a received interchange: a second
      // receipt, even one committing at the same moment on another instance, inserts nothing.
      const inserted = claim
        ? await sql.get<{ id: number }>(`INSERT INTO messages (${columns}) VALUES (${values}) ON CONFLICT (sender, received_key) WHERE received_key IS NOT NULL DO NOTHING RETURNING id`, row)
        : await sql.get<{ id: number }>(`INSERT INTO messages (${columns}) VALUES (${values}) RETURNING id`, row);
      if (!inserted) {
        held.push({ sender: node.sender!, control: node.control! });
        return;
      }
      await sql.run(event, [inserted.id, now, node.status, node.statusReason ?? null]);
      for (const c of node.children ?? []) await add(c, inserted.id);
    };
    for (const c of record.children) await add(c, fileId);
    // Throwing takes the whole file back: it is recorded again with these marked duplicates.
    if (held.length) throw new DuplicateInterchangeError(held);
    return fileId;
  }

  hasInterchange(senderQualifier: string, senderId: string, control: string): boolean {
    return !!this.sync.get('SELECT 1 FROM messages WHERE sender = ? AND received_key = ? LIMIT 1', [`${senderQualifier}:${senderId}`, receivedKey(control)]);
  }

  /** Control numbers compared as numbers when they are digits (SQLite's CAST), else as text. */
  private static controlMatch(control: string): { where: string; value: string } {
    return /^\d{1,18}$/.test(control)
      ? { where: "CASE WHEN control ~ '^[0-9]{1,18}$' THEN CAST(control AS BIGINT) END = CAST(? AS BIGINT)", value: control }
      : { where: 'control = ?', value: control };
  }

  findSent(partner: string, groupControl: string, setControl?: string): MessageRow | null {
    const m = PostgresMessageStore.controlMatch(groupControl);
    const group = this.sync.get<MessageDbRow>(`SELECT * FROM messages WHERE partner = ? AND kind = 'group' AND direction = 'out' AND ${m.where} ORDER BY id DESC LIMIT 1`, [partner, m.value]);
    if (!group) return null;
    if (setControl === undefined) return toMessage(group);
    const set = this.sync.get<MessageDbRow>("SELECT * FROM messages WHERE parent_id = ? AND kind = 'set' AND control = ?", [group.id, setControl]);
    return set ? toMessage(set) : null;
  }

  findSentInterchange(partner: string, control: string): MessageRow | null {
    const m = PostgresMessageStore.controlMatch(control);
    const r = this.sync.get<MessageDbRow>(`SELECT * FROM messages WHERE partner = ? AND kind = 'interchange' AND direction = 'out' AND ${m.where} ORDER BY id DESC LIMIT 1`, [partner, m.value]);
    return r ? toMessage(r) : null;
  }

  receivedFiles(partner: string, fileName: string): MessageRow[] {
    return this.sync.all<MessageDbRow>("SELECT * FROM messages WHERE partner = ? AND kind = 'file' AND direction = 'in' AND file_name = ? ORDER BY id", [partner, fileName]).map(toMessage);
  }

  async setContainsPii(id: number, containsPii: boolean): Promise<void> {
    const open = this.openTransaction();
    if (open) return open.repos.messages.setContainsPii(id, containsPii);
    return this.withClient((client) => this.setContainsPiiOn(client, id, containsPii));
  }

  private async setContainsPiiOn(client: pg.ClientBase, id: number, containsPii: boolean): Promise<void> {
    const r = await client.query('UPDATE messages SET contains_pii = $1, updated_at = $2 WHERE id = $3', [containsPii ? 1 : 0, new Date().toISOString(), id]);
    if (r.rowCount === 0) throw new StoreError(`no message ${id}`, { id });
  }

  async setStatus(id: number, status: string, reason?: string, completed = false, now?: string): Promise<void> {
    const open = this.openTransaction();
    if (open) return open.repos.messages.setStatus(id, status, reason, completed, now);
    return this.withClient((client) => this.setStatusOn(client, id, status, reason, completed, now));
  }

  private async setStatusOn(client: pg.ClientBase, id: number, status: string, reason?: string, completed = false, at?: string): Promise<void> {
    const now = at === undefined ? new Date().toISOString() : new Date(at).toISOString();
    // The row lock: two instances changing one message's status write their events in turn.
    const before = (await client.query('SELECT status FROM messages WHERE id = $1 FOR UPDATE', [id])).rows[0] as { status: string } | undefined;
    if (!before) throw new StoreError(`no message ${id}`, { id });
    await client.query('UPDATE messages SET status = $1, status_reason = $2, updated_at = $3, completed_at = CASE WHEN $4 THEN $3 ELSE completed_at END WHERE id = $5', [
      status,
      reason ?? null,
      now,
      completed,
      id,
    ]);
    await client.query('INSERT INTO message_events (message_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, $4, $5)', [id, now, before.status, status, reason ?? null]);
  }

  get(id: number): MessageRow | null {
    const r = this.sync.get<MessageDbRow>('SELECT * FROM messages WHERE id = ?', [id]);
    return r ? toMessage(r) : null;
  }

  trace(id: number): Trace | null {
    // The message and its parents in one round trip, up the tree.
    const chain = this.sync.all<MessageDbRow & { depth: number }>(
      `WITH RECURSIVE up AS (SELECT m.*, 0 AS depth FROM messages m WHERE m.id = ?
         UNION ALL SELECT p.*, up.depth + 1 FROM messages p JOIN up ON p.id = up.parent_id)
       SELECT * FROM up ORDER BY depth`,
      [id],
    );
    if (chain.length === 0) return null;
    const [message, ...parents] = chain.map(({ depth: _depth, ...r }) => toMessage(r as MessageDbRow));
    const children = this.sync.all<MessageDbRow>('SELECT * FROM messages WHERE parent_id = ? ORDER BY id', [id]).map(toMessage);
    const events = this.sync
      .all<{ at: string; from_status: string | null; to_status: string; reason: string | null }>('SELECT at, from_status, to_status, reason FROM message_events WHERE message_id = ? ORDER BY id', [id])
      .map((e) => ({ at: e.at, fromStatus: e.from_status, toStatus: e.to_status, reason: e.reason }));
    return { message, parents, children, events };
  }

  list(options: { limit?: number; kind?: MessageRow['kind'] } = {}): MessageRow[] {
    const rows = options.kind
      ? this.sync.all<MessageDbRow>('SELECT * FROM messages WHERE kind = ? ORDER BY id DESC LIMIT ?', [options.kind, options.limit ?? 50])
      : this.sync.all<MessageDbRow>('SELECT * FROM messages ORDER BY id DESC LIMIT ?', [options.limit ?? 50]);
    return rows.map(toMessage);
  }

  // ---------------------------------------------------------------- retention

  /** As SQLite's (src/store/README.md "Retention"), in one transaction; the bytes go after it commits. */
  async purgeExpired(now = new Date(), options: { dryRun?: boolean } = {}): Promise<PurgeResult> {
    const cutoff = new Date(now.getTime() - this.options.retentionDays * 86_400_000).toISOString();
    const stamp = now.toISOString();
    const dryRun = options.dryRun ?? false;
    if (this.openTransaction()) throw new TransactionError('purgeExpired runs outside a transaction');
    const result = await this.withClient(async (client) => {
      const sql = new PostgresRunner(client);
      const chosen = await this.choosePurge(sql, cutoff, dryRun);
      const jobs = new SqlJobs(sql);
      if (dryRun) {
        const doneJobs = await jobs.deleteDoneBefore(cutoff, true);
        if (doneJobs) chosen.doneJobs = doneJobs;
        return chosen;
      }
      for (const f of chosen.files) {
        await sql.run('UPDATE messages SET purged_at = ?, updated_at = ? WHERE id = ?', [stamp, stamp, f.id]);
        await sql.run("INSERT INTO message_events (message_id, at, from_status, to_status, reason) SELECT id, ?, status, status, 'raw file purged by retention policy' FROM messages WHERE id = ?", [stamp, f.id]);
        await this.redactTree(sql, f.id);
      }
      for (const b of chosen.blobs) await sql.run('UPDATE blobs SET purged_at = ? WHERE sha256 = ?', [stamp, b]);
      const doneJobs = await jobs.deleteDoneBefore(cutoff, false);
      if (doneJobs) chosen.doneJobs = doneJobs;
      return chosen;
    });
    if (dryRun) return result;
    // Bytes go after the rows say so; a failed deletion is retried by the next run.
    for (const b of this.sync.all<{ sha256: string }>('SELECT sha256 FROM blobs WHERE purged_at IS NOT NULL')) this.blobs.remove(b.sha256);
    for (const d of result.orderDocuments ?? []) this.blobs.remove(d.sha256);
    return result;
  }

  private async choosePurge(sql: PostgresRunner, cutoff: string, dryRun: boolean): Promise<PurgeResult> {
    const expiredWhere = 'contains_pii = 1 AND completed_at IS NOT NULL AND completed_at < ?';
    const expired = await sql.all<{ id: number; partner: string | null; file_name: string | null; blob_sha256: string; completed_at: string }>(
      `SELECT id, partner, file_name, blob_sha256, completed_at FROM messages WHERE kind = 'file' AND purged_at IS NULL AND ${expiredWhere} ORDER BY completed_at, id`,
      [cutoff],
    );
    const kept = async (sha: string) =>
      !!(await sql.get(`SELECT 1 FROM messages WHERE blob_sha256 = ? AND purged_at IS NULL AND NOT (${expiredWhere}) LIMIT 1`, [sha, cutoff])) ||
      !!(await sql.get(retentionSql.documentKeptByOrder, { sha, cutoff }));
    const files: PurgedFile[] = [];
    const blobs = new Set<string>();
    const verdict = new Map<string, boolean>();
    for (const m of expired) {
      if (!verdict.has(m.blob_sha256)) verdict.set(m.blob_sha256, !(await kept(m.blob_sha256)));
      if (!verdict.get(m.blob_sha256)) continue;
      files.push({ id: m.id, partner: m.partner, fileName: m.file_name, sha256: m.blob_sha256, completedAt: m.completed_at });
      blobs.add(m.blob_sha256);
    }
    const result: PurgeResult = { dryRun, cutoff, files, blobs: [...blobs] };
    // Orders in a final state since before the cutoff: their ShipOrder document names the buyer and serves nothing any more.
    const documents: PurgedOrderDocument[] = [];
    for (const r of await sql.all<{ seller: string; order_id: string; document_sha256: string }>(retentionSql.expiredOrderDocuments, { cutoff })) {
      if (blobs.has(r.document_sha256) || !this.blobs.has(r.document_sha256)) continue;
      if (await kept(r.document_sha256)) continue;
      documents.push({ seller: r.seller, orderId: r.order_id, sha256: r.document_sha256 });
    }
    if (documents.length) {
      result.orderDocuments = documents;
      result.blobs.push(...new Set(documents.map((d) => d.sha256)));
    }
    return result;
  }

  /** What was recorded about a purged file's content, in the file and every message under it (see SQLite's). */
  private async redactTree(sql: PostgresRunner, fileId: number): Promise<void> {
    const tree = `WITH RECURSIVE tree(id) AS (SELECT CAST(? AS BIGINT) UNION ALL SELECT m.id FROM messages m JOIN tree ON m.parent_id = tree.id) SELECT id FROM tree`;
    for (const r of await sql.all<{ id: number; diagnostics: string | null }>(`SELECT id, diagnostics FROM messages WHERE id IN (${tree})`, [fileId])) {
      if (!r.diagnostics) continue;
      const d = JSON.parse(r.diagnostics) as DiagnosticsSummary;
      await sql.run('UPDATE messages SET diagnostics = ? WHERE id = ?', [JSON.stringify({ errors: d.errors, warnings: d.warnings, first: [], redacted: true } satisfies DiagnosticsSummary), r.id]);
    }
    await sql.run(
      `UPDATE messages SET status_reason = ? WHERE id IN (${tree}) AND status_reason IN
         (SELECT reason FROM message_events e WHERE e.message_id = messages.id AND e.from_status IS NULL)`,
      [REDACTED, fileId],
    );
    await sql.run(`UPDATE message_events SET reason = ? WHERE from_status IS NULL AND reason IS NOT NULL AND message_id IN (${tree})`, [REDACTED, fileId]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
    await this.sync.close();
  }
}

