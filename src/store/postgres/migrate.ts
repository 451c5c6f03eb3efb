/**
 * PostgreSQL migrations: src/store/postgres/migrations/NNNN_name.sql, one per SQLite migration
 * (src/store/migrations, same numbers and names), applied in order with the same ledger as
 * SQLite's (`schema_migrations`: version, name, checksum = sha256 of the file text, applied_at)
 * and the same rule: append-only, a changed applied migration is refused.
 *
 * Several instances may start at once on one database. Each migration runs in its own
 * transaction that first takes a transaction-level advisory lock (the same fixed key for every
 * Dockgate instance) and only then reads the ledger: the second instance waits for the first
 * one's commit, then sees the migration applied and skips it. The ledger table itself is created
 * under that lock too (CREATE TABLE IF NOT EXISTS is not safe against a concurrent creator).
 *
 * Synchronous, over SyncPostgres (one connection), as the SQLite store migrates in its
 * constructor: a migration's text goes as one simple query (no parameters), which PostgreSQL
 * runs as its several statements inside the open transaction.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationError } from '../message-rows.ts';
import type { SyncPostgres } from './sync-client.ts';

export const POSTGRES_MIGRATIONS = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The advisory lock key migrations serialise on: 'dockgate' as 8 ASCII bytes, a bigint. */
export const MIGRATION_LOCK_KEY = '7237112439154766949';

const LEDGER = 'CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** The migration files of `dir` in order: NNNN_name.sql. */
export function migrationFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/** Apply the pending migrations of `dir`; the number applied. Throws MigrationError for a changed applied one. */
export function migratePostgres(db: SyncPostgres, dir = POSTGRES_MIGRATIONS): number {
  let count = 0;
  for (const file of migrationFiles(dir)) {
    const version = Number(file.slice(0, 4));
    const sql = readFileSync(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    db.query('BEGIN');
    try {
      db.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      db.query(LEDGER);
      const done = db.get<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = ?', [version]);
      if (done && done.checksum !== checksum) {
        throw new MigrationError(`migration ${file} was changed after it was applied; migrations are append-only: add a new one`, { file, version });
      }
      if (!done) {
        db.query(sql);
        db.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [version, file, checksum, new Date().toISOString()]);
        count++;
      }
      db.query('COMMIT');
    } catch (e) {
      try {
        db.query('ROLLBACK');
      } catch {
        // The connection is gone: the server rolled the transaction back itself.
      }
      throw e instanceof MigrationError ? e : new MigrationError(`migration ${file} failed: ${(e as Error).message}`, { file, version, cause: e });
    }
  }
  return count;
}
