/**
 * Loading and checking the mapping files of a folder: each file against its schema, then the
 * references between files (sellers, SKU tables, carrier tables, layouts) and each X12 layout
 * path against the transaction-set schema it addresses. Every problem names the file, line and
 * column, and says what was expected.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { isMap, isSeq, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import { parseYaml } from '../config/config.ts';
import { parsePath, PathSyntaxError } from '../x12/path.ts';
import { loadSetSchema, type SchemaLookup } from '../x12/schema/load.ts';
import { compileLayout, LayoutError, normalSpecs } from './engine.ts';
import { arrayLevels, canonicalFieldTypes, catalogueName, DOCUMENT_KINDS } from './fields.ts';
import { AMAZON_CARRIER_CODES, MappingFile, type CarrierTableFile, type LayoutFile, type PartnerFile, type SellerFile, type SkuTableFile } from './schema.ts';

export { canonicalFields } from './fields.ts';

/**
 * What kind of problem: `folder` (nothing to load), `not-a-file` (a symbolic link, pipe or
 * device among the files), `unreadable`, `too-large`, `yaml` (syntax, alias bomb), `schema`,
 * `duplicate` (an id, SKU or carrier defined twice), `reference` (to a file that is not there
 * or of the wrong kind), `carrier-code`, `layout` (fields and paths of a layout).
 */
export type MappingProblemCode = 'folder' | 'not-a-file' | 'unreadable' | 'too-large' | 'yaml' | 'schema' | 'duplicate' | 'reference' | 'carrier-code' | 'layout';

export interface MappingProblem {
  file: string;
  /** 1-based; 0 for a problem of the folder as a whole. */
  line: number;
  column: number;
  code: MappingProblemCode;
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
  layouts: Map<string, LayoutFile>;
  /** The file each loaded mapping came from (for messages that say what to fix). */
  files: Map<object, string>;
}

export interface MappingCheck {
  mappings: Mappings;
  problems: MappingProblem[];
  files: number;
}

/** Mapping files are read whole and parsed into a syntax tree many times their size. */
export const MAX_MAPPING_FILE_BYTES = 16 * 1024 * 1024;

/** A path for messages: relative to the working directory when inside it, else as given. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}

/**
 * The YAML files under a folder, in a stable order. Only real files and folders inside it are
 * read: a symbolic link (to /etc, to a parent folder, in a loop) or a pipe or device named
 * *.yaml is a problem, not followed, so that what the folder holds is what is checked. The
 * folder itself may be a link (a release folder named by a stable path).
 */
function yamlFiles(root: string, problems: MappingProblem[]): string[] {
  const out: string[] = [];
  const folders = [root];
  for (let dir = folders.pop(); dir !== undefined; dir = folders.pop()) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      problems.push({ file: shown(dir), line: 1, column: 1, code: 'unreadable', message: `cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    const found: string[] = [];
    const below: string[] = [];
    for (const name of names) {
      const p = join(dir, name);
      const s = lstatSync(p, { throwIfNoEntry: false });
      if (!s) continue; // removed while listing
      if (s.isSymbolicLink()) problems.push({ file: shown(p), line: 1, column: 1, code: 'not-a-file', message: 'a symbolic link: mapping files are read only from files inside the folder (copy the file in instead)' });
      else if (s.isDirectory()) below.push(p);
      else if (!/\.ya?ml$/.test(name)) continue;
      else if (!s.isFile()) problems.push({ file: shown(p), line: 1, column: 1, code: 'not-a-file', message: 'not a regular file (a pipe, socket or device)' });
      else if (s.size > MAX_MAPPING_FILE_BYTES) problems.push({ file: shown(p), line: 1, column: 1, code: 'too-large', message: `${s.size} bytes; a mapping file may have at most ${MAX_MAPPING_FILE_BYTES}` });
      else found.push(p);
    }
    for (const p of found) out.push(p);
    // Depth first, in name order: the next folder to list goes last on the stack.
    for (let i = below.length - 1; i >= 0; i--) folders.push(below[i]);
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
  const mappings: Mappings = { sellers: new Map(), skuTables: new Map(), carrierTables: new Map(), partners: new Map(), layouts: new Map(), files: new Map() };
  const sources = new Map<MappingFile, Source>();
  const report = (src: Source, path: ReadonlyArray<PropertyKey>, message: string, code: MappingProblemCode) => problems.push({ file: src.file, ...locate(src, path), code, message });
  const files = yamlFiles(dir, problems);

  for (const path of files) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      problems.push({ file: shown(path), line: 1, column: 1, code: 'unreadable', message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    const yaml = parseYaml(text);
    if (yaml.problem) {
      problems.push({ file: shown(path), line: yaml.problem.line, column: yaml.problem.column, code: 'yaml', message: `not valid YAML: ${yaml.problem.message}` });
      continue;
    }
    const src: Source = { file: shown(path), doc: yaml.doc, counter: yaml.counter };
    const parsed = MappingFile.safeParse(yaml.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 10)) {
        const where = issue.path.length ? issue.path.join('.') : '(file)';
        const message =
          issue.code === 'invalid_union' && issue.path.length === 0
            ? "kind must be one of seller, sku-table, carrier-table, partner, layout (with schemaVersion: 1)"
            : `${where}: ${issue.message}`;
        report(src, issue.path, message, 'schema');
      }
      continue;
    }
    const file = parsed.data;
    sources.set(file, src);
    mappings.files.set(file, src.file);
    const table: Map<string, MappingFile> =
      file.kind === 'seller' ? mappings.sellers : file.kind === 'sku-table' ? mappings.skuTables : file.kind === 'carrier-table' ? mappings.carrierTables : file.kind === 'partner' ? mappings.partners : mappings.layouts;
    const earlier = table.get(file.id);
    if (earlier) report(src, ['id'], `${file.kind} id '${file.id}' is already defined in ${sources.get(earlier)!.file}`, 'duplicate');
    else table.set(file.id, file);
  }

  // ---- references between files ----
  for (const seller of mappings.sellers.values()) {
    const src = sources.get(seller)!;
    const skus = mappings.skuTables.get(seller.skus);
    if (!skus) report(src, ['skus'], `skus: no sku-table with id '${seller.skus}'`, 'reference');
    else if (skus.seller !== seller.id) report(src, ['skus'], `skus: sku-table '${seller.skus}' belongs to seller '${skus.seller}', not '${seller.id}'`, 'reference');
    if (seller.warehouse !== undefined) {
      const w = mappings.partners.get(seller.warehouse);
      if (!w) report(src, ['warehouse'], `warehouse: no partner with id '${seller.warehouse}'`, 'reference');
      else if (!w.sellers.includes(seller.id)) report(src, ['warehouse'], `warehouse: partner '${w.id}' does not list seller '${seller.id}' under sellers`, 'reference');
      else if (w.documents['ship-order']?.direction !== 'out') report(src, ['warehouse'], `warehouse: partner '${w.id}' takes no ship orders (documents.ship-order with direction: out)`, 'reference');
    }
    // FBA replenishment: each partner named ships (or receives the ASN of) this seller's FBA shipments.
    const shipsFor = (path: PropertyKey[], id: string) => {
      const name = path.join('.');
      const w = mappings.partners.get(id);
      if (!w) report(src, path, `${name}: no partner with id '${id}'`, 'reference');
      else if (!w.sellers.includes(seller.id)) report(src, path, `${name}: partner '${w.id}' does not list seller '${seller.id}' under sellers`, 'reference');
      else if (w.documents['ship-order']?.direction !== 'out') report(src, path, `${name}: partner '${w.id}' takes no ship orders (documents.ship-order with direction: out)`, 'reference');
    };
    if (seller.fba?.warehouse !== undefined) shipsFor(['fba', 'warehouse'], seller.fba.warehouse);
    for (const [plan, id] of Object.entries(seller.fba?.plans ?? {})) shipsFor(['fba', 'plans', plan], id);
    if (seller.fba?.asn) {
      const id = seller.fba.asn.partner;
      const w = mappings.partners.get(id);
      if (!w) report(src, ['fba', 'asn', 'partner'], `fba.asn.partner: no partner with id '${id}'`, 'reference');
      else if (!w.sellers.includes(seller.id)) report(src, ['fba', 'asn', 'partner'], `fba.asn.partner: partner '${w.id}' does not list seller '${seller.id}' under sellers`, 'reference');
      else if (!w.documents['inbound-asn']?.layout) report(src, ['fba', 'asn', 'partner'], `fba.asn.partner: partner '${w.id}' has no inbound-asn layout to write the 856 with (documents.inbound-asn)`, 'reference');
    }
  }
  for (const table of mappings.skuTables.values()) {
    const src = sources.get(table)!;
    if (!mappings.sellers.has(table.seller)) report(src, ['seller'], `seller: no seller with id '${table.seller}'`, 'reference');
    const seen = new Map<string, number>();
    table.items.forEach((item, i) => {
      const first = seen.get(item.sellerSku);
      if (first !== undefined) report(src, ['items', i, 'sellerSku'], `items.${i}.sellerSku: '${item.sellerSku}' is already mapped at items.${first}`, 'duplicate');
      else seen.set(item.sellerSku, i);
    });
  }
  for (const table of mappings.carrierTables.values()) {
    const src = sources.get(table)!;
    const seen = new Set<string>();
    table.entries.forEach((e, i) => {
      if (!AMAZON_CARRIER_CODES.has(e.carrierCode)) {
        report(src, ['entries', i, 'carrierCode'], `entries.${i}.carrierCode: '${e.carrierCode}' is not an Amazon carrier code (case-sensitive; use Other with a carrierName)`, 'carrier-code');
      }
      const key = `${e.scac}\u0000${e.service ?? ''}`;
      if (seen.has(key)) report(src, ['entries', i], `entries.${i}: ${e.scac}${e.service ? ` ${e.service}` : ''} is mapped twice`, 'duplicate');
      seen.add(key);
    });
  }
  for (const partner of mappings.partners.values()) {
    const src = sources.get(partner)!;
    partner.sellers.forEach((s, i) => {
      if (!mappings.sellers.has(s)) report(src, ['sellers', i], `sellers.${i}: no seller with id '${s}'`, 'reference');
    });
    const seenCarrier = new Map<string, string>();
    let missing = false;
    partner.carriers.forEach((id, i) => {
      const table = mappings.carrierTables.get(id);
      const at = partner.carriers.length === 1 && typeof src.doc.get('carriers') === 'string' ? ['carriers'] : ['carriers', i];
      if (!table) {
        report(src, at, `carriers: no carrier-table with id '${id}'`, 'reference');
        missing = true;
        return;
      }
      table.entries.forEach((e, k) => {
        const key = `${e.scac}${e.service ? ` ${e.service}` : ''}`;
        const earlier = seenCarrier.get(key);
        if (earlier && !e.override) report(sources.get(table)!, ['entries', k], `entries.${k}: ${key} is already mapped by carrier-table '${earlier}' (used before it by partner ${partner.id}): add override: true to replace it`, 'duplicate');
        // With an earlier table missing (reported above) what it would have mapped is unknown.
        if (!earlier && e.override && !missing) report(sources.get(table)!, ['entries', k, 'override'], `entries.${k}.override: no earlier table of partner ${partner.id} maps ${key}`, 'reference');
        seenCarrier.set(key, id);
      });
    });
    for (const [name, d] of Object.entries(partner.documents)) {
      if (!d) continue;
      if (d.format === 'x12' && !partner.x12) report(src, ['documents', name, 'format'], `documents.${name}: x12 needs the partner's x12 identities (x12.us, x12.them)`, 'schema');
      if (!d.layout) {
        if (name !== 'acknowledgement') report(src, ['documents', name], `documents.${name}: a layout is needed to translate ${name}`, 'schema');
        continue;
      }
      const layout = mappings.layouts.get(d.layout);
      if (!layout) report(src, ['documents', name, 'layout'], `documents.${name}.layout: no layout with id '${d.layout}'`, 'reference');
      else if (layout.document !== name || layout.format !== d.format) {
        report(src, ['documents', name, 'layout'], `documents.${name}.layout: layout '${d.layout}' is a ${layout.format} ${layout.document} layout`, 'reference');
      }
    }
  }

  // ---- layouts: canonical fields exist and are all accounted for, partner paths exist ----
  for (const layout of mappings.layouts.values()) checkLayout(layout, (path, message) => report(sources.get(layout)!, path, message, 'layout'));

  // A folder with nothing to work from is not clean: the wrong folder named, or files not yet written.
  if (problems.length === 0 && (mappings.partners.size === 0 || mappings.sellers.size === 0)) {
    const what = files.length === 0 ? 'no mapping file (*.yaml)' : `no ${mappings.partners.size === 0 ? 'partner' : 'seller'} file (kind: ${mappings.partners.size === 0 ? 'partner' : 'seller'})`;
    problems.push({ file: shown(dir), line: 0, column: 0, code: 'folder', message: `${what} in the folder: nothing to translate with (see mappings/ for examples)` });
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { mappings, problems, files: files.length };
}

/** Canonical fields Dockgate fills itself, per document: a layout need not carry them. */
const SUPPLIED: Record<string, string[]> = {
  ShipOrder: ['kind', 'seller', 'type'],
  ShipmentAdvice: ['kind', 'seller', 'marketplaceId', 'packages[].packageId', 'packages[].amazonCarrier'],
  InventorySnapshot: ['kind', 'seller', 'warehouse'],
  InboundAsn: ['kind', 'seller', 'marketplaceId'],
  Receipt: ['kind', 'seller', 'warehouse'],
};
const ITEM_IDS = ['sellerSku', 'warehouseItem', 'asin', 'fnsku', 'gtin'];

type Report = (path: ReadonlyArray<PropertyKey>, message: string) => void;

function x12PathProblem(lookup: SchemaLookup, text: string, needElement: boolean): string | null {
  let path;
  try {
    path = parsePath(text.startsWith('/') ? text.slice(1) : text);
  } catch (e) {
    if (e instanceof PathSyntaxError) return e.message;
    throw e;
  }
  for (const step of path.steps) {
    if (!lookup.schema.used.has(step.segment)) return `${text}: segment ${step.segment} is not part of the ${lookup.schema.id} ${lookup.version} set`;
  }
  const last = path.steps[path.steps.length - 1];
  const def = lookup.schema.dictionary.get(last.segment);
  if (needElement && path.element === null) return `${text}: needs an element position (e.g. ${text}-01)`;
  if (!needElement && path.element !== null) return `${text}: a loop path names segments, not an element`;
  if (def && path.element !== null) {
    const element = def.elements[path.element - 1];
    if (!element) return `${text}: ${last.segment} has ${def.elements.length} elements`;
    if (path.component !== null && (!element.composite || path.component > element.composite.components.length)) {
      return `${text}: ${last.segment}${String(path.element).padStart(2, '0')} has no component ${path.component}`;
    }
  }
  return null;
}

/** Check one layout: fields and loops against the canonical model, partner paths against the format. */
export function checkLayout(layout: LayoutFile, report: Report): void {
  const kind = DOCUMENT_KINDS[layout.document];
  if (!kind) {
    report(['document'], `document: ${layout.document} has no canonical form to lay out`);
    return;
  }
  const types = canonicalFieldTypes(kind);
  const arrays = new Set([...types.keys()].flatMap((f) => arrayLevels(f)));
  let fieldsOk = true;
  for (const [field, spec] of Object.entries(layout.fields)) {
    if (!types.has(catalogueName(field))) {
      report(['fields', field], `fields.${field}: not a field of ${kind} (e.g. ${[...types.keys()].slice(0, 6).join(', ')}, ...)`);
      fieldsOk = false;
      continue;
    }
    const t = types.get(catalogueName(field))!;
    for (const n of normalSpecs(spec)) {
    for (const c of [n.when, n.unless]) if (c !== undefined && !types.has(c) && ![...types.keys()].some((f) => f.startsWith(`${c}.`))) report(['fields', field], `fields.${field}: when / unless name a field of ${kind}, not ${c}`);
    if (n.date !== undefined && !['date', 'datetime', 'date-or-datetime'].includes(t.kind)) report(['fields', field], `fields.${field}: date / time apply to dates, ${field} is ${t.kind}`);
    if (n.codes && t.kind === 'enum') {
      const missing = t.values.filter((v) => !(v in n.codes!));
      const unknown = Object.keys(n.codes).filter((v) => !t.values.includes(v));
      if (unknown.length) report(['fields', field, 'codes'], `fields.${field}.codes: ${unknown.join(', ')} is not a value of ${field} (${t.values.join(', ')})`);
      else if (missing.length) report(['fields', field, 'codes'], `fields.${field}.codes: no code for ${missing.join(', ')}`);
    }
    }
  }
  for (const [name, spec] of Object.entries(layout.loops)) {
    if (!arrays.has(name)) {
      report(['loops', name], `loops.${name}: not an array of ${kind} (${[...arrays].join(', ')})`);
      fieldsOk = false;
      continue;
    }
    const l = typeof spec === 'string' ? { path: spec, sum: [] as string[] } : spec;
    if (l.over && !arrays.has(l.over)) report(['loops', name, 'over'], `loops.${name}.over: not an array of ${kind}`);
    if (l.over && arrayLevels(`${name}[].x`).length !== 1) report(['loops', name, 'over'], `loops.${name}.over: only an array of the document itself can be an overlay`);
    if (layout.format !== 'csv' && !l.path && !l.over) report(['loops', name], `loops.${name}: an ${layout.format.toUpperCase()} layout needs the path that repeats with ${name}`);
    if (l.key && !(`${name}[].${l.key}` in layout.fields)) report(['loops', name, 'key'], `loops.${name}.key: ${l.key} is not a field this layout maps (${name}[].${l.key})`);
    for (const f of l.sum) if (!(`${name}[].${f}` in layout.fields)) report(['loops', name, 'sum'], `loops.${name}.sum: ${f} is not a field this layout maps`);
  }
  for (const name of Object.keys(layout.defaults)) if (!types.has(name)) report(['defaults', name], `defaults.${name}: not a field of ${kind}`);
  for (const name of layout.drops.map(catalogueName)) if (![...types.keys()].some((f) => f === name || f.startsWith(`${name}.`) || f.startsWith(`${name}[]`))) report(['drops'], `drops: ${name} is not a field of ${kind}`);

  // Every field of the document is carried, dropped on purpose, defaulted or filled by Dockgate.
  const mapped = new Set(Object.keys(layout.fields).map(catalogueName));
  const supplied = SUPPLIED[kind];
  const arraysWithIds = new Set([...mapped].filter((f) => ITEM_IDS.some((id) => f.endsWith(`[].${id}`))).map((f) => f.slice(0, f.lastIndexOf('.'))));
  const deriveLines = kind === 'ShipmentAdvice' && ![...mapped].some((f) => f.startsWith('lines[]'));
  const uncovered = [...types.keys()].filter((f) => {
    if (mapped.has(f) || f in layout.defaults) return false;
    const covers = (p: string) => f === p || f.startsWith(`${p}.`) || f.startsWith(`${p}[]`);
    if (layout.drops.some(covers) || supplied.some(covers)) return false;
    if (deriveLines && f.startsWith('lines[]')) return false;
    const arr = f.slice(0, f.lastIndexOf('.'));
    if (arraysWithIds.has(arr) && ITEM_IDS.includes(f.slice(f.lastIndexOf('.') + 1))) return false;
    return true;
  });
  if (uncovered.length) report(['drops'], `${uncovered.join(', ')}: neither mapped, dropped nor filled by Dockgate: map ${uncovered.length > 1 ? 'them' : 'it'} under fields or list ${uncovered.length > 1 ? 'them' : 'it'} under drops`);

  if (fieldsOk) {
    try {
      compileLayout(layout, kind);
    } catch (e) {
      if (e instanceof LayoutError) report(['fields'], e.message);
      else throw e;
    }
  }

  // ---- partner side ----
  const partnerPaths = (): Array<[ReadonlyArray<PropertyKey>, string]> => {
    const out: Array<[ReadonlyArray<PropertyKey>, string]> = [];
    for (const [field, spec] of Object.entries(layout.fields)) {
      for (const n of normalSpecs(spec)) {
        for (const p of [n.path, n.date, n.time, ...Object.keys(n.with ?? {})]) if (p) out.push([['fields', field], p]);
      }
    }
    return out;
  };
  if (layout.format === 'x12') {
    const lookup = loadSetSchema(layout.set, layout.version);
    if (!lookup) {
      report(['set'], `set: Dockgate has no schema for ${layout.set} ${layout.version} (nor a lower version of it)`);
      return;
    }
    for (const [at, p] of partnerPaths()) {
      const problem = x12PathProblem(lookup, p, true);
      if (problem) report(at, `${at.join('.')}: ${problem}`);
    }
    for (const [name, spec] of Object.entries(layout.loops)) {
      const p = typeof spec === 'string' ? spec : spec.path;
      const problem = p ? x12PathProblem(lookup, p, false) : null;
      if (problem) report(['loops', name], `loops.${name}: ${problem}`);
    }
    for (const p of Object.keys(layout.constants)) {
      const problem = x12PathProblem(lookup, p, true);
      if (problem) report(['constants', p], `constants: ${problem}`);
    }
    for (const [p, expr] of Object.entries(layout.totals)) {
      const problem = x12PathProblem(lookup, p, true) ?? x12PathProblem(lookup, /^\w+\((.+)\)$/.exec(expr)![1], expr.startsWith('sum'));
      if (problem) report(['totals', p], `totals: ${problem}`);
    }
  } else if (layout.format === 'csv') {
    for (const [at, p] of partnerPaths()) if (!layout.columns.includes(p)) report(at, `${at.join('.')}: ${p} is not one of the columns (${layout.columns.join(', ')})`);
    for (const k of layout.documentKey) if (!(k in layout.fields)) report(['documentKey'], `documentKey: ${k} is not a field this layout maps`);
    const dupes = layout.columns.filter((c, i) => layout.columns.indexOf(c) !== i);
    if (dupes.length) report(['columns'], `columns: ${dupes.join(', ')} named twice`);
    for (const [at, p] of partnerPaths()) if (p.includes('[]')) report(at, `${at.join('.')}: a CSV column holds one value`);
    for (const field of Object.keys(layout.fields)) if (field.endsWith('[]')) report(['fields', field], `fields.${field}: a CSV column holds one value; map ${field.slice(0, -2)}[0], [1], ... to separate columns`);
  } else {
    const bad = (p: string) => !/^(@?[A-Za-z_][\w.:-]*)(\/@?[A-Za-z_][\w.:-]*)*$/.test(p) || p.split('/').slice(0, -1).some((s) => s.startsWith('@'));
    for (const [at, p] of partnerPaths()) if (bad(p)) report(at, `${at.join('.')}: '${p}' is not an element path (Name, ShipTo/City, @id, Lines/Line/@no)`);
    for (const [name, spec] of Object.entries(layout.loops)) {
      const p = typeof spec === 'string' ? spec : spec.path;
      if (p && (bad(p) || p.includes('@'))) report(['loops', name], `loops.${name}: '${p}' is not an element path`);
    }
  }
}

/** file:line:column: message (a problem of a whole folder has no line). */
export function formatProblem(p: MappingProblem): string {
  return `${p.file}${p.line ? `:${p.line}:${p.column}` : ''}: ${p.message}`;
}
