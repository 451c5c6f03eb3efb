/**
 * Translation between a partner's documents and canonical documents, for one partner and one
 * document type: bytes -> layout engine -> resolution through the tables -> checked canonical
 * document, and back. Each document comes out ok, rejected (the partner data is wrong: located
 * problems) or held (a mapping lacks something: exceptions naming the value and file to fix).
 */
import { parseCanonical, CanonicalDocumentError, type CanonicalDocument, type ShipOrder } from '../model/index.ts';
import { Readable } from 'node:stream';
import { readX12, readX12Sync } from '../x12/reader.ts';
import { validateSet } from '../x12/validate/index.ts';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../x12/diagnostics.ts';
import { loadSetSchema } from '../x12/schema/load.ts';
import type { SetTree } from '../x12/tree.ts';
import { sendInterchange, X12DataError } from '../x12/writer.ts';
import type { ControlNumberSource, OutboundSet } from '../x12/outbound.ts';
import { compileLayout, readDocument, writeDocument, type CompiledLayout, type TranslationProblem } from './engine.ts';
import { DOCUMENT_KINDS } from './fields.ts';
import { CsvAdapter, CsvFileError, type CsvRow, type CsvWriteNode } from './formats/csv.ts';
import { X12Adapter } from './formats/x12.ts';
import { XmlAdapter, XmlFileError } from './formats/xml.ts';
import type { Mappings } from './load.ts';
import { prepareShipOrder, resolveInbound, unsendableText, type MappingException } from './resolve.ts';
import type { LayoutFile, PartnerFile } from './schema.ts';
import { textCleaner, x12CanCarry, type TextChange } from './text-policy.ts';

export const DOCUMENT_NAMES = ['ship-order', 'shipment-advice', 'inventory', 'inbound-asn', 'receipt'] as const;
export type DocumentName = (typeof DOCUMENT_NAMES)[number];
export type PartnerFormat = 'x12' | 'csv' | 'xml';

/** A translation that cannot start: unknown partner, no layout for the document, ... */
export class TranslationSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranslationSetupError';
  }
}

export interface Translator {
  mappings: Mappings;
  partner: PartnerFile;
  document: DocumentName;
  layout: LayoutFile;
  compiled: CompiledLayout;
}

/** The translator for a partner's document; a format, when given, must be the one the partner file names. */
export function translator(mappings: Mappings, partnerId: string, document: DocumentName, format?: PartnerFormat): Translator {
  const partner = mappings.partners.get(partnerId);
  if (!partner) throw new TranslationSetupError(`no partner '${partnerId}' in the mappings (${[...mappings.partners.keys()].join(', ') || 'none'})`);
  const d = partner.documents[document];
  let layout: LayoutFile | undefined;
  if (d?.layout && (!format || d.format === format)) layout = mappings.layouts.get(d.layout);
  if (!layout) throw new TranslationSetupError(`partner ${partnerId} has no ${format ?? ''}${format ? ' ' : ''}layout for ${document} (documents.${document} in ${mappings.files.get(partner)})`);
  const kind = DOCUMENT_KINDS[document]!;
  return { mappings, partner, document, layout, compiled: compileLayout(layout, kind) };
}

export type Status = 'ok' | 'rejected' | 'held';

export interface InboundDocument {
  /** Where in the file: "set 945 0001 (line 3)", "lines 2-4", "Receipts/Receipt[2]". */
  where: string;
  status: Status;
  /** The checked canonical document (status ok). */
  document?: CanonicalDocument;
  /** What the layout read, before resolution (kept for held and rejected documents). */
  read?: Record<string, unknown>;
  problems: TranslationProblem[];
  exceptions: MappingException[];
  /** Things the translation did that someone should know (a package left without items). */
  notes?: string[];
}

export interface InboundResult {
  documents: InboundDocument[];
  /** Problems with the file as a whole (not the format, wrong partner): nothing after them was read. */
  fileProblems: TranslationProblem[];
}

export interface ReadOptions {
  /** File name for messages. */
  file?: string;
  /** The seller, when the caller knows it (the stored order's). */
  seller?: string;
}

function finish(t: Translator, where: string, raw: Record<string, unknown>, problems: TranslationProblem[], options: ReadOptions): InboundDocument[] {
  if (problems.length) return [{ where, status: 'rejected', read: raw, problems, exceptions: [] }];
  const kind = t.compiled.kind;
  // A ship order read back (what the warehouse was sent, in tests and audits) says its type by its Amazon Shipment ID.
  if (kind === 'ShipOrder') raw.type ??= raw.fbaInbound ? 'fba-inbound' : 'mfn';
  const resolved = resolveInbound(kind, raw, { mappings: t.mappings, partner: t.partner, seller: options.seller });
  return resolved.document.map((doc) => {
    if (resolved.exceptions.length) return { where, status: 'held' as const, read: raw, problems: [], exceptions: resolved.exceptions };
    try {
      return { where, status: 'ok' as const, document: parseCanonical(doc), problems: [], exceptions: [], ...(resolved.notes.length && { notes: resolved.notes }) };
    } catch (e) {
      if (!(e instanceof CanonicalDocumentError)) throw e;
      return { where, status: 'rejected' as const, read: raw, problems: [{ where, field: e.path, message: e.message }], exceptions: [] };
    }
  });
}

const diagnosticProblem = (d: Diagnostic): TranslationProblem => ({ where: d.location.line ? `line ${d.location.line}` : 'file', message: formatDiagnostic(d) });

/** What reading a partner file yields, in file order: documents, and problems with the file as a whole. */
export type InboundEvent = { type: 'document'; document: InboundDocument } | { type: 'file-problem'; problem: TranslationProblem };

/**
 * A partner file: its bytes, or a stream of them. CSV and X12 from a stream are read as the
 * bytes arrive, one document at a time, so a file of any size takes memory for its largest
 * document only; an XML file is parsed whole (its reader has a size limit).
 */
export type PartnerSource = Buffer | AsyncIterable<Buffer>;

/** Read a partner file into canonical documents, all at once (files already in memory). */
export async function readPartner(t: Translator, source: PartnerSource, options: ReadOptions = {}): Promise<InboundResult> {
  const out: InboundResult = { documents: [], fileProblems: [] };
  for await (const e of readPartnerDocuments(t, source, options)) {
    if (e.type === 'document') out.documents.push(e.document);
    else out.fileProblems.push(e.problem);
  }
  return out;
}

/** Read a partner file into canonical documents, yielding each as soon as it is complete. */
export async function* readPartnerDocuments(t: Translator, source: PartnerSource, options: ReadOptions = {}): AsyncGenerator<InboundEvent> {
  const format = t.layout.format;
  if (format === 'x12') yield* readX12Documents(t, source, options);
  else if (format === 'csv') yield* readCsvDocuments(t, source, options);
  else yield* readXmlDocuments(t, Buffer.isBuffer(source) ? source : await collect(source), options);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(c);
  return Buffer.concat(chunks);
}

const documents = (list: InboundDocument[]): InboundEvent[] => list.map((document) => ({ type: 'document', document }));
const fileProblem = (problem: TranslationProblem): InboundEvent => ({ type: 'file-problem', problem });

async function* readX12Documents(t: Translator, source: PartnerSource, options: ReadOptions): AsyncGenerator<InboundEvent> {
  const layout = t.layout as Extract<LayoutFile, { format: 'x12' }>;
  const lookup = loadSetSchema(layout.set, layout.version)!;
  const adapter = new X12Adapter(lookup.schema);
  let anything = false;
  for await (const e of readX12(Buffer.isBuffer(source) ? source : Readable.from(source), { file: options.file })) {
    if (e.type === 'diagnostic' && e.diagnostic.level === 'error') {
      anything = true;
      yield fileProblem(diagnosticProblem(e.diagnostic));
    }
    if ((e.type === 'interchange-start' || e.type === 'group-start') && hasErrors(e.diagnostics)) {
      for (const d of e.diagnostics) {
        if (d.level !== 'error') continue;
        anything = true;
        yield fileProblem(diagnosticProblem(d));
      }
    }
    if (e.type === 'interchange-start' && t.partner.x12) {
      // A document we send (read back in tests and audits) comes from us; the others from the partner.
      const outbound = t.partner.documents[t.document]?.direction === 'out';
      const from = outbound ? t.partner.x12.us : t.partner.x12.them;
      if (e.interchange.senderId !== from.id || e.interchange.senderQualifier !== from.qualifier) {
        anything = true;
        yield fileProblem({
          where: `line ${e.interchange.isa.line}`,
          message: `ISA05/06 is ${e.interchange.senderQualifier}/${e.interchange.senderId}, ${outbound ? 'we send' : `partner ${t.partner.id} sends`} as ${from.qualifier}/${from.id}`,
        });
      }
    }
    if (e.type !== 'set') continue;
    anything = true;
    const where = `set ${e.set.id} ${e.set.control} (line ${e.set.segments[0]?.line ?? '?'})`;
    if (e.set.id !== layout.set) {
      yield* documents([{ where, status: 'rejected', problems: [{ where, message: `a ${e.set.id} set, this layout reads ${layout.set}` }], exceptions: [] }]);
      continue;
    }
    const v = validateSet(e.set, { buildTree: true });
    const errors = [...e.set.diagnostics, ...v.diagnostics].filter((d) => d.level === 'error');
    if (errors.length || !v.tree) {
      yield* documents([{ where, status: 'rejected', problems: errors.map(diagnosticProblem), exceptions: [] }]);
      continue;
    }
    const problems: TranslationProblem[] = [];
    const raw = readDocument(t.compiled, adapter, adapter.rootScope(v.tree), { zone: t.partner.timeZone, problems });
    yield* documents(finish(t, where, raw, problems, options));
  }
  if (!anything) yield fileProblem({ where: 'file', message: `no ${layout.set} set in the file` });
}

/**
 * Rows with equal document keys are one document. The rows of a document must be together:
 * a document is complete when a row with another key comes, so that a file of any length is
 * read one document at a time. Rows whose key came before, with other documents in between,
 * are refused with where the document's first rows were, rather than sent as a second document
 * for the same order or held until the end of the file.
 */
async function* readCsvDocuments(t: Translator, source: PartnerSource, options: ReadOptions): AsyncGenerator<InboundEvent> {
  const layout = t.layout as Extract<LayoutFile, { format: 'csv' }>;
  const adapter = new CsvAdapter(layout);
  const keyColumns = layout.documentKey.map((k) => {
    const spec = layout.fields[k];
    const one = Array.isArray(spec) ? spec[0] : spec;
    return typeof one === 'string' ? one : (one.path ?? one.date!);
  });
  /** The first line of each document already read, by key. */
  const done = new Map<string, number>();
  let key = '';
  let rows: CsvRow[] = [];
  const complete = (): InboundDocument[] => {
    const scope = { rows };
    const where = adapter.where(scope);
    const first = done.get(key);
    if (first !== undefined) {
      const problem = { where, message: `${keyColumns.map((c) => `${c} ${rows[0].values[c]?.trim() ?? ''}`).join(', ')} continues here after other documents; its rows start at line ${first}: the rows of one document must be together` };
      return [{ where, status: 'rejected', problems: [problem], exceptions: [] }];
    }
    done.set(key, rows[0].line);
    const problems: TranslationProblem[] = [];
    const raw = readDocument(t.compiled, adapter, scope, { zone: t.partner.timeZone, problems });
    return finish(t, where, raw, problems, options);
  };
  try {
    for await (const r of adapter.readRows(source)) {
      const k = keyColumns.map((c) => (r.values[c] ?? '').trim()).join('\u0000');
      if (rows.length && k !== key) {
        yield* documents(complete());
        rows = [];
      }
      key = k;
      rows.push(r);
    }
  } catch (e) {
    if (!(e instanceof CsvFileError)) throw e;
    // The documents before the break are whole (their rows are together); the one being read is not.
    yield fileProblem({ where: `line ${e.line}`, message: e.message });
    return;
  }
  if (rows.length) yield* documents(complete());
}

async function* readXmlDocuments(t: Translator, bytes: Buffer, options: ReadOptions): AsyncGenerator<InboundEvent> {
  const adapter = new XmlAdapter(t.layout as Extract<LayoutFile, { format: 'xml' }>);
  let scopes;
  try {
    scopes = adapter.parseDocuments(bytes);
  } catch (e) {
    if (e instanceof XmlFileError) {
      yield fileProblem({ where: `line ${e.line}`, message: e.message });
      return;
    }
    throw e;
  }
  for (const scope of scopes) {
    const problems: TranslationProblem[] = [];
    const raw = readDocument(t.compiled, adapter, scope, { zone: t.partner.timeZone, problems });
    yield* documents(finish(t, adapter.where(scope), raw, problems, options));
  }
}

// ---------------------------------------------------------------- outbound

export interface OutboundDocument {
  index: number;
  status: Status;
  problems: TranslationProblem[];
  exceptions: MappingException[];
  /** Characters the partner's format could not carry, and what was sent instead. */
  textChanges: TextChange[];
}

export interface OutboundResult {
  /** The file for the documents that are ok; null when none is. */
  bytes: Buffer | null;
  documents: OutboundDocument[];
  /** X12: the interchange control number the file was sent with. */
  isa13?: number;
}

export interface WriteOptions {
  /** X12 control numbers (the message store's sequences in production). */
  controlNumbers?: ControlNumberSource;
  now?: Date;
}

/** Control numbers that only count up in memory: for previews (translate), never for sending. */
export function previewControlNumbers(): ControlNumberSource {
  const next = new Map<string, number>();
  return { next: (partner, kind) => {
    const n = (next.get(`${partner}/${kind}`) ?? 0) + 1;
    next.set(`${partner}/${kind}`, n);
    return n;
  } };
}

/** Drop undefined values so that a written document is plain JSON. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Write canonical documents as one partner file. Documents that are held or rejected are left out. */
export function writePartner(t: Translator, docs: CanonicalDocument[], options: WriteOptions = {}): OutboundResult {
  const layout = t.layout;
  const zone = t.partner.timeZone;
  const results: OutboundDocument[] = [];
  const ready: Array<{ index: number; doc: Record<string, unknown>; changes: TextChange[]; problems: TranslationProblem[] }> = [];
  docs.forEach((doc, index) => {
    const r: OutboundDocument = { index, status: 'ok', problems: [], exceptions: [], textChanges: [] };
    results.push(r);
    if (doc.kind !== t.compiled.kind) {
      r.status = 'rejected';
      r.problems.push({ where: `document ${index + 1}`, message: `a ${doc.kind}, this layout writes ${t.compiled.kind}` });
      return;
    }
    // The canonical model is checked on the way out too: a document built in code (an FBA
    // replenishment without its Amazon Shipment ID, a line without a quantity) is refused here,
    // located, instead of becoming a partner file that the layout fills as best it can.
    try {
      parseCanonical(doc);
    } catch (e) {
      if (!(e instanceof CanonicalDocumentError)) throw e;
      r.status = 'rejected';
      r.problems.push({ where: `document ${index + 1}`, field: e.path, message: e.message });
      return;
    }
    let prepared: CanonicalDocument = doc;
    if (doc.kind === 'ShipOrder') {
      const p = prepareShipOrder(doc as ShipOrder, { mappings: t.mappings, partner: t.partner });
      if (!p.document) {
        r.status = 'held';
        for (const x of p.exceptions) r.exceptions.push(x);
        return;
      }
      prepared = p.document;
    }
    ready.push({ index, doc: plain(prepared) as unknown as Record<string, unknown>, changes: r.textChanges, problems: r.problems });
  });

  const policy = t.partner.textPolicy;
  const take = (item: (typeof ready)[number]) => {
    const r = results[item.index];
    if (item.problems.length) r.status = 'rejected';
    else {
      // A name or address the text policy left blank is held, like an unknown SKU.
      for (const x of unsendableText(item.doc, item.changes, layout, { mappings: t.mappings, partner: t.partner })) r.exceptions.push(x);
      if (r.exceptions.length) r.status = 'held';
    }
    return r.status === 'ok';
  };

  if (layout.format === 'x12') {
    const lookup = loadSetSchema(layout.set, layout.version)!;
    const adapter = new X12Adapter(lookup.schema);
    const x = t.partner.x12!;
    const seps = x.separators;
    const canCarry = x12CanCarry([seps.element, seps.component, seps.segment, seps.repetition]);
    const sets: OutboundSet[] = [];
    const setIndex: number[] = [];
    for (const item of ready) {
      const tree: SetTree = { id: layout.set, control: '', version: layout.version, structured: true, children: [] };
      const ctx = { zone, problems: item.problems, clean: textCleaner(policy, canCarry, item.changes) };
      try {
        writeDocument(t.compiled, adapter, adapter.rootScope(tree), item.doc, ctx);
        adapter.applyConstants(tree, layout.constants);
        for (const [p, expr] of Object.entries(layout.totals)) adapter.setTotal(tree, p, adapter.total(tree, expr));
      } catch (e) {
        if (!(e instanceof X12DataError)) throw e;
        item.problems.push({ where: `document ${item.index + 1}`, message: e.message });
      }
      if (!take(item)) continue;
      sets.push({ id: layout.set, segments: X12Adapter.flatten(tree) });
      setIndex.push(item.index);
    }
    if (sets.length === 0) return { bytes: null, documents: results };
    const sep = (c: string) => c.charCodeAt(0);
    // A document the partner sends (a 945 written for an audit or a test) is written as theirs.
    const inbound = t.partner.documents[t.document]?.direction === 'in';
    const [from, to] = inbound ? [x.them, x.us] : [x.us, x.them];
    const write = (these: OutboundSet[], controlNumbers: ControlNumberSource) =>
      sendInterchange(
        {
          sender: { qualifier: from.qualifier, id: from.id },
          receiver: { qualifier: to.qualifier, id: to.id },
          version: x.version,
          usage: t.partner.usage === 'production' ? 'P' : 'T',
          groups: [{ functionalId: lookup.schema.functionalGroup, senderId: from.gsId, receiverId: to.gsId, version: x.gsVersion, sets: these }],
        },
        {
          partner: t.partner.id,
          controlNumbers,
          now: options.now,
          separators: { element: sep(seps.element), component: sep(seps.component), segment: sep(seps.segment), repetition: sep(seps.repetition), suffix: seps.newline ? '\n' : '' },
        },
      );
    // What we send is checked against the set's schema like what we receive, on a preview that
    // draws no control numbers: a set the schema refuses never costs the partner's sequence a number.
    let k = 0;
    const keep: OutboundSet[] = [];
    for (const e of readX12Sync(write(sets, previewControlNumbers()).bytes)) {
      if (e.type !== 'set') continue;
      const index = setIndex[k];
      const errors = validateSet(e.set).diagnostics.filter((d) => d.level === 'error');
      if (errors.length) {
        results[index].status = 'rejected';
        for (const d of errors) results[index].problems.push({ where: `document ${index + 1}`, message: `the layout wrote an invalid ${layout.set}: ${formatDiagnostic(d)}` });
      } else keep.push(sets[k]);
      k++;
    }
    if (keep.length === 0) return { bytes: null, documents: results };
    const sent = write(keep, options.controlNumbers ?? previewControlNumbers());
    return { bytes: sent.bytes, documents: results, isa13: sent.controlNumbers.isa13 };
  }

  if (layout.format === 'csv') {
    const adapter = new CsvAdapter(layout);
    const nodes: CsvWriteNode[] = [];
    for (const item of ready) {
      const node: CsvWriteNode = { values: {}, children: [] };
      writeDocument(t.compiled, adapter, node, item.doc, { zone, problems: item.problems, clean: textCleaner(policy, (c) => adapter.canCarry(c), item.changes) });
      if (take(item)) nodes.push(node);
    }
    return { bytes: nodes.length ? adapter.writeRows(nodes) : null, documents: results };
  }

  const adapter = new XmlAdapter(layout);
  const elements: Array<Record<string, unknown>> = [];
  for (const item of ready) {
    const el: Record<string, unknown> = {};
    writeDocument(t.compiled, adapter, { el, label: layout.xml.document }, item.doc, { zone, problems: item.problems, clean: textCleaner(policy, (c) => adapter.canCarry(c), item.changes) });
    if (take(item)) elements.push(el);
  }
  return { bytes: elements.length ? adapter.writeDocuments(elements) : null, documents: results };
}
