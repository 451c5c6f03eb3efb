export { FileBlobStore, parseKey } from './blob-store.ts';
export { BlobIntegrityError, DuplicateInterchangeError, StoreError, StoreKeyError, type HeldInterchange } from './errors.ts';
export { migrate, MigrationError, SqliteMessageStore } from './sqlite/sqlite-store.ts';
export type * from './store.ts';

import { parseKey } from './blob-store.ts';
import { SqliteMessageStore } from './sqlite/sqlite-store.ts';
import type { MessageStore } from './store.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** Key text from the environment (64 hex characters or base64); absent = no encryption. */
  encryptionKey?: string;
  retentionDays?: number;
  readOnly?: boolean;
}

/** Open the embedded store: <dataDir>/dockgate.sqlite and <dataDir>/raw/. */
export function openStore(options: OpenStoreOptions): MessageStore & { blobs: SqliteMessageStore['blobs'] } {
  return new SqliteMessageStore({
    dataDir: options.dataDir,
    encryptionKey: options.encryptionKey ? parseKey(options.encryptionKey) : null,
    retentionDays: options.retentionDays ?? 30,
    readOnly: options.readOnly,
  });
}
