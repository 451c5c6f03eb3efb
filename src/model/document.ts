/**
 * The canonical documents flows pass around, and how a JSON value becomes one: checked, with
 * the path of the first problem when it is not.
 */
import { z } from 'zod';
import { InboundAsn } from './inbound-asn.ts';
import { InventorySnapshot } from './inventory.ts';
import { Receipt } from './receipt.ts';
import { ShipOrder } from './ship-order.ts';
import { ShipmentAdvice } from './shipment-advice.ts';

export const CANONICAL_SCHEMAS = { ShipOrder, ShipmentAdvice, InventorySnapshot, InboundAsn, Receipt } as const;

export type CanonicalKind = keyof typeof CANONICAL_SCHEMAS;
export type CanonicalDocument = ShipOrder | ShipmentAdvice | InventorySnapshot | InboundAsn | Receipt;

export class CanonicalDocumentError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'CanonicalDocumentError';
  }
}

/** Check a JSON value as the canonical document its `kind` names. */
export function parseCanonical(value: unknown): CanonicalDocument {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !(kind in CANONICAL_SCHEMAS)) {
    throw new CanonicalDocumentError(`kind must be one of ${Object.keys(CANONICAL_SCHEMAS).join(', ')}, found ${JSON.stringify(kind)}`, 'kind');
  }
  const r = (CANONICAL_SCHEMAS[kind as CanonicalKind] as z.ZodType<CanonicalDocument>).safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new CanonicalDocumentError(`${kind} ${path || '(document)'}: ${issue.message}`, path);
  }
  return r.data;
}

/** Documents that carry buyer personal data (purged after the retention period). */
export function carriesBuyerData(doc: CanonicalDocument): boolean {
  return doc.kind === 'ShipOrder' && doc.type === 'mfn';
}
