/**
 * `dockgate translate`: a partner document to canonical JSON and back, through the partner's
 * mapping files — the same path the flows take. Documents that are held (a mapping lacks a SKU
 * or carrier) or rejected (the partner data is wrong) are reported on stderr with where and
 * why, and make the exit code 1; the others are written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatProblem, loadMappings, type Mappings } from '../mapping/index.ts';
import { DOCUMENT_NAMES, readPartner, translator, TranslationSetupError, writePartner, type DocumentName, type InboundDocument, type OutboundDocument, type PartnerFormat } from '../mapping/translate.ts';
import { CanonicalDocumentError, parseCanonical, type CanonicalDocument } from '../model/index.ts';
import { UsageError } from './usage-error.ts';

const FORMATS = ['x12', 'csv', 'xml', 'canonical'] as const;
type Format = (typeof FORMATS)[number];

/** Load the mapping folder, refusing to work from mappings with problems. */
export function loadCheckedMappings(dir: string): Mappings {
  const { problems, mappings } = loadMappings(dir);
  if (problems.length) {
    throw new UsageError(`the mapping files have ${problems.length} problem(s); fix them first (dockgate mappings check ${dir}):\n${problems.slice(0, 20).map(formatProblem).join('\n')}`);
  }
  return mappings;
}

function reportInbound(file: string, d: InboundDocument): string[] {
  const lines: string[] = [];
  if (d.status !== 'ok') lines.push(`${file}: ${d.where}: ${d.status.toUpperCase()}`);
  for (const p of d.problems) lines.push(`  ${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`);
  for (const e of d.exceptions) lines.push(`  ${e.code}: ${e.message}`);
  for (const n of d.notes ?? []) lines.push(`${file}: ${d.where}: note: ${n}`);
  return lines;
}

function reportOutbound(d: OutboundDocument): string[] {
  const lines: string[] = [];
  if (d.status !== 'ok') lines.push(`document ${d.index + 1}: ${d.status.toUpperCase()}`);
  for (const p of d.problems) lines.push(`  ${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`);
  for (const e of d.exceptions) lines.push(`  ${e.code}: ${e.message}`);
  for (const c of d.textChanges) lines.push(`document ${d.index + 1}: text policy: ${c.field} '${c.from}' sent as '${c.to}'`);
  return lines;
}

function readCanonical(text: string, file: string): CanonicalDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    try {
      return parseCanonical(v);
    } catch (e) {
      if (e instanceof CanonicalDocumentError) throw new UsageError(`${file}: document ${i + 1}: ${e.message}`);
      throw e;
    }
  });
}

export function registerTranslateCommand(program: Command): void {
  program
    .command('translate')
    .description('translate one file between a partner format and canonical JSON through the mapping files (exit 1 when anything is held or rejected)')
    .requiredOption('--partner <id>', 'partner id (mappings/partners)')
    .requiredOption('--doc <document>', `document: ${DOCUMENT_NAMES.join(' | ')}`)
    .requiredOption('--from <format>', 'x12 | csv | xml | canonical')
    .requiredOption('--to <format>', 'x12 | csv | xml | canonical')
    .option('--mappings <dir>', 'folder of mapping files', 'mappings')
    .option('--seller <id>', 'the seller the documents belong to, when the items alone cannot tell')
    .option('-o, --out <file>', 'write the result here instead of standard output')
    .argument('<file>', 'the file to translate')
    .action(async (file: string, o: { partner: string; doc: string; from: string; to: string; mappings: string; seller?: string; out?: string }) => {
      if (!DOCUMENT_NAMES.includes(o.doc as DocumentName)) throw new UsageError(`--doc must be one of ${DOCUMENT_NAMES.join(', ')}`);
      for (const f of [o.from, o.to]) if (!FORMATS.includes(f as Format)) throw new UsageError(`--from and --to take ${FORMATS.join(', ')}, not ${f}`);
      if (o.from === 'canonical' && o.to === 'canonical') throw new UsageError('--from and --to are both canonical: nothing to translate (check a canonical file with --to a partner format)');
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      const mappings = loadCheckedMappings(o.mappings);
      const setup = (format: PartnerFormat) => {
        try {
          return translator(mappings, o.partner, o.doc as DocumentName, format);
        } catch (e) {
          if (e instanceof TranslationSetupError) throw new UsageError(e.message);
          throw e;
        }
      };
      const messages: string[] = [];
      let failed = false;
      let docs: CanonicalDocument[];
      if (o.from === 'canonical') docs = readCanonical(bytes.toString('utf8'), file);
      else {
        const r = await readPartner(setup(o.from as PartnerFormat), bytes, { file, seller: o.seller });
        for (const p of r.fileProblems) messages.push(`${file}: ${p.where}: ${p.message}`);
        for (const d of r.documents) messages.push(...reportInbound(file, d));
        failed = r.fileProblems.length > 0 || r.documents.some((d) => d.status !== 'ok');
        docs = r.documents.filter((d) => d.status === 'ok').map((d) => d.document!);
      }
      let output: Buffer | null;
      if (o.to === 'canonical') output = Buffer.from(`${JSON.stringify(docs, null, 2)}\n`);
      else {
        const w = writePartner(setup(o.to as PartnerFormat), docs);
        for (const d of w.documents) messages.push(...reportOutbound(d));
        failed ||= w.documents.some((d) => d.status !== 'ok');
        output = w.bytes;
      }
      for (const m of messages) process.stderr.write(`${m}\n`);
      if (output) {
        if (o.out) writeFileSync(o.out, output);
        else process.stdout.write(output);
      }
      process.exitCode = failed ? 1 : 0;
    });
}
