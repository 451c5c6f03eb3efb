/**
 * The store and context the `messages` and `exceptions` commands work with: read-only for
 * what only looks, and a full GatewayContext (mappings loaded now, the configured Amazon
 * endpoint and transports) for what acts (resend, retry), logging to stderr so that stdout
 * carries only the command's answer.
 */
import { formatProblem, loadMappings } from '../mapping/load.ts';
import type { LoadedConfig } from '../config/config.ts';
import { ConfigError } from '../config/config.ts';
import { openStore } from '../store/index.ts';
import type { GatewayStore } from '../store/work.ts';
import { requireDataDir, requireInputDir } from '../cli/user-paths.ts';
import { resolveGatewayConfig } from './config.ts';
import { buildGatewayContext, gatewayLogger, type BuiltContext } from './context.ts';

export function openReadOnlyStore(loaded: LoadedConfig): GatewayStore {
  return openStore({ dataDir: requireDataDir(loaded.dataDir), encryptionKey: loaded.storeKey, retentionDays: loaded.config.store.retentionDays, databaseUrl: loaded.databaseUrl, poolSize: loaded.config.store.postgres?.poolSize, readOnly: true }) as unknown as GatewayStore;
}

/** A context as `dockgate start` builds it, over mappings loaded now (a retry after a mapping fix sees the fix). */
export async function openCommandContext(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<BuiltContext> {
  const config = resolveGatewayConfig(loaded, {}, env);
  requireInputDir(config.mappingsDir, 'mappings folder (DOCKGATE_MAPPINGS or gateway.mappings)');
  requireDataDir(config.dataDir);
  const { mappings, problems } = loadMappings(config.mappingsDir);
  if (mappings.partners.size === 0 && mappings.sellers.size === 0) throw new ConfigError(`${config.mappingsDir}: no partner or seller loads (dockgate mappings check lists the problems)`);
  for (const p of problems.slice(0, 5)) process.stderr.write(`dockgate: warning: ${formatProblem(p)}\n`);
  const log = gatewayLogger({ destination: process.stderr, level: env.DOCKGATE_LOG_LEVEL ?? 'warn' });
  return buildGatewayContext(config, { mappings, log, env });
}
