/**
 * The XML side of the layout engine. A scope is an element; paths are element paths below it
 * (`ShipTo/City`, `@id`, `Lines/Line/@number`). Parsing is fast-xml-parser with entity
 * processing off (a DOCTYPE is refused outright: no external or expanding entities). Before it
 * parses, one linear scan of the file checks its size, nesting depth, tag delimiters and
 * characters: a character XML 1.0 does not allow, raw or as a reference, rejects the document
 * it is in, with its line and column, and the file's other documents are still read.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { LayoutError, type CompiledLoop, type FormatAdapter, type TranslationProblem } from '../engine.ts';
import type { XmlLayoutFile } from '../schema.ts';
import { TEXT_DATES } from '../values.ts';

type El = Record<string, unknown>;

export interface XmlScope {
  el: El;
  label: string;
  /** What the scan found wrong in this document before any field was read. */
  problems?: TranslationProblem[];
}

export class XmlFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'XmlFileError';
  }
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML 1.0's Char production: what a document may hold, raw or as a character reference. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** The character a numeric reference names (`x41` or `65`, between `&#` and `;`); undefined when XML allows none. */
function referencedChar(body: string): string | undefined {
  const m = /^x([0-9a-fA-F]+)$|^([0-9]+)$/.exec(body);
  if (!m) return undefined;
  const cp = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number.parseInt(m[2], 10);
  return isXmlChar(cp) ? String.fromCodePoint(cp) : undefined;
}

/**
 * The five predefined entities and character references; nothing else is expanded. A reference
 * to a character XML forbids stays as written: the scan has rejected its document already.
 */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, name: string) => (name.startsWith('#') ? (referencedChar(name.slice(1)) ?? all) : (PREDEFINED[name] ?? all)));
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** A reference or character as a message shows it: bounded, whatever the file holds. */
function shown(s: string): string {
  return s.length > 24 ? `${s.slice(0, 20)}...${s.slice(-1)}` : s;
}

/** A code unit as U+XXXX. */
const unit = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

const ALLOWED = 'XML 1.0 allows #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF';
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** What the scan is inside of (numbers: the scan looks at every character of the file). */
const TEXT = 0;
const TAG = 1;
const VALUE = 2;
const CLOSE = 3;
const COMMENT = 4;
const CDATA = 5;
const INSTRUCTION = 6;
const DECLARATION = 7;
const INSIDE = ['', 'a tag', 'an attribute value', 'a closing tag', 'a comment', 'a CDATA section', 'a processing instruction', 'a declaration'];

interface Flaw {
  line: number;
  column: number;
  what: string;
  count: number;
}

/**
 * One pass over the text, each character looked at once: nesting depth, tags that never end or
 * hold a '<', and characters outside XML's Char production, raw or as references. Each of those
 * is given to the document it is in (by index, in document order); outside any document it is
 * an error of the file.
 */
function scan(text: string, maxDepth: number, documentPath: string[]): { flaws: Map<number, Flaw>; references: number[] } {
  const flaws = new Map<number, Flaw>();
  /** Where the bad references of documents start (their '&'). */
  const references: number[] = [];
  const stack: string[] = [];
  let state = TEXT;
  let line = 1;
  let column = 0;
  let lowHalf = false;
  /** Where the construct being read starts, for messages. */
  let startLine = 1;
  let startColumn = 1;
  let quote = 0;
  let nameStart = -1;
  let name = '';
  let isDocument = false;
  let documents = -1;
  /** The document the scan is in (-1: none) and the depth of its element. */
  let current = -1;
  let documentDepth = 0;
  const flaw = (what: string) => {
    if (current < 0) throw new XmlFileError(`${what}, at column ${column} (${ALLOWED})`, line, column);
    const seen = flaws.get(current);
    if (seen) seen.count++;
    else flaws.set(current, { line, column, what, count: 1 });
  };
  const malformed = (what: string): never => {
    throw new XmlFileError(`not well-formed XML: ${what} at line ${line}, column ${column}, inside ${INSIDE[state]} that starts at line ${startLine}, column ${startColumn}`, line, column);
  };
  /** A reference at `i` (its '&'): a numeric one must name an allowed character. Returns the index of its last character. */
  const reference = (i: number): number => {
    if (text.charCodeAt(i + 1) !== 0x23 /* # */) return i;
    let j = i + 2;
    while (j < text.length && /[0-9a-zA-Z]/.test(text[j])) j++;
    const ended = text[j] === ';';
    if (!ended || referencedChar(text.slice(i + 2, j)) === undefined) {
      flaw(`the reference ${shown(text.slice(i, ended ? j + 1 : j))} names no character XML allows`);
      references.push(i);
    }
    column += j - i - 1;
    return j - 1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (lowHalf) lowHalf = false;
    else {
      if (c === 10) {
        line++;
        column = 0;
      } else column++;
      if (c >= 0xd800 && c <= 0xdbff && isLow(text.charCodeAt(i + 1))) lowHalf = true;
      else if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) flaw(`the raw character ${unit(c)} is not one XML allows`);
    }
    switch (state) {
      case TEXT:
        if (c === 0x26 /* & */) i = reference(i);
        else if (c === 0x3c /* < */) {
          startLine = line;
          startColumn = column;
          if (text.startsWith('!--', i + 1)) state = COMMENT;
          else if (text.startsWith('![CDATA[', i + 1)) state = CDATA;
          else if (text[i + 1] === '?') state = INSTRUCTION;
          else if (text[i + 1] === '!') state = DECLARATION;
          else if (text[i + 1] === '/') state = CLOSE;
          else {
            state = TAG;
            nameStart = i + 1;
          }
        }
        break;
      case TAG:
        if (nameStart >= 0 && (c === 0x3e || c === 0x2f || c === 0x20 || c === 9 || c === 10 || c === 13)) {
          name = text.slice(nameStart, i);
          nameStart = -1;
          isDocument = stack.length + 1 === documentPath.length && documentPath.every((step, k) => (k < stack.length ? stack[k] : name) === step);
          if (isDocument) current = ++documents;
        }
        if (c === 0x22 || c === 0x27) {
          state = VALUE;
          quote = c;
        } else if (c === 0x3c) malformed("'<'");
        else if (c === 0x3e /* > */) {
          state = TEXT;
          if (text.charCodeAt(i - 1) === 0x2f /* / */) {
            if (isDocument) current = -1;
          } else {
            stack.push(name);
            if (stack.length > maxDepth) throw new XmlFileError(`elements nested deeper than ${maxDepth} (xml.maxDepth), at line ${startLine}, column ${startColumn}`, startLine, startColumn);
            if (isDocument) documentDepth = stack.length;
          }
        }
        break;
      case VALUE:
        if (c === quote) state = TAG;
        else if (c === 0x26) i = reference(i);
        else if (c === 0x3c) malformed("'<'");
        break;
      case CLOSE:
        if (c === 0x3c) malformed("'<'");
        else if (c === 0x3e) {
          state = TEXT;
          stack.pop();
          if (current >= 0 && stack.length < documentDepth) current = -1;
        }
        break;
      case COMMENT:
        if (c === 0x2d && text.startsWith('-->', i)) state = TEXT;
        break;
      case CDATA:
        if (c === 0x5d && text.startsWith(']]>', i)) state = TEXT;
        break;
      case INSTRUCTION:
        if (c === 0x3f && text[i + 1] === '>') state = TEXT;
        break;
      case DECLARATION:
        if (c === 0x3e) state = TEXT;
        break;
    }
  }
  if (state !== TEXT) throw new XmlFileError(`not well-formed XML: the file ends inside ${INSIDE[state]} that starts at line ${startLine}, column ${startColumn}`, startLine, startColumn);
  return { flaws, references };
}

/**
 * The text with the '&' of each bad reference made a '?': the validator would refuse the whole
 * file for one of them, and their documents are rejected already. Lines and columns stay as they were.
 */
function defuse(text: string, references: number[]): string {
  if (references.length === 0) return text;
  const parts: string[] = [];
  let from = 0;
  for (const at of references) {
    parts.push(text.slice(from, at), '?');
    from = at + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

export class XmlAdapter implements FormatAdapter<XmlScope> {
  readonly dates = TEXT_DATES;
  constructor(readonly layout: XmlLayoutFile) {}

  private steps(path: string): string[] {
    return path.split('/').filter((s) => s !== '');
  }

  private children(el: El, name: string): El[] {
    const v = el[name];
    return Array.isArray(v) ? (v as El[]) : [];
  }

  private textOf(v: unknown): string | undefined {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && typeof (v as El)['#text'] === 'string') return (v as El)['#text'] as string;
    if (v && typeof v === 'object') return '';
    return undefined;
  }

  getAll(scope: XmlScope, path: string): string[] {
    const steps = this.steps(path);
    let els: El[] = [scope.el];
    const last = steps[steps.length - 1];
    for (const s of steps.slice(0, -1)) els = els.flatMap((e) => this.children(e, s));
    const values = last.startsWith('@') ? els.map((e) => e[last] as string | undefined) : els.flatMap((e) => (Array.isArray(e[last]) ? (e[last] as unknown[]) : [])).map((v) => this.textOf(v));
    return values.filter((v): v is string => v !== undefined && v.trim() !== '').map((v) => decodeEntities(v.trim()));
  }

  get(scope: XmlScope, path: string): string | undefined {
    return this.getAll(scope, path)[0];
  }

  instances(scope: XmlScope, loop: CompiledLoop): XmlScope[] {
    if (!loop.path) throw new LayoutError(`loops.${loop.full}: an XML layout needs the loop's element path`);
    let scopes: XmlScope[] = [scope];
    for (const s of this.steps(loop.path)) {
      scopes = scopes.flatMap((sc) => this.children(sc.el, s).map((el, i, all) => ({ el, label: `${sc.label}/${s}${all.length > 1 ? `[${i + 1}]` : ''}` })));
    }
    return scopes;
  }

  private descend(el: El, steps: string[]): El {
    let e = el;
    for (const s of steps) {
      const kids = this.children(e, s);
      if (kids.length && typeof kids[0] === 'object') e = kids[0];
      else {
        const fresh: El = {};
        e[s] = [fresh];
        e = fresh;
      }
    }
    return e;
  }

  set(scope: XmlScope, path: string, value: string): void {
    const steps = this.steps(path);
    const last = steps[steps.length - 1];
    const parent = this.descend(scope.el, steps.slice(0, -1));
    if (last.startsWith('@')) parent[last] = value;
    else {
      const existing = this.children(parent, last)[0];
      if (existing && typeof existing === 'object') (existing as El)['#text'] = value;
      else parent[last] = [value];
    }
  }

  append(scope: XmlScope, path: string, value: string): void {
    const steps = this.steps(path);
    const last = steps[steps.length - 1];
    if (last.startsWith('@')) throw new LayoutError(`${path}: an attribute holds one value`);
    const parent = this.descend(scope.el, steps.slice(0, -1));
    ((parent[last] ??= []) as unknown[]).push(value);
  }

  add(scope: XmlScope, loop: CompiledLoop): XmlScope {
    const steps = this.steps(loop.path!);
    const parent = this.descend(scope.el, steps.slice(0, -1));
    const el: El = {};
    ((parent[steps[steps.length - 1]] ??= []) as unknown[]).push(el);
    return { el, label: `${scope.label}/${loop.path}` };
  }

  where(scope: XmlScope): string {
    return scope.label;
  }

  /** `ch` is one code point (a lone surrogate is one too, and XML cannot hold it). */
  canCarry(ch: string): boolean {
    const cp = ch.codePointAt(0)!;
    return isXmlChar(cp) && !(cp >= 0xd800 && cp <= 0xdfff);
  }

  documentProblems(scope: XmlScope): TranslationProblem[] {
    return scope.problems ?? [];
  }

  // ---------------------------------------------------------------- files

  /** Parse a file into its document elements. */
  parseDocuments(source: Buffer): XmlScope[] {
    const { maxBytes, maxDepth, root, document } = this.layout.xml;
    if (source.length > maxBytes) throw new XmlFileError(`${source.length} bytes is more than this layout accepts (xml.maxBytes ${maxBytes})`, 1);
    const raw = source.toString('utf8').replace(/^\uFEFF/, '');
    const doctype = raw.search(/<!DOCTYPE/i);
    if (doctype >= 0) throw new XmlFileError('a DOCTYPE is refused (no DTDs or entities are processed)', lineAt(raw, doctype));
    const { flaws, references } = scan(raw, maxDepth, [root, ...this.steps(document)]);
    const text = defuse(raw, references);
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      processEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
    });
    let parsed: El;
    try {
      const valid = XMLValidator.validate(text) as true | { err: { msg: string; line: number; col: number } };
      if (valid !== true) throw new XmlFileError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`, valid.err.line, valid.err.col);
      parsed = parser.parse(text) as El;
    } catch (e) {
      if (e instanceof XmlFileError) throw e;
      throw new XmlFileError(`not well-formed XML: ${(e as Error).message}`, 1);
    }
    const roots = this.children(parsed, root);
    if (roots.length !== 1) {
      const found = Object.keys(parsed).filter((k) => !k.startsWith('?'));
      throw new XmlFileError(`expected the root element <${root}>, found ${found.map((f) => `<${f}>`).join(', ') || 'none'}`, 1);
    }
    const scopes = this.instances({ el: roots[0] as El, label: root }, { path: document } as CompiledLoop);
    for (const [index, f] of flaws) {
      const message = `line ${f.line}, column ${f.column}: ${f.what} (${ALLOWED})${f.count > 1 ? `; and ${f.count - 1} more such in this document` : ''}`;
      const scope = scopes[index];
      // The scan and the parser count documents alike; should they ever not, the file is refused rather than a flaw let through.
      if (!scope) throw new XmlFileError(message, f.line, f.column);
      scope.problems = [{ where: scope.label, message }];
    }
    return scopes;
  }

  /** Documents written as elements under the root. */
  writeDocuments(documents: El[]): Buffer {
    const { root, document } = this.layout.xml;
    const top: El = {};
    const steps = this.steps(document);
    const parent = this.descend(top, steps.slice(0, -1));
    parent[steps[steps.length - 1]] = documents;
    const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, indentBy: '  ', processEntities: true, suppressEmptyNode: true });
    return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: [top] }) as string}`, 'utf8');
  }
}
