/**
 * One partner registry: which trading partner an X12 file belongs to comes from the partner
 * mapping files (x12.us / x12.them), the same ids the gateway's flows use, so the CLI and the
 * flows share one control-number sequence per partner. dockgate.yaml's `partners:` is kept
 * only as a deprecated fallback (with a warning) for a setup without mapping files.
 *
 * Resolution: the --partner flag, else the registered partner whose ISA qualifier and id sent
 * the file, else the sender's qualifier:id itself (so sequences and the log still separate
 * senders nobody registered).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOADED_FROM, type Config, type LoadedConfig } from '../config/config.ts';
import { loadMappings } from '../mapping/load.ts';
import { UsageError } from './usage-error.ts';

export interface PartnerIdentity {
  qualifier: string;
  id: string;
}

export interface PartnerRegistry {
  /** Where the identities came from, for messages. */
  source: 'mappings' | 'config' | 'none';
  /** The mappings folder or configuration file read. */
  from?: string;
  /** Partner id -> the identity it sends with (its ISA05/06). */
  partners: Map<string, PartnerIdentity>;
  /** Said once to the user (stderr) by the command: a deprecation or a partner without X12. */
  warnings: string[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * The registry for a command. The mappings folder is DOCKGATE_MAPPINGS, else gateway.mappings,
 * else ./mappings (relative to the configuration file, or the working directory). An explicit
 * folder always wins; ./mappings, the default, gives way to a configuration file that still
 * lists `partners:` (that file is the user's own statement; it is warned about).
 */
export function partnerRegistry(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PartnerRegistry {
  const base = loaded.base ?? cwd;
  const explicit = env.DOCKGATE_MAPPINGS ? resolve(cwd, env.DOCKGATE_MAPPINGS) : loaded.config.gateway?.mappings ? resolve(base, loaded.config.gateway.mappings) : null;
  const dir = explicit ?? resolve(base, 'mappings');
  const configured = Object.keys(loaded.config.partners);
  const deprecated = `"partners:" in ${loaded.file ?? 'dockgate.yaml'} is deprecated: partner identities come from the partner mapping files (x12.us / x12.them)`;
  if ((explicit || configured.length === 0) && isDir(dir)) {
    const { mappings } = loadMappings(dir);
    const partners = new Map<string, PartnerIdentity>();
    for (const p of mappings.partners.values()) if (p.x12) partners.set(p.id, { qualifier: p.x12.them.qualifier, id: p.x12.them.id });
    const warnings = configured.length ? [`${deprecated}; ignored because ${dir} is configured`] : [];
    return { source: 'mappings', from: dir, partners, warnings };
  }
  if (configured.length) {
    return {
      source: 'config',
      from: loaded.file,
      partners: new Map(Object.entries(loaded.config.partners).map(([id, p]) => [id, { qualifier: p.isaQualifier, id: p.isaId }])),
      warnings: [`${deprecated}; no mappings folder is configured (gateway.mappings or DOCKGATE_MAPPINGS), so it is still read`],
    };
  }
  return { source: 'none', partners: new Map(), warnings: [] };
}

export interface PartnerResolution {
  id: string;
  /** Set when the flag names a registered partner whose identity differs from the sender's. */
  warning?: string;
}

const registries = new WeakMap<object, PartnerRegistry>();

/**
 * The registry for what a command holds: a registry, a load, or the Config of a load (built
 * once per load; its warnings written to stderr once).
 */
export function registryFor(source: PartnerRegistry | LoadedConfig | Config): PartnerRegistry {
  if ('source' in source && 'partners' in source && source.partners instanceof Map) return source as PartnerRegistry;
  const loaded: LoadedConfig = 'config' in source ? (source as LoadedConfig) : (LOADED_FROM.get(source as Config) ?? { config: source as Config, dataDir: '' });
  let r = registries.get(loaded.config);
  if (!r) {
    r = partnerRegistry(loaded);
    for (const w of r.warnings) process.stderr.write(`dockgate: warning: ${w}\n`);
    registries.set(loaded.config, r);
  }
  return r;
}

export function resolvePartner(source: PartnerRegistry | LoadedConfig | Config, sender: { qualifier: string; id: string }, explicit?: string): PartnerResolution {
  const registry = registryFor(source);
  if (explicit) {
    const known = registry.partners.get(explicit);
    if (known && (known.qualifier !== sender.qualifier || known.id !== sender.id)) {
      return {
        id: explicit,
        warning: `partner ${explicit} is configured as ${known.qualifier}/${known.id}, but this interchange comes from ${sender.qualifier}/${sender.id}`,
      };
    }
    return { id: explicit };
  }
  for (const [id, p] of registry.partners) {
    if (p.qualifier === sender.qualifier && p.id === sender.id) return { id };
  }
  return { id: `${sender.qualifier}:${sender.id}` };
}

/**
 * A --partner flag must name a registered partner: an unknown id would key control-number
 * sequences and the message log under a partner nobody configured, silently.
 */
export function requireKnownPartner(source: PartnerRegistry | LoadedConfig | Config, id: string | undefined): void {
  if (id === undefined) return;
  const registry = registryFor(source);
  if (registry.partners.has(id)) return;
  const known = [...registry.partners.keys()];
  const where = registry.source === 'config' ? `"partners:" in ${registry.from ?? 'dockgate.yaml'} (deprecated)` : `the partner files with an x12 section in ${registry.from ?? 'the mappings folder (gateway.mappings, DOCKGATE_MAPPINGS or ./mappings)'}`;
  throw new UsageError(
    `--partner ${JSON.stringify(id)} is not a configured partner (${known.length > 0 ? `known: ${known.join(', ')}` : 'none are configured'}; partners come from ${where}). Without --partner, the sender's own ISA qualifier:id is used.`,
  );
}
