export { FileBlobStore, parseKey } from './blob-store.ts';
export { BlobIntegrityError, DuplicateInterchangeError, StoreError, StoreKeyError, type HeldInterchange } from './errors.ts';
export { migrate, SqliteMessageStore } from './sqlite/sqlite-store.ts';
export { MigrationError, TransactionError } from './message-rows.ts';
export { PostgresMessageStore, redactUrl } from './postgres/postgres-store.ts';
export { StateValueError } from './states.ts';
export { DEFAULT_SEVERITY, defaultSeverity, MAX_REFS } from './repos/exceptions.ts';
export type * from './store.ts';
export * from './work.ts';

import { parseKey } from './blob-store.ts';
import { PostgresMessageStore } from './postgres/postgres-store.ts';
import { SqliteMessageStore } from './sqlite/sqlite-store.ts';
import type { FileBlobStore } from './blob-store.ts';
import type { GatewayStore } from './work.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** Key text from the environment (64 hex characters or base64); absent = no encryption. */
  encryptionKey?: string;
  retentionDays?: number;
  readOnly?: boolean;
  /** postgres://...: the store is PostgreSQL (raw files still under <dataDir>/raw); absent: SQLite. */
  databaseUrl?: string;
  /** PostgreSQL: connections of this instance's pool. */
  poolSize?: number;
}

/**
 * Open the store: SQLite at <dataDir>/dockgate.sqlite (the embedded default), or PostgreSQL when
 * a database URL is given; raw files under <dataDir>/raw/ either way. The message log and the
 * durable work.
 */
export function openStore(options: OpenStoreOptions): GatewayStore & { blobs: FileBlobStore } {
  if (options.databaseUrl) {
    return new PostgresMessageStore({
      url: options.databaseUrl,
      dataDir: options.dataDir,
      encryptionKey: options.encryptionKey ? parseKey(options.encryptionKey) : null,
      retentionDays: options.retentionDays ?? 30,
      readOnly: options.readOnly,
      poolSize: options.poolSize,
    });
  }
  return new SqliteMessageStore({
    dataDir: options.dataDir,
    encryptionKey: options.encryptionKey ? parseKey(options.encryptionKey) : null,
    retentionDays: options.retentionDays ?? 30,
    readOnly: options.readOnly,
  });
}
