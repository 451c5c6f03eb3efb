/**
 * Which trading partner a file belongs to, until mapping files carry partners: the --partner
 * flag, else the configured partner whose ISA qualifier and id sent it, else the sender's
 * qualifier:id itself (so control-number sequences and the message log still separate senders).
 */
import type { Config } from '../config/config.ts';
import { UsageError } from './usage-error.ts';

export interface PartnerResolution {
  id: string;
  /** Set when the flag names a configured partner whose identity differs from the sender's. */
  warning?: string;
}

export function resolvePartner(config: Config, sender: { qualifier: string; id: string }, explicit?: string): PartnerResolution {
  if (explicit) {
    const configured = config.partners[explicit];
    if (configured && (configured.isaQualifier !== sender.qualifier || configured.isaId !== sender.id)) {
      return {
        id: explicit,
        warning: `partner ${explicit} is configured as ${configured.isaQualifier}/${configured.isaId}, but this interchange comes from ${sender.qualifier}/${sender.id}`,
      };
    }
    return { id: explicit };
  }
  for (const [id, p] of Object.entries(config.partners)) {
    if (p.isaQualifier === sender.qualifier && p.isaId === sender.id) return { id };
  }
  return { id: `${sender.qualifier}:${sender.id}` };
}

/**
 * A --partner flag must name a configured partner: an unknown id would key control-number
 * sequences and the message log under a partner nobody configured, silently.
 */
export function requireKnownPartner(config: Config, id: string | undefined): void {
  if (id === undefined || Object.hasOwn(config.partners, id)) return;
  const known = Object.keys(config.partners);
  throw new UsageError(
    `--partner ${JSON.stringify(id)} is not a configured partner (${known.length > 0 ? `known: ${known.join(', ')}` : 'none are configured'}; partners are listed under "partners:" in dockgate.yaml). Without --partner, the sender's own ISA qualifier:id is used.`,
  );
}
