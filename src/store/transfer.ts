/**
 * `dockgate store migrate --to postgres://...`: an existing SQLite data directory copied into an
 * EMPTY PostgreSQL database, which then serves as the store of one or several instances.
 *
 * - The source is opened read-only, and read in one read transaction: one consistent snapshot
 *   even if something still writes (which it must not: a lease still running in `locks` or on a
 *   job means a gateway holds the store, and the copy is refused).
 * - The target gets the PostgreSQL migrations first; both stores must then be at the same
 *   migration, so that their tables and columns are the same (the migrations' parity test keeps
 *   the two migration sets mirrored).
 * - Every table except the ledger is copied in foreign-key order, rows in rowid order (a message's
 *   parent comes before it), in batches of multi-row INSERTs read with `.iterate()`: no table is
 *   ever held in memory whole. All of it in ONE PostgreSQL transaction that first locks every
 *   table and checks that none holds a row: a failure anywhere, or a second migrate at the same
 *   time, leaves the target as it was.
 * - The identity sequences are set past the copied ids (past SQLite's AUTOINCREMENT counter where
 *   it is higher: a package id is never handed out twice), and the row counts of both sides are
 *   compared before COMMIT.
 * - Raw files stay files: the PostgreSQL store reads them from <its dataDir>/raw. They are copied
 *   (before the COMMIT, so that a failed copy leaves the target empty) only when asked to.
 *
 * The URL's password is never part of a message (redactUrl).
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import pg from 'pg';
import { StoreError } from './errors.ts';
import { MIGRATION_LOCK_KEY, migratePostgres } from './postgres/migrate.ts';
import { redactUrl } from './postgres/postgres-store.ts';
import { SyncPostgres } from './postgres/sync-client.ts';

/** The copy cannot start as things are (target not empty, store in use, versions differ): nothing was changed. */
export class TransferRefusedError extends StoreError {
  override name = 'TransferRefusedError';
}

/** The copy failed part way: the PostgreSQL transaction was rolled back, the target is as it was. */
export class TransferError extends StoreError {
  override name = 'TransferError';
}

export interface TransferOptions {
  /** The SQLite data directory: <dataDir>/dockgate.sqlite and <dataDir>/raw. */
  dataDir: string;
  /** postgres://user:password@host:port/database, an empty (or freshly migrated, empty) database. */
  url: string;
  /** Copy <dataDir>/raw here (a folder named raw: the PostgreSQL store reads <its dataDir>/raw). */
  rawDir?: string;
  /** For the lease check. */
  now?: Date;
  /** Rows per INSERT statement (at most; fewer for wide tables). */
  batchRows?: number;
}

export interface TransferResult {
  /** In the order copied. */
  tables: Array<{ table: string; rows: number }>;
  /** <dataDir>/raw of the source. */
  rawSource: string;
  /** Where the raw files were copied, or null (not asked to). */
  rawCopiedTo: string | null;
  /** Files in the raw store (its tmp folder aside). */
  rawFiles: number;
  /** Some raw files are encrypted: the PostgreSQL instances need the same store key. */
  encrypted: boolean;
  /** The migration both stores are at. */
  migration: number;
}

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;
const DEFAULT_BATCH_ROWS = 500;
const LEDGER = 'schema_migrations';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

interface SourceTable {
  name: string;
  columns: string[];
  /** Tables its foreign keys point at (itself excluded). */
  references: string[];
}

/** The tables of the SQLite schema, parents before the tables referencing them. */
function sourceTables(db: Database.Database): SourceTable[] {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name").all(LEDGER) as Array<{ name: string }>).map((r) => r.name);
  const tables = new Map<string, SourceTable>();
  for (const name of names) {
    const columns = (db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{ name: string }>).map((c) => c.name);
    const references = [...new Set((db.prepare(`PRAGMA foreign_key_list(${quote(name)})`).all() as Array<{ table: string }>).map((f) => f.table))].filter((t) => t !== name);
    tables.set(name, { name, columns, references });
  }
  const ordered: SourceTable[] = [];
  const placed = new Set<string>();
  const visit = (t: SourceTable, path: string[]) => {
    if (placed.has(t.name)) return;
    if (path.includes(t.name)) throw new TransferError(`the SQLite tables' foreign keys form a cycle: ${[...path, t.name].join(' -> ')}`);
    for (const r of t.references) {
      const parent = tables.get(r);
      if (parent) visit(parent, [...path, t.name]);
    }
    placed.add(t.name);
    ordered.push(t);
  };
  for (const t of tables.values()) visit(t, []);
  return ordered;
}

/** Leases still running: a gateway (or a command) is using the store. */
function runningLeases(db: Database.Database, now: string): string[] {
  const locks = db.prepare('SELECT name, owner, lease_until FROM locks WHERE lease_until > ? ORDER BY name').all(now) as Array<{ name: string; owner: string; lease_until: string }>;
  const jobs = db.prepare("SELECT id, kind, lease_owner, lease_until FROM jobs WHERE state = 'pending' AND lease_owner IS NOT NULL AND lease_until > ? ORDER BY id LIMIT 5").all(now) as Array<{
    id: bigint;
    kind: string;
    lease_owner: string;
    lease_until: string;
  }>;
  return [
    ...locks.map((l) => `lock ${l.name} held by ${l.owner} until ${l.lease_until}`),
    ...jobs.map((j) => `job ${j.id} (${j.kind}) leased by ${j.lease_owner} until ${j.lease_until}`),
  ];
}

function rawFileCount(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  const tmp = join(dir, 'tmp');
  return existsSync(tmp) ? n - rawFileCount(tmp) : n;
}

/** Where the raw files may be copied: a folder named raw, not inside the source's. */
function checkRawTarget(rawSource: string, rawDir: string): string {
  const target = resolve(rawDir);
  if (basename(target) !== 'raw') {
    throw new TransferRefusedError(
      `--raw-dir ${target}: the PostgreSQL store reads raw files from <its dataDir>/raw, so name a folder called raw (e.g. --raw-dir /srv/dockgate/raw, then dataDir: /srv/dockgate)`,
    );
  }
  const inside = relative(resolve(rawSource), target);
  if (inside === '' || (!inside.startsWith('..') && !inside.startsWith(sep))) throw new TransferRefusedError(`--raw-dir ${target} is the source's raw folder or inside it`);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new TransferRefusedError(`--raw-dir ${target} is a file, not a folder`);
  return target;
}

/** The PostgreSQL migrations, on a connection of their own (synchronous, as the store runs them). */
function migrateTarget(url: string): void {
  const sync = new SyncPostgres(url);
  try {
    try {
      sync.query('SELECT 1');
    } catch (e) {
      throw new TransferRefusedError(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`);
    }
    migratePostgres(sync);
  } finally {
    void sync.close();
  }
}

async function insertBatch(client: pg.Client, table: SourceTable, rows: unknown[][]): Promise<void> {
  const width = table.columns.length;
  const tuples = rows.map((_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
  await client.query(`INSERT INTO ${quote(table.name)} (${table.columns.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, rows.flat());
}

/** Copy the SQLite store of `dataDir` into the empty PostgreSQL database at `url`. */
export async function transferSqliteToPostgres(options: TransferOptions): Promise<TransferResult> {
  const file = join(options.dataDir, 'dockgate.sqlite');
  const rawSource = join(options.dataDir, 'raw');
  if (!existsSync(file)) throw new TransferRefusedError(`there is no SQLite store to migrate: ${file} does not exist (dataDir in the configuration, or DOCKGATE_DATA_DIR)`);
  const rawTarget = options.rawDir === undefined ? null : checkRawTarget(rawSource, options.rawDir);
  const source = new Database(file, { readonly: true, fileMustExist: true });
  // Integers as BigInt: an id or a count is copied exactly, whatever its size.
  source.defaultSafeIntegers(true);
  source.pragma('busy_timeout = 10000');
  let client: pg.Client | null = null;
  try {
    // One snapshot of the whole source, from the first read to the end.
    source.exec('BEGIN');
    const leases = runningLeases(source, (options.now ?? new Date()).toISOString());
    if (leases.length) {
      throw new TransferRefusedError(`the SQLite store is in use: ${leases.join('; ')}. Stop the gateway (dockgate start) and run this again once its leases have run out`);
    }
    const sourceVersions = (source.prepare(`SELECT version FROM ${LEDGER} ORDER BY version`).all() as Array<{ version: bigint }>).map((r) => Number(r.version));
    const tables = sourceTables(source);
    const encrypted = (source.prepare('SELECT count(*) AS n FROM blobs WHERE encrypted = 1 AND purged_at IS NULL').get() as { n: bigint }).n > 0n;

    migrateTarget(options.url);
    client = new pg.Client({ connectionString: options.url, application_name: 'dockgate-store-migrate' });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw new TransferRefusedError(`cannot connect to PostgreSQL at ${redactUrl(options.url)}: ${(e as Error).message}`);
    }
    const targetVersions = (await client.query<{ version: string }>(`SELECT version FROM ${LEDGER} ORDER BY version`)).rows.map((r) => Number(r.version));
    if (sourceVersions.join() !== targetVersions.join()) {
      const at = (v: number[]) => (v.length ? String(v[v.length - 1]).padStart(4, '0') : 'none');
      throw new TransferRefusedError(
        `the SQLite store is at migration ${at(sourceVersions)}, this version of dockgate at ${at(targetVersions)}: start the gateway of this version once on the SQLite store (it migrates it), stop it, then migrate`,
      );
    }
    const targetColumns = new Map<string, string[]>();
    for (const r of (await client.query<{ table_name: string; column_name: string }>('SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position')).rows) {
      targetColumns.set(r.table_name, [...(targetColumns.get(r.table_name) ?? []), r.column_name]);
    }
    for (const t of tables) {
      if (targetColumns.get(t.name)?.join() !== t.columns.join()) {
        throw new TransferError(`table ${t.name} differs between the stores (SQLite: ${t.columns.join(', ')}; PostgreSQL: ${targetColumns.get(t.name)?.join(', ') ?? 'no such table'})`);
      }
    }

    await client.query('BEGIN');
    try {
      // Serialised with another migrate (and the instances' migrations); no instance writes meanwhile.
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await client.query(`LOCK TABLE ${tables.map((t) => quote(t.name)).join(', ')} IN EXCLUSIVE MODE`);
      const holding: string[] = [];
      for (const t of tables) if ((await client.query(`SELECT 1 FROM ${quote(t.name)} LIMIT 1`)).rowCount) holding.push(t.name);
      if (holding.length) {
        throw new TransferRefusedError(`the PostgreSQL database ${redactUrl(options.url)} already holds Dockgate rows (in ${holding.join(', ')}): migrate into an empty database`);
      }

      const copied: TransferResult['tables'] = [];
      for (const t of tables) {
        const perBatch = Math.max(1, Math.min(options.batchRows ?? DEFAULT_BATCH_ROWS, Math.floor(MAX_PARAMETERS / t.columns.length)));
        const read = source.prepare(`SELECT ${t.columns.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY rowid`).raw(true);
        let batch: unknown[][] = [];
        let rows = 0;
        for (const row of read.iterate() as Iterable<unknown[]>) {
          batch.push(row);
          if (batch.length === perBatch) {
            await insertBatch(client, t, batch);
            rows += batch.length;
            batch = [];
          }
        }
        if (batch.length) await insertBatch(client, t, batch);
        rows += batch.length;
        copied.push({ table: t.name, rows });
      }

      // Identities continue past the copied ids (and past SQLite's AUTOINCREMENT counter).
      const counters = new Map<string, bigint>();
      const hasSequence = source.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
      if (hasSequence) for (const r of source.prepare('SELECT name, seq FROM sqlite_sequence').all() as Array<{ name: string; seq: bigint }>) counters.set(r.name, r.seq);
      const identities = await client.query<{ table_name: string; column_name: string }>("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'");
      for (const { table_name: table, column_name: column } of identities.rows) {
        const max = BigInt((await client.query<{ max: string | null }>(`SELECT max(${quote(column)})::text AS max FROM ${quote(table)}`)).rows[0].max ?? 0);
        const counter = counters.get(table) ?? 0n;
        const last = max > counter ? max : counter;
        if (last > 0n) await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint)', [quote(table), column, last.toString()]);
      }

      // Every row arrived: both sides counted in this transaction and the source's snapshot.
      for (const c of copied) {
        const inSource = Number((source.prepare(`SELECT count(*) AS n FROM ${quote(c.table)}`).get() as { n: bigint }).n);
        const inTarget = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(c.table)}`)).rows[0].n);
        if (inSource !== c.rows || inTarget !== c.rows) throw new TransferError(`table ${c.table}: ${inSource} rows in SQLite, ${c.rows} copied, ${inTarget} in PostgreSQL`);
      }

      // The files before the COMMIT: a failed copy leaves the database empty, to be run again.
      if (rawTarget && existsSync(rawSource)) {
        const tmp = join(rawSource, 'tmp');
        // Content-addressed: a file already there under its name is the same file.
        cpSync(rawSource, rawTarget, { recursive: true, force: false, errorOnExist: false, filter: (from) => from !== tmp && !from.startsWith(tmp + sep) });
      }
      await client.query('COMMIT');
      return { tables: copied, rawSource, rawCopiedTo: rawTarget, rawFiles: rawFileCount(rawSource), encrypted, migration: targetVersions[targetVersions.length - 1] ?? 0 };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } catch (e) {
    if (e instanceof StoreError) throw e;
    // A PostgreSQL error (a constraint, a type) or a file-system one: with context, never the password.
    throw new TransferError(`copying into ${redactUrl(options.url)} failed, nothing was kept there: ${(e as Error).message}`, { cause: e });
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
    source.close();
    await client?.end().catch(() => undefined);
  }
}
