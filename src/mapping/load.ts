/**
 * Loading and checking the mapping files of a folder: each file against its schema, then the
 * references between files (sellers, SKU tables, carrier tables, layouts) and each X12 layout
 * path against the transaction-set schema it addresses. Every problem names the file, line and
 * column, and says what was expected.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { CANONICAL_SCHEMAS } from '../model/index.ts';
import { parsePath, PathSyntaxError } from '../x12/path.ts';
import { loadSetSchema } from '../x12/schema/load.ts';
import { AMAZON_CARRIER_CODES, MappingFile, type CarrierTableFile, type PartnerFile, type SellerFile, type SkuTableFile, type X12LayoutFile } from './schema.ts';

export interface MappingProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

interface Source {
  file: string;
  doc: Document;
  counter: LineCounter;
}

export interface Mappings {
  sellers: Map<string, SellerFile>;
  skuTables: Map<string, SkuTableFile>;
  carrierTables: Map<string, CarrierTableFile>;
  partners: Map<string, PartnerFile>;
  layouts: Map<string, X12LayoutFile>;
}

export interface MappingCheck {
  mappings: Mappings;
  problems: MappingProblem[];
  files: number;
}

/** Which canonical document a mapping `document` name means. */
const DOCUMENT_KINDS: Record<string, keyof typeof CANONICAL_SCHEMAS | null> = {
  'ship-order': 'ShipOrder',
  'shipment-advice': 'ShipmentAdvice',
  inventory: 'InventorySnapshot',
  'inbound-asn': 'InboundAsn',
  receipt: 'Receipt',
  acknowledgement: null,
};

/** Canonical field names of a document, from its schema: `shipTo.city`, `lines[].sellerSku`, ... */
export function canonicalFields(kind: keyof typeof CANONICAL_SCHEMAS): Set<string> {
  const out = new Set<string>();
  const walk = (schema: Record<string, unknown>, prefix: string) => {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [name, sub] of Object.entries(props)) {
      const here = prefix + name;
      const variants = (sub.anyOf as Array<Record<string, unknown>> | undefined) ?? [sub];
      for (const v of variants) {
        if (v.type === 'object') walk(v, `${here}.`);
        else if (v.type === 'array') {
          const items = v.items as Record<string, unknown>;
          if (items?.type === 'object') walk(items, `${here}[].`);
          else out.add(`${here}[]`);
        } else out.add(here);
      }
    }
  };
  walk(z.toJSONSchema(CANONICAL_SCHEMAS[kind], { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, '');
  return out;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/** Line and column of the YAML node at a path (or of the nearest existing parent). */
function locate(src: Source, path: ReadonlyArray<PropertyKey>): { line: number; column: number } {
  let node: unknown = src.doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
    } else break;
  }
  const range = (node as YamlNode | undefined)?.range;
  if (!range) return { line: 1, column: 1 };
  const pos = src.counter.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

export function loadMappings(dir: string): MappingCheck {
  const problems: MappingProblem[] = [];
  const mappings: Mappings = { sellers: new Map(), skuTables: new Map(), carrierTables: new Map(), partners: new Map(), layouts: new Map() };
  const sources = new Map<MappingFile, Source>();
  const report = (src: Source, path: ReadonlyArray<PropertyKey>, message: string) => problems.push({ file: src.file, ...locate(src, path), message });
  const files = yamlFiles(dir);

  for (const path of files) {
    const counter = new LineCounter();
    const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter: counter, prettyErrors: true });
    const src: Source = { file: relative(process.cwd(), path) || path, doc, counter };
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      problems.push({ file: src.file, line: e.linePos?.[0]?.line ?? 1, column: e.linePos?.[0]?.col ?? 1, message: `not valid YAML: ${e.message.split('\n')[0]}` });
      continue;
    }
    const parsed = MappingFile.safeParse(doc.toJS());
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 10)) {
        const where = issue.path.length ? issue.path.join('.') : '(file)';
        const message =
          issue.code === 'invalid_union' && issue.path.length === 0
            ? "kind must be one of seller, sku-table, carrier-table, partner, layout (with schemaVersion: 1)"
            : `${where}: ${issue.message}`;
        report(src, issue.path, message);
      }
      continue;
    }
    const file = parsed.data;
    sources.set(file, src);
    const table: Map<string, MappingFile> =
      file.kind === 'seller' ? mappings.sellers : file.kind === 'sku-table' ? mappings.skuTables : file.kind === 'carrier-table' ? mappings.carrierTables : file.kind === 'partner' ? mappings.partners : mappings.layouts;
    const earlier = table.get(file.id);
    if (earlier) report(src, ['id'], `${file.kind} id '${file.id}' is already defined in ${sources.get(earlier)!.file}`);
    else table.set(file.id, file);
  }

  // ---- references between files ----
  for (const seller of mappings.sellers.values()) {
    const src = sources.get(seller)!;
    const skus = mappings.skuTables.get(seller.skus);
    if (!skus) report(src, ['skus'], `skus: no sku-table with id '${seller.skus}'`);
    else if (skus.seller !== seller.id) report(src, ['skus'], `skus: sku-table '${seller.skus}' belongs to seller '${skus.seller}', not '${seller.id}'`);
  }
  for (const table of mappings.skuTables.values()) {
    const src = sources.get(table)!;
    if (!mappings.sellers.has(table.seller)) report(src, ['seller'], `seller: no seller with id '${table.seller}'`);
    const seen = new Map<string, number>();
    table.items.forEach((item, i) => {
      const first = seen.get(item.sellerSku);
      if (first !== undefined) report(src, ['items', i, 'sellerSku'], `items.${i}.sellerSku: '${item.sellerSku}' is already mapped at items.${first}`);
      else seen.set(item.sellerSku, i);
    });
  }
  for (const table of mappings.carrierTables.values()) {
    const src = sources.get(table)!;
    const seen = new Set<string>();
    table.entries.forEach((e, i) => {
      if (!AMAZON_CARRIER_CODES.has(e.carrierCode)) {
        report(src, ['entries', i, 'carrierCode'], `entries.${i}.carrierCode: '${e.carrierCode}' is not an Amazon carrier code (case-sensitive; use Other with a carrierName)`);
      }
      const key = `${e.scac}\u0000${e.service ?? ''}`;
      if (seen.has(key)) report(src, ['entries', i], `entries.${i}: ${e.scac}${e.service ? ` ${e.service}` : ''} is mapped twice`);
      seen.add(key);
    });
  }
  for (const partner of mappings.partners.values()) {
    const src = sources.get(partner)!;
    partner.sellers.forEach((s, i) => {
      if (!mappings.sellers.has(s)) report(src, ['sellers', i], `sellers.${i}: no seller with id '${s}'`);
    });
    if (!mappings.carrierTables.has(partner.carriers)) report(src, ['carriers'], `carriers: no carrier-table with id '${partner.carriers}'`);
    for (const [name, d] of Object.entries(partner.documents)) {
      if (!d) continue;
      if (d.format === 'x12' && !partner.x12) report(src, ['documents', name, 'format'], `documents.${name}: x12 needs the partner's x12 identities (x12.us, x12.them)`);
      if (!d.layout) {
        if (name !== 'acknowledgement') report(src, ['documents', name], `documents.${name}: a layout is needed to translate ${name}`);
        continue;
      }
      const layout = mappings.layouts.get(d.layout);
      if (!layout) report(src, ['documents', name, 'layout'], `documents.${name}.layout: no layout with id '${d.layout}'`);
      else if (layout.document !== name || layout.format !== d.format) {
        report(src, ['documents', name, 'layout'], `documents.${name}.layout: layout '${d.layout}' is a ${layout.format} ${layout.document} layout`);
      }
    }
  }

  // ---- X12 layouts: canonical fields exist, paths exist in the set's schema ----
  for (const layout of mappings.layouts.values()) {
    const src = sources.get(layout)!;
    const lookup = loadSetSchema(layout.set, layout.version);
    if (!lookup) {
      report(src, ['set'], `set: Dockgate has no schema for ${layout.set} ${layout.version} (nor a lower version of it)`);
      continue;
    }
    const kind = DOCUMENT_KINDS[layout.document];
    const known = kind ? canonicalFields(kind) : null;
    for (const [field, pathText] of Object.entries(layout.fields)) {
      if (known && !known.has(field)) {
        report(src, ['fields', field], `fields.${field}: not a field of ${kind} (e.g. ${[...known].slice(0, 6).join(', ')}, ...)`);
      }
      let path;
      try {
        path = parsePath(pathText);
      } catch (e) {
        if (e instanceof PathSyntaxError) {
          report(src, ['fields', field], `fields.${field}: ${e.message}`);
          continue;
        }
        throw e;
      }
      for (const step of path.steps) {
        if (!lookup.schema.used.has(step.segment)) {
          report(src, ['fields', field], `fields.${field}: ${pathText}: segment ${step.segment} is not part of the ${layout.set} ${lookup.version} set`);
          break;
        }
      }
      const last = path.steps[path.steps.length - 1];
      const def = lookup.schema.dictionary.get(last.segment);
      if (def && path.element !== null) {
        const element = def.elements[path.element - 1];
        if (!element) report(src, ['fields', field], `fields.${field}: ${pathText}: ${last.segment} has ${def.elements.length} elements`);
        else if (path.component !== null && (!element.composite || path.component > element.composite.components.length)) {
          report(src, ['fields', field], `fields.${field}: ${pathText}: ${last.segment}${String(path.element).padStart(2, '0')} has no component ${path.component}`);
        }
      }
    }
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { mappings, problems, files: files.length };
}

export function formatProblem(p: MappingProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}
