/**
 * Opening the configured message store for the CLI. Recording what is received and settling
 * acknowledgements live in src/tracking/acknowledgements.ts, shared with the flows; they are
 * re-exported here for the commands (and tests) that import them from the CLI.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/config.ts';
import { openStore, type MessageStore } from '../store/index.ts';
import { requireDataDir } from './user-paths.ts';

export { recordAcknowledgementResults, recordReceivedFile, recordSentAcknowledgement, recordTa1Result, validateAndStore } from '../tracking/acknowledgements.ts';

let warnedUnencrypted = false;

/**
 * Open the configured store. Read-only creates nothing (a missing data directory reads as an
 * empty store). Opened to record without a store key, it says once per process, on stderr, that
 * raw files (buyer names and addresses among them) are kept in clear.
 */
export async function openConfiguredStore(loaded: LoadedConfig, options: { readOnly?: boolean; recording?: boolean } = {}): Promise<MessageStore> {
  const store = openStore({ dataDir: requireDataDir(loaded.dataDir), encryptionKey: loaded.storeKey, retentionDays: loaded.config.store.retentionDays, databaseUrl: loaded.databaseUrl, poolSize: loaded.config.store.postgres?.poolSize, readOnly: options.readOnly });
  if (!options.readOnly && (options.recording ?? true) && !loaded.storeKey && !warnedUnencrypted) {
    warnedUnencrypted = true;
    process.stderr.write(
      `dockgate: warning: ${loaded.config.store.encryptionKeyEnv} is not set: raw files (buyer names and addresses among them) are stored unencrypted in ${join(loaded.dataDir, 'raw')}; set it to a 32-byte key to encrypt them (README: Security)\n`,
    );
  }
  return store;
}
