export { FileBlobStore, parseKey } from './blob-store.ts';
export { BlobIntegrityError, DuplicateInterchangeError, StoreError, StoreKeyError, type HeldInterchange } from './errors.ts';
export { migrate, MigrationError, SqliteMessageStore, TransactionError } from './sqlite/sqlite-store.ts';
export { StateValueError } from './sqlite/states.ts';
export { DEFAULT_SEVERITY, defaultSeverity, MAX_REFS } from './sqlite/exceptions.ts';
export type * from './store.ts';
export * from './work.ts';

import { parseKey } from './blob-store.ts';
import { SqliteMessageStore } from './sqlite/sqlite-store.ts';
import type { FileBlobStore } from './blob-store.ts';
import type { GatewayStore } from './work.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** Key text from the environment (64 hex characters or base64); absent = no encryption. */
  encryptionKey?: string;
  retentionDays?: number;
  readOnly?: boolean;
}

/** Open the embedded store: <dataDir>/dockgate.sqlite and <dataDir>/raw/. The message log and the durable work. */
export function openStore(options: OpenStoreOptions): GatewayStore & { blobs: FileBlobStore } {
  return new SqliteMessageStore({
    dataDir: options.dataDir,
    encryptionKey: options.encryptionKey ? parseKey(options.encryptionKey) : null,
    retentionDays: options.retentionDays ?? 30,
    readOnly: options.readOnly,
  });
}
