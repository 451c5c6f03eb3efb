/**
 * The CSV side of the layout engine. A scope is a group of rows (a document, a package, a line);
 * paths are column names. Reading decodes the file's encoding first (windows-1252 and others),
 * accepts a byte-order mark, and streams it through csv-parse; writing flattens each document
 * to one row per innermost element, quotes every cell with a line break and neutralises
 * spreadsheet formulas wherever a cell can start.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { LayoutError, type CompiledLoop, type FormatAdapter } from '../engine.ts';
import type { CsvLayoutFile } from '../schema.ts';
import { TEXT_DATES } from '../values.ts';

export interface CsvRow {
  /** 1-based line of the record in the file. */
  line: number;
  values: Record<string, string>;
}

export interface CsvReadScope {
  rows: CsvRow[];
}

export interface CsvWriteNode {
  values: Record<string, string>;
  children: CsvWriteNode[];
}

export type CsvScope = CsvReadScope | CsvWriteNode;

/** A file the layout cannot read at all (wrong header, not CSV): located. */
export class CsvFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvFileError';
  }
}

/**
 * A cell a spreadsheet would run as a formula (OWASP CSV injection: = + - @ tab CR, and the
 * full-width forms Apple Numbers folds into them). Apostrophes in front are part of the match so
 * that a value which already starts with apostrophes gets one more, and reading removes exactly
 * the one writing added.
 */
const FORMULA_LEAD = /'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/y;
const NUMBER = /^[-+]?\d+(\.\d+)?$/;

export class CsvAdapter implements FormatAdapter<CsvScope> {
  readonly dates = TEXT_DATES;
  constructor(readonly layout: CsvLayoutFile) {}

  private rows(scope: CsvScope): CsvRow[] {
    return (scope as CsvReadScope).rows;
  }

  get(scope: CsvScope, column: string): string | undefined {
    for (const r of this.rows(scope)) {
      const v = cell(r, column);
      if (v !== '') return v;
    }
    return undefined;
  }

  getAll(scope: CsvScope, column: string): string[] {
    const v = this.get(scope, column);
    return v === undefined ? [] : [v];
  }

  /** The column a loop's key field travels in. */
  keyColumn(loop: CompiledLoop): string | undefined {
    if (!loop.key) return undefined;
    const f = loop.fields.find((x) => x.name === loop.key);
    if (!f?.spec.path) throw new LayoutError(`loops.${loop.full}.key: ${loop.key} must be a field of ${loop.full} carried in one column`);
    return f.spec.path;
  }

  instances(scope: CsvScope, loop: CompiledLoop): CsvScope[] {
    const rows = this.rows(scope);
    const column = this.keyColumn(loop);
    // Rows that carry none of the loop's columns hold no element of it.
    const columns = loop.fields.map((f) => f.spec.path ?? f.spec.date).filter((c): c is string => !!c);
    const relevant = rows.filter((r) => columns.some((c) => cell(r, c) !== ''));
    if (!column) return relevant.map((r) => ({ rows: [r] }));
    const groups = new Map<string, CsvRow[]>();
    for (const r of relevant) {
      const k = cell(r, column);
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    return [...groups.values()].map((g) => ({ rows: g }));
  }

  set(scope: CsvScope, column: string, value: string): void {
    this.checkColumn(column);
    (scope as CsvWriteNode).values[column] = value;
  }

  append(_scope: CsvScope, column: string): void {
    throw new LayoutError(`${column}: a CSV column holds one value; map a list as name[0], name[1], ... in separate columns`);
  }

  add(scope: CsvScope, _loop: CompiledLoop): CsvScope {
    const node: CsvWriteNode = { values: {}, children: [] };
    (scope as CsvWriteNode).children.push(node);
    return node;
  }

  where(scope: CsvScope): string {
    const rows = (scope as CsvReadScope).rows;
    if (!rows) return 'new row';
    return rows.length === 1 ? `line ${rows[0].line}` : `lines ${rows[0].line}-${rows[rows.length - 1].line}`;
  }

  private checkColumn(column: string): void {
    if (!this.layout.columns.includes(column)) throw new LayoutError(`${column} is not one of the layout's columns (${this.layout.columns.join(', ')})`);
  }

  // ---------------------------------------------------------------- files

  /** Decode and parse a file (its bytes, or a stream of them) into rows keyed by column name, one row at a time. */
  async *readRows(source: Buffer | AsyncIterable<Buffer>): AsyncGenerator<CsvRow> {
    const c = this.layout.csv;
    const chunks = Buffer.isBuffer(source) ? [source][Symbol.iterator]() : source[Symbol.asyncIterator]();
    const first: Buffer = (await chunks.next()).value ?? Buffer.alloc(0);
    // A byte-order mark says what the file is, whatever the layout expected (Excel's "CSV UTF-8").
    const encoding = first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? 'utf-8' : first[0] === 0xff && first[1] === 0xfe ? 'utf-16le' : c.encoding;
    const rest = async function* () {
      yield first;
      for (let r = await chunks.next(); !r.done; r = await chunks.next()) yield r.value;
    };
    const decoded = Readable.from(rest()).pipe(iconv.decodeStream(encoding, { stripBOM: true }));
    const parser = decoded.pipe(
      parse({ delimiter: c.delimiter, quote: c.quote, escape: c.quote, relax_column_count: true, skip_empty_lines: true, info: true, bom: true }),
    );
    let header: string[] | null = null;
    try {
      for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        const cells = rec.record;
        if (c.header && header === null) {
          header = cells.map((h) => h.trim());
          const missing = this.layout.columns.filter((col) => !header!.includes(col));
          if (missing.length) throw new CsvFileError(`header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${this.layout.columns.join(',')})`, rec.info.lines);
          continue;
        }
        const names = header ?? this.layout.columns;
        if (!c.header && cells.length < this.layout.columns.length) {
          throw new CsvFileError(`${cells.length} columns, expected ${this.layout.columns.length} (${this.layout.columns.join(',')})`, rec.info.lines);
        }
        const values: Record<string, string> = {};
        names.forEach((n, i) => (values[n] = cells[i] ?? ''));
        yield { line: rec.info.lines, values };
      }
    } catch (e) {
      if (e instanceof CsvFileError) throw e;
      const err = e as Error & { lines?: number };
      throw new CsvFileError(`not CSV as the layout describes it: ${err.message}`, err.lines ?? 0);
    }
  }

  /** Rows of documents written as trees: one row per leaf, each with its ancestors' values. */
  writeRows(documents: CsvWriteNode[]): Buffer {
    const c = this.layout.csv;
    const records: string[][] = [];
    if (c.header) records.push(this.layout.columns);
    const walk = (n: CsvWriteNode, inherited: Record<string, string>) => {
      const values = { ...inherited, ...n.values };
      if (n.children.length === 0) records.push(this.layout.columns.map((col) => neutralise(values[col] ?? '')));
      else for (const ch of n.children) walk(ch, values);
    };
    for (const d of documents) walk(d, {});
    // Any CR or LF in a cell is quoted, not only the layout's record delimiter: a reader splits
    // records on all three line breaks, and an unquoted one would cut an order into broken rows.
    // A quote in a cell is doubled (RFC 4180), whatever the quote character.
    const text = stringify(records, { delimiter: c.delimiter, quote: c.quote, escape: c.quote, record_delimiter: c.recordDelimiter === '\n' ? 'unix' : 'windows', quote_record_delimiter: true });
    const body = iconv.encode(text, c.encoding);
    return c.bom && c.encoding === 'utf-8' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
  }

  /** Can the file's encoding carry this character? (The text policy replaces what it cannot.) */
  canCarry(ch: string): boolean {
    if (ch === '\r' || ch === '\n') return true;
    // A lone surrogate has no encoding: UTF-8 would write U+FFFD in its place.
    if (this.layout.csv.encoding.startsWith('utf')) return !/^[\uD800-\uDFFF]$/.test(ch);
    return iconv.decode(iconv.encode(ch, this.layout.csv.encoding), this.layout.csv.encoding) === ch;
  }
}

/** A cell's text as the layout reads it: without the apostrophe writing added, trimmed. */
function cell(row: CsvRow, column: string): string {
  return unneutralise(row.values[column] ?? '').trim();
}

/**
 * Where a cell can start inside a value: at its start, and after each line break (CR, LF, CRLF)
 * for a reader that splits lines without honouring quotes.
 */
function cellStarts(v: string): number[] {
  const starts = [0];
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 10 || (c === 13 && v.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** Would a cell starting at `at` run as a formula? A value that is a number (-5, +1.5) stays a number. */
function formulaAt(v: string, at: number, value: () => string): boolean {
  FORMULA_LEAD.lastIndex = at;
  return FORMULA_LEAD.test(v) && !(at === 0 && NUMBER.test(value()));
}

/** Every place of a value where a spreadsheet could start a formula gets an apostrophe in front. */
export function neutralise(v: string): string {
  let out = '';
  let from = 0;
  for (const at of cellStarts(v)) {
    if (!formulaAt(v, at, () => v)) continue;
    out += `${v.slice(from, at)}'`;
    from = at;
  }
  return out + v.slice(from);
}

/** The inverse of neutralise: only an apostrophe neutralise would have added is removed. */
export function unneutralise(v: string): string {
  let out = '';
  let from = 0;
  for (const at of cellStarts(v)) {
    if (v[at] !== "'" || !formulaAt(v, at + 1, () => v.slice(1))) continue;
    out += v.slice(from, at);
    from = at + 1;
  }
  return out + v.slice(from);
}
