/**
 * The XML side of the layout engine. A scope is an element; paths are element paths below it
 * (`ShipTo/City`, `@id`, `Lines/Line/@number`). Parsing is fast-xml-parser with entity
 * processing off (a DOCTYPE is refused outright: no external or expanding entities), and the
 * file's size and nesting depth are limited before it is parsed.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { LayoutError, type CompiledLoop, type FormatAdapter } from '../engine.ts';
import type { XmlLayoutFile } from '../schema.ts';
import { TEXT_DATES } from '../values.ts';

type El = Record<string, unknown>;

export interface XmlScope {
  el: El;
  label: string;
}

export class XmlFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'XmlFileError';
  }
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The five predefined entities and character references; nothing else is expanded. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return PREDEFINED[name] ?? all;
  });
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Characters XML 1.0 cannot hold at all. */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

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

  canCarry(ch: string): boolean {
    return !XML_FORBIDDEN.test(ch);
  }

  // ---------------------------------------------------------------- files

  /** Parse a file into its document elements. */
  parseDocuments(source: Buffer): XmlScope[] {
    const { maxBytes, maxDepth, root, document } = this.layout.xml;
    if (source.length > maxBytes) throw new XmlFileError(`${source.length} bytes is more than this layout accepts (xml.maxBytes ${maxBytes})`, 1);
    const text = source.toString('utf8').replace(/^\uFEFF/, '');
    const doctype = text.search(/<!DOCTYPE/i);
    if (doctype >= 0) throw new XmlFileError('a DOCTYPE is refused (no DTDs or entities are processed)', lineAt(text, doctype));
    let depth = 0;
    for (const m of text.matchAll(/<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>/g)) {
      if (m[1]) depth--;
      else if (!m[3]) depth++;
      if (depth > maxDepth) throw new XmlFileError(`elements nested deeper than ${maxDepth} (xml.maxDepth)`, lineAt(text, m.index!));
    }
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
      const valid = XMLValidator.validate(text) as true | { err: { msg: string; line: number } };
      if (valid !== true) throw new XmlFileError(`not well-formed XML: ${valid.err.msg}`, valid.err.line);
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
    return this.instances({ el: roots[0] as El, label: root }, { path: document } as CompiledLoop);
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
