/**
 * `dockgate translate`: a partner document to canonical JSON and back, through the partner's
 * mapping files — the same path the flows take. Documents that are held (a mapping lacks a SKU
 * or carrier) or rejected (the partner data is wrong) are reported on stderr with where and
 * why (or, with --json, in a JSON report on stdout), and make the exit code 1; the others are
 * written. A partner file is read and canonical JSON written one document at a time, so that a
 * file of any size takes memory for its largest document only.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { formatProblem, loadMappings, type Mappings } from '../mapping/index.ts';
import type { TranslationProblem } from '../mapping/engine.ts';
import type { MappingException } from '../mapping/resolve.ts';
import type { TextChange } from '../mapping/text-policy.ts';
import { DOCUMENT_NAMES, readPartnerDocuments, translator, TranslationSetupError, writePartner, type DocumentName, type InboundDocument, type OutboundDocument, type PartnerFormat } from '../mapping/translate.ts';
import { CanonicalDocumentError, parseCanonical, type CanonicalDocument } from '../model/index.ts';
import { UsageError } from './usage-error.ts';
import { requireInputDir, requireInputFile, requireOutputFile } from './user-paths.ts';
import { printable } from './terminal-text.ts';

const FORMATS = ['x12', 'csv', 'xml', 'canonical'] as const;
type Format = (typeof FORMATS)[number];

/** Problems listed per document; a set with a problem on every segment would otherwise print a line per segment. */
const PROBLEMS_SHOWN = 100;

/** Load the mapping folder, refusing to work from mappings with problems. */
export function loadCheckedMappings(dir: string): Mappings {
  const { problems, mappings } = loadMappings(requireInputDir(dir, 'mapping folder'));
  if (problems.length) {
    throw new UsageError(`the mapping files have ${problems.length} problem(s); fix them first (dockgate mappings check ${printable(dir)}):\n${problems.slice(0, 20).map((p) => printable(formatProblem(p))).join('\n')}`);
  }
  return mappings;
}

function readCanonical(text: string, file: string): CanonicalDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${printable(file)} is not JSON: ${printable((e as Error).message)}`);
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    try {
      return parseCanonical(v);
    } catch (e) {
      if (e instanceof CanonicalDocumentError) throw new UsageError(`${printable(file)}: document ${i + 1}: ${printable(e.message)}`);
      throw e;
    }
  });
}

/** Write, waiting while the stream's buffer is full: output of any size in bounded memory. */
async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Canonical documents as one JSON array, written as each comes; the same text JSON.stringify(docs, null, 2) gives. */
class CanonicalArrayWriter {
  private count = 0;
  constructor(private readonly out: Writable) {}

  async add(doc: CanonicalDocument): Promise<void> {
    const text = JSON.stringify(doc, null, 2).replace(/^/gm, '  ');
    await write(this.out, `${this.count++ === 0 ? '[\n' : ',\n'}${text}`);
  }

  async end(): Promise<void> {
    await write(this.out, this.count === 0 ? '[]\n' : '\n]\n');
  }
}

type Stage = 'read' | 'write';
type State = 'translated' | 'held' | 'rejected';
const stateOf = (status: InboundDocument['status']): State => (status === 'ok' ? 'translated' : status);

/** One document of the report, the same in text and JSON. */
interface ReportEntry {
  stage: Stage;
  where: string;
  state: State;
  problems: TranslationProblem[];
  problemsNotShown: number;
  exceptions: MappingException[];
  notes: string[];
  textChanges: TextChange[];
}

function entry(stage: Stage, where: string, d: InboundDocument | OutboundDocument): ReportEntry {
  return {
    stage,
    where,
    state: stateOf(d.status),
    problems: d.problems.slice(0, PROBLEMS_SHOWN),
    problemsNotShown: Math.max(0, d.problems.length - PROBLEMS_SHOWN),
    exceptions: d.exceptions,
    notes: 'notes' in d ? (d.notes ?? []) : [],
    textChanges: 'textChanges' in d ? d.textChanges : [],
  };
}

interface Report {
  document(e: ReportEntry): Promise<void>;
  fileProblem(p: TranslationProblem): Promise<void>;
  end(written: number): Promise<void>;
}

/** The report as text on stderr, each partner value escaped for the terminal. */
class TextReport implements Report {
  constructor(
    private readonly out: Writable,
    private readonly file: string,
  ) {}

  private async lines(lines: string[]): Promise<void> {
    if (lines.length) await write(this.out, lines.map((l) => `${printable(l)}\n`).join(''));
  }

  async document(e: ReportEntry): Promise<void> {
    const lines: string[] = [];
    const name = e.stage === 'read' ? `${this.file}: ${e.where}` : e.where;
    if (e.state !== 'translated') lines.push(`${name}: ${e.state.toUpperCase()}`);
    for (const p of e.problems) lines.push(`  ${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`);
    if (e.problemsNotShown) lines.push(`  ... and ${e.problemsNotShown} more problem(s)`);
    for (const x of e.exceptions) lines.push(`  ${x.code}: ${x.message}`);
    for (const n of e.notes) lines.push(`${name}: note: ${n}`);
    for (const c of e.textChanges) lines.push(`${name}: text policy: ${c.field} '${c.from}' sent as '${c.to}'`);
    await this.lines(lines);
  }

  async fileProblem(p: TranslationProblem): Promise<void> {
    await this.lines([`${this.file}: ${p.where}: ${p.message}`]);
  }

  async end(): Promise<void> {}
}

/**
 * The report as one JSON object on stdout, written as the documents come (documents, then the
 * file's problems and the counts; shape in docs/mapping-files.md).
 */
class JsonReport implements Report {
  private first = true;
  private readonly fileProblems: TranslationProblem[] = [];
  private readonly counts = { read: { translated: 0, held: 0, rejected: 0 }, write: { translated: 0, held: 0, rejected: 0 } };

  constructor(
    private readonly out: Writable,
    private readonly head: Record<string, string | null>,
  ) {}

  async document(e: ReportEntry): Promise<void> {
    this.counts[e.stage][e.state]++;
    const text = JSON.stringify(e);
    await write(this.out, this.first ? `${JSON.stringify(this.head).slice(0, -1)},"documents":[\n${text}` : `,\n${text}`);
    this.first = false;
  }

  async fileProblem(p: TranslationProblem): Promise<void> {
    this.fileProblems.push(p);
  }

  async end(written: number): Promise<void> {
    const start = this.first ? `${JSON.stringify(this.head).slice(0, -1)},"documents":[` : '\n';
    const failed = this.fileProblems.length > 0 || Object.values(this.counts).some((c) => c.held + c.rejected > 0);
    await write(this.out, `${start}],"fileProblems":${JSON.stringify(this.fileProblems)},"counts":${JSON.stringify(this.counts)},"written":${written},"ok":${!failed}}\n`);
  }
}

/** The output file, written under a temporary name and renamed when complete: never half a file under the name asked for. */
function outputFile(path: string): { stream: Writable; commit: () => Promise<void>; abandon: () => void } {
  const temporary = `${path}.${process.pid}.partial`;
  const stream = createWriteStream(temporary);
  return {
    stream,
    commit: async () => {
      stream.end();
      await once(stream, 'finish');
      renameSync(temporary, path);
    },
    abandon: () => {
      stream.destroy();
      rmSync(temporary, { force: true });
    },
  };
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
    .option('--json', 'the report (every document: translated, held or rejected, with where and why) as JSON on standard output; needs -o')
    .argument('<file>', 'the file to translate')
    .action(async (file: string, o: { partner: string; doc: string; from: string; to: string; mappings: string; seller?: string; out?: string; json?: boolean }) => {
      if (!DOCUMENT_NAMES.includes(o.doc as DocumentName)) throw new UsageError(`--doc must be one of ${DOCUMENT_NAMES.join(', ')}`);
      for (const f of [o.from, o.to]) if (!FORMATS.includes(f as Format)) throw new UsageError(`--from and --to take ${FORMATS.join(', ')}, not ${printable(f)}`);
      if (o.from === 'canonical' && o.to === 'canonical') throw new UsageError('--from and --to are both canonical: nothing to translate (check a canonical file with --to a partner format)');
      if (o.json && !o.out) throw new UsageError('--json writes the report on standard output: name the file for the translation with -o');
      requireInputFile(file);
      if (o.out) requireOutputFile(o.out, '-o file');
      const mappings = loadCheckedMappings(o.mappings);
      const setup = (format: PartnerFormat) => {
        try {
          return translator(mappings, o.partner, o.doc as DocumentName, format);
        } catch (e) {
          if (e instanceof TranslationSetupError) throw new UsageError(printable(e.message));
          throw e;
        }
      };
      const reading = o.from === 'canonical' ? null : setup(o.from as PartnerFormat);
      const writing = o.to === 'canonical' ? null : setup(o.to as PartnerFormat);
      const report: Report = o.json
        ? new JsonReport(process.stdout, { partner: o.partner, document: o.doc, from: o.from, to: o.to, file, output: o.out ?? null })
        : new TextReport(process.stderr, file);
      const target = o.out ? outputFile(o.out) : null;
      const out = target?.stream ?? process.stdout;
      let failed = false;
      let written = 0;
      try {
        const canonical = writing ? null : new CanonicalArrayWriter(out);
        const docs = reading ? [] : readCanonical(readFileSync(file, 'utf8'), file);
        if (reading) {
          for await (const e of readPartnerDocuments(reading, createReadStream(file), { file, seller: o.seller })) {
            if (e.type === 'file-problem') {
              failed = true;
              await report.fileProblem(e.problem);
              continue;
            }
            const d = e.document;
            await report.document(entry('read', d.where, d));
            if (d.status !== 'ok') failed = true;
            else if (canonical) {
              await canonical.add(d.document!);
              written++;
            } else docs.push(d.document!);
          }
        }
        if (canonical) {
          await canonical.end();
          await target?.commit();
        } else {
          // A partner file is one interchange (or one file of rows): written whole once every document is known.
          const w = writePartner(writing!, docs);
          for (const d of w.documents) {
            await report.document(entry('write', `document ${d.index + 1}`, d));
            if (d.status !== 'ok') failed = true;
            else written++;
          }
          if (w.bytes) {
            await write(out, w.bytes);
            await target?.commit();
          } else target?.abandon(); // no document to send: no file (an empty partner file is not a valid one)
        }
        await report.end(written);
      } catch (e) {
        target?.abandon();
        throw e;
      }
      process.exitCode = failed ? 1 : 0;
    });
}
