/**
 * The canonical fields a layout can name, with the type each value has, read off the canonical
 * model's schemas (src/model) so that the two never disagree.
 */
import { z } from 'zod';
import { CANONICAL_SCHEMAS, type CanonicalKind } from '../model/index.ts';

export type FieldType =
  | { kind: 'string' }
  | { kind: 'integer' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'date' }
  | { kind: 'datetime' }
  /** A calendar date or a date-time (ship-by, deliver-by). */
  | { kind: 'date-or-datetime' };

/** Which canonical document a mapping `document` name means (acknowledgements have none). */
export const DOCUMENT_KINDS: Record<string, CanonicalKind | null> = {
  'ship-order': 'ShipOrder',
  'shipment-advice': 'ShipmentAdvice',
  inventory: 'InventorySnapshot',
  'inbound-asn': 'InboundAsn',
  receipt: 'Receipt',
  acknowledgement: null,
};

type Json = Record<string, unknown>;

function leafType(v: Json): FieldType | null {
  if (Array.isArray(v.anyOf)) {
    const formats = (v.anyOf as Json[]).map((x) => x.format);
    if (formats.includes('date') && formats.includes('date-time')) return { kind: 'date-or-datetime' };
    return leafType((v.anyOf as Json[])[0]);
  }
  if (Array.isArray(v.enum)) return { kind: 'enum', values: v.enum as string[] };
  if (v.const !== undefined) return { kind: 'enum', values: [String(v.const)] };
  switch (v.type) {
    case 'integer':
      return { kind: 'integer' };
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return v.format === 'date-time' ? { kind: 'datetime' } : v.format === 'date' ? { kind: 'date' } : { kind: 'string' };
    default:
      return null;
  }
}

const cache = new Map<CanonicalKind, Map<string, FieldType>>();

/**
 * Canonical field names of a document with their types: `shipTo.city`, `lines[].sellerSku`,
 * `shipTo.lines[]` (an array of strings), ...
 */
export function canonicalFieldTypes(kind: CanonicalKind): Map<string, FieldType> {
  const hit = cache.get(kind);
  if (hit) return hit;
  const out = new Map<string, FieldType>();
  const walk = (schema: Json, prefix: string) => {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const [name, sub] of Object.entries(props)) {
      const here = prefix + name;
      const variants = (sub.anyOf as Json[] | undefined)?.some((v) => v.type === 'object' || v.type === 'array') ? (sub.anyOf as Json[]) : [sub];
      for (const v of variants) {
        if (v.type === 'object') walk(v, `${here}.`);
        else if (v.type === 'array') {
          const items = v.items as Json;
          if (items?.type === 'object') walk(items, `${here}[].`);
          else out.set(`${here}[]`, leafType(items) ?? { kind: 'string' });
        } else {
          const t = leafType(v);
          if (t) out.set(here, t);
        }
      }
    }
  };
  walk(z.toJSONSchema(CANONICAL_SCHEMAS[kind], { io: 'input', unrepresentable: 'any' }) as Json, '');
  cache.set(kind, out);
  return out;
}

/** Canonical field names of a document. */
export function canonicalFields(kind: CanonicalKind): Set<string> {
  return new Set(canonicalFieldTypes(kind).keys());
}

/**
 * The catalogue name of a field as a layout writes it: `shipTo.lines[0]` is `shipTo.lines[]`.
 */
export function catalogueName(field: string): string {
  return field.replace(/\[\d+\]$/, '[]');
}

/** Array levels of a canonical array path: `packages[].lines` -> the arrays `packages`, `packages[].lines`. */
export function arrayLevels(field: string): string[] {
  const parts = field.split('[].');
  const out: string[] = [];
  for (let i = 0; i < parts.length - 1; i++) out.push(parts.slice(0, i + 1).join('[].'));
  return out;
}
