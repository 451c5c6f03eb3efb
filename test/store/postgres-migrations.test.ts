/**
 * The PostgreSQL migrations (src/store/postgres/migrations, src/store/postgres/migrate.ts) on a
 * real server (test/store/postgres-server.ts): applied once, append-only, applied once by
 * several instances starting together, and the same schema as SQLite's — the tables, their
 * columns in order (with their types and NOT NULL) and the index names — so that a migration
 * added on one side without its twin on the other fails here.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { migrate, MigrationError, openStore } from '../../src/store/index.ts';
import { MIGRATION_LOCK_KEY, migratePostgres, migrationFiles, POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrate.ts';
import { SyncPostgres } from '../../src/store/postgres/sync-client.ts';
import { realPostgresPerFile } from './postgres-per-file.ts';

const { skip: SKIP, server } = realPostgresPerFile('migration');
const ROOT = resolve(import.meta.dirname, '../..');
const SQLITE_MIGRATIONS = join(ROOT, 'src/store/migrations');

/** A SyncPostgres on a new empty database, closed after the test. */
async function freshSync(t: { after: (fn: () => Promise<void>) => void }): Promise<{ url: string; db: SyncPostgres }> {
  const url = await server().freshDatabase('mig');
  const db = new SyncPostgres(url);
  t.after(() => db.close());
  return { url, db };
}

/** A copy of the PostgreSQL migrations to change, removed after the test. */
function migrationsCopy(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-pgmig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(POSTGRES_MIGRATIONS, dir, { recursive: true });
  return dir;
}

function ledger(db: SyncPostgres): Array<{ version: number; name: string }> {
  return db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
}

test('postgres migrations: all apply on an empty database, a second run applies none', async (t) => {
  if (SKIP) return t.skip(SKIP);
  const { db } = await freshSync(t);
  const files = migrationFiles(POSTGRES_MIGRATIONS);
  assert.deepEqual(files, migrationFiles(SQLITE_MIGRATIONS), 'one PostgreSQL migration per SQLite migration, same numbers and names');
  assert.equal(migratePostgres(db), files.length);
  assert.equal(migratePostgres(db), 0);
  assert.deepEqual(
    ledger(db),
    files.map((name) => ({ version: Number(name.slice(0, 4)), name })),
  );
  // The ledger's checksum is the file text's sha256, as SQLite's ledger has it.
  const row = db.get<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = 1');
  assert.match(row!.checksum, /^[0-9a-f]{64}$/);
});

test('postgres migrations: a changed applied migration is refused, and nothing after it is applied', async (t) => {
  if (SKIP) return t.skip(SKIP);
  const { db } = await freshSync(t);
  const dir = migrationsCopy(t);
  migratePostgres(db, dir);
  appendFileSync(join(dir, '0003_gateway_core.sql'), '\n-- an edit after the fact\n');
  writeFileSync(join(dir, '0099_later.sql'), 'CREATE TABLE later (id BIGINT);\n');
  assert.throws(
    () => migratePostgres(db, dir),
    (e: unknown) => e instanceof MigrationError && /0003_gateway_core\.sql was changed after it was applied/.test(e.message),
  );
  assert.equal(db.get('SELECT 1 AS x FROM information_schema.tables WHERE table_name = ?', ['later']), undefined);
  assert.equal(ledger(db).length, migrationFiles(POSTGRES_MIGRATIONS).length);
});

test('postgres migrations: a failing migration leaves nothing of itself and is not recorded', async (t) => {
  if (SKIP) return t.skip(SKIP);
  const { db } = await freshSync(t);
  const dir = migrationsCopy(t);
  writeFileSync(join(dir, '0099_broken.sql'), 'CREATE TABLE half (id BIGINT);\nSELECT no_such_function();\n');
  assert.throws(() => migratePostgres(db, dir), (e: unknown) => e instanceof MigrationError && /0099_broken\.sql failed: .*no_such_function/.test(e.message));
  assert.equal(db.get('SELECT 1 AS x FROM information_schema.tables WHERE table_name = ?', ['half']), undefined);
  assert.equal(db.get('SELECT 1 AS x FROM schema_migrations WHERE version = 99'), undefined);
  // The connection is usable after the rollback.
  assert.equal(migratePostgres(db), 0);
});

test('postgres migrations: 0002 on existing receipts picks the same holders as SQLite’s 0002', async (t) => {
  if (SKIP) return t.skip(SKIP);
  const { db } = await freshSync(t);
  const only0001 = (from: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dockgate-pgmig-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(from, '0001_init.sql'), join(dir, '0001_init.sql'));
    return dir;
  };
  const sqliteDir = mkdtempSync(join(tmpdir(), 'dockgate-pgmig-'));
  t.after(() => rmSync(sqliteDir, { recursive: true, force: true }));
  const lite = new Database(join(sqliteDir, 'dockgate.sqlite'));
  t.after(() => lite.close());
  migrate(lite, only0001(SQLITE_MIGRATIONS));
  migratePostgres(db, only0001(POSTGRES_MIGRATIONS));
  // Padded and unpadded numbers, text, empty, blank and missing controls, other senders, sent ones, groups.
  const controls = ['000000101', '101', '0000101', '0', '000000000', 'ABC', '', ' ', '00A1', null];
  const senders = ['ZZ:RENOWMS', '01:123456789', null];
  let id = 0;
  const insert = "INSERT INTO messages (id, kind, direction, sender, control, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'valid', '2026-01-01', '2026-01-01')";
  for (const kind of ['interchange', 'group'])
    for (const direction of ['in', 'out'])
      for (const sender of senders)
        for (const control of controls) {
          const row = [++id, kind, direction, sender, control];
          lite.prepare(insert).run(row);
          db.query(insert, row);
        }
  migrate(lite, SQLITE_MIGRATIONS);
  migratePostgres(db);
  const holders = 'SELECT id, received_key FROM messages WHERE received_key IS NOT NULL ORDER BY id';
  const expected = lite.prepare(holders).all();
  assert.ok(expected.length >= 8, 'the SQLite migration picked holders');
  assert.deepEqual(db.all(holders), expected);
});

/** Runs the fixture in a child: resolves with it once it said "ready"; `done` with its output. */
function migratingChild(url: string): Promise<{ go: () => void; done: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/store/fixtures/migrate-postgres.ts'), url], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const done = new Promise<string>((res, rej) => child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`migrating child exited with ${code}: ${err}`)))));
  return new Promise((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.startsWith('ready\n')) res({ go: () => child.stdin.end('go\n'), done });
    });
    done.catch(rej);
  });
}

test('postgres migrations: 4 instances migrating one fresh database at once apply each migration once', { timeout: 120_000 }, async (t) => {
  if (SKIP) return t.skip(SKIP);
  const url = await server().freshDatabase('mig');
  // The test holds the migrations' lock first, so that all 4 are queued on it before any starts:
  // they then contend for real instead of one finishing before the next connects.
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  t.after(() => holder.end());
  await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  const children = await Promise.all([0, 1, 2, 3].map(() => migratingChild(url)));
  for (const c of children) c.go();
  for (;;) {
    const r = await holder.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted",
    );
    if (r.rows[0].n === 4) break;
    await new Promise((r) => setImmediate(r));
  }
  await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  const outputs = await Promise.all(children.map((c) => c.done));
  const applied = outputs.map((o) => Number(/applied (\d+)/.exec(o)![1]));
  const files = migrationFiles(POSTGRES_MIGRATIONS);
  assert.equal(
    applied.reduce((a, b) => a + b, 0),
    files.length,
    `applied per instance: ${applied.join(', ')}`,
  );
  const rows = await holder.query<{ version: number; n: number }>('SELECT version::int AS version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version');
  assert.deepEqual(
    rows.rows,
    files.map((f) => ({ version: Number(f.slice(0, 4)), n: 1 })),
  );
});

interface Column {
  name: string;
  type: string;
  notNull: boolean;
}
interface IndexShape {
  name: string;
  unique: boolean;
  partial: boolean;
}
interface Schema {
  columns: Record<string, Column[]>;
  indexes: Record<string, IndexShape[]>;
}

/** SQLite's declared types as PostgreSQL's migrations spell them. */
const PG_TYPE: Record<string, string> = { INTEGER: 'bigint', TEXT: 'text', REAL: 'double precision' };

function sqliteSchema(file: string): Schema {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
    const schema: Schema = { columns: {}, indexes: {} };
    for (const { name } of tables) {
      const info = db.prepare(`PRAGMA table_info(${JSON.stringify(name)})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>;
      // A PRIMARY KEY column is NOT NULL in PostgreSQL (SQLite allows NULL in a non-INTEGER one, for history's sake).
      schema.columns[name] = info.map((c) => ({ name: c.name, type: PG_TYPE[c.type] ?? `? ${c.type}`, notNull: c.notnull === 1 || c.pk > 0 }));
      const list = db.prepare(`PRAGMA index_list(${JSON.stringify(name)})`).all() as Array<{ name: string; unique: number; origin: string; partial: number }>;
      // origin 'c': created by CREATE INDEX; 'pk' / 'u' back a constraint (PostgreSQL names those itself).
      schema.indexes[name] = list
        .filter((i) => i.origin === 'c')
        .map((i) => ({ name: i.name, unique: i.unique === 1, partial: i.partial === 1 }))
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    return schema;
  } finally {
    db.close();
  }
}

async function postgresSchema(url: string): Promise<Schema> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const cols = await c.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    );
    const idx = await c.query<{ table_name: string; index_name: string; unique: boolean; partial: boolean }>(
      `SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS unique, x.indpred IS NOT NULL AS partial
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
    );
    const schema: Schema = { columns: {}, indexes: {} };
    for (const r of cols.rows) (schema.columns[r.table_name] ??= []).push({ name: r.column_name, type: r.data_type, notNull: r.is_nullable === 'NO' });
    for (const table of Object.keys(schema.columns)) schema.indexes[table] = [];
    for (const r of idx.rows) schema.indexes[r.table_name].push({ name: r.index_name, unique: r.unique, partial: r.partial });
    for (const list of Object.values(schema.indexes)) list.sort((a, b) => a.name.localeCompare(b.name));
    // Sorted by name as SQLite's are, whatever order the catalogue lists them in.
    return {
      columns: Object.fromEntries(Object.entries(schema.columns).sort(([a], [b]) => a.localeCompare(b))),
      indexes: Object.fromEntries(Object.entries(schema.indexes).sort(([a], [b]) => a.localeCompare(b))),
    };
  } finally {
    await c.end();
  }
}

test('postgres migrations: after all of them the schema is SQLite’s — tables, columns in order, index names', async (t) => {
  if (SKIP) return t.skip(SKIP);
  const { url, db } = await freshSync(t);
  migratePostgres(db);
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-parity-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  await openStore({ dataDir }).close();
  const sqlite = sqliteSchema(join(dataDir, 'dockgate.sqlite'));
  const postgres = await postgresSchema(url);
  assert.deepEqual(Object.keys(postgres.columns), Object.keys(sqlite.columns), 'the same tables');
  for (const table of Object.keys(sqlite.columns)) {
    assert.deepEqual(postgres.columns[table], sqlite.columns[table], `the columns of ${table}, in order`);
    assert.deepEqual(postgres.indexes[table], sqlite.indexes[table], `the indexes of ${table}`);
  }
});
