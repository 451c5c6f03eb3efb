/**
 * The layout engine: one declarative layout read and written the same way for X12, CSV and XML.
 * A format adapter knows how to find and create values in its own structure (an X12 loop tree,
 * a group of CSV rows, an XML element); the engine walks the layout's fields and loops, turns
 * partner text into typed canonical values and back, merges repeated structures by key, and
 * reports every problem with where it was found.
 */
import type { CanonicalKind } from '../model/index.ts';
import { arrayLevels, canonicalFieldTypes, catalogueName, type FieldType } from './fields.ts';
import type { FieldSpec, LayoutFile, LoopSpec } from './schema.ts';
import { FieldValueError, fromPartner, toPartner, type FormatDefaults } from './values.ts';

export interface NormalSpec {
  path?: string;
  date?: string;
  time?: string;
  format?: string;
  dateFormat?: string;
  timeFormat?: string;
  codes?: Record<string, string>;
  required?: boolean;
  with?: Record<string, string>;
  when?: string;
  unless?: string;
}

export interface CompiledField {
  /** Name inside its element: `trackingNumber`, `weight.value`, `lines[0]`, `notes[]`. */
  name: string;
  /** Full canonical name as the layout writes it. */
  full: string;
  spec: NormalSpec;
  type: FieldType;
}

export interface CompiledLoop {
  /** Array name inside the parent element (`lines`); '' for the document itself. */
  name: string;
  /** Full canonical array path (`packages[].lines`). */
  full: string;
  path?: string;
  key?: string;
  over?: string;
  sum: string[];
  fields: CompiledField[];
  loops: CompiledLoop[];
  /** Overlay arrays written onto / read from this loop's instances. */
  overlays: CompiledLoop[];
}

export interface CompiledLayout {
  layout: LayoutFile;
  kind: CanonicalKind;
  root: CompiledLoop;
}

/** A problem with one document: where (partner location and canonical field) and what. */
export interface TranslationProblem {
  /** Partner-side location: "line 14 (W12)", "row 7", "Order[2]/Lines/Line[1]". */
  where: string;
  field?: string;
  message: string;
}

export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

export function normalSpec(spec: FieldSpec): NormalSpec {
  return typeof spec === 'string' ? { path: spec } : spec;
}

/** The places of one field (a layout may give several). */
export function normalSpecs(spec: FieldSpec | FieldSpec[]): NormalSpec[] {
  return (Array.isArray(spec) ? spec : [spec]).map(normalSpec);
}

function applies(spec: NormalSpec, doc: Obj): boolean {
  const has = (name: string) => {
    const v = getAt(doc, name);
    return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  };
  return (spec.when === undefined || has(spec.when)) && (spec.unless === undefined || !has(spec.unless));
}

function normalLoop(spec: LoopSpec | undefined): { path?: string; key?: string; over?: string; sum: string[] } {
  if (spec === undefined) return { sum: [] };
  return typeof spec === 'string' ? { path: spec, sum: [] } : spec;
}

/** Compile a layout against its canonical document's fields. Throws LayoutError on a field the model lacks. */
export function compileLayout(layout: LayoutFile, kind: CanonicalKind): CompiledLayout {
  const types = canonicalFieldTypes(kind);
  const loops = new Map<string, CompiledLoop>();
  const root: CompiledLoop = { name: '', full: '', sum: [], fields: [], loops: [], overlays: [] };
  const loopFor = (full: string): CompiledLoop => {
    if (full === '') return root;
    const hit = loops.get(full);
    if (hit) return hit;
    const levels = arrayLevels(`${full}[].x`);
    const parent = loopFor(levels.length > 1 ? levels[levels.length - 2] : '');
    const name = full.slice(parent.full === '' ? 0 : parent.full.length + 3);
    const spec = normalLoop(layout.loops[full]);
    const loop: CompiledLoop = { name, full, ...spec, fields: [], loops: [], overlays: [] };
    loops.set(full, loop);
    if (spec.over) loopFor(spec.over).overlays.push(loop);
    else parent.loops.push(loop);
    return loop;
  };
  for (const full of Object.keys(layout.loops)) loopFor(full);
  for (const [full, spec] of Object.entries(layout.fields)) {
    const type = types.get(catalogueName(full));
    if (!type) throw new LayoutError(`fields.${full}: not a field of ${kind}`);
    const levels = arrayLevels(full);
    const loop = loopFor(levels.length ? levels[levels.length - 1] : '');
    const name = loop.full === '' ? full : full.slice(loop.full.length + 3);
    for (const one of normalSpecs(spec)) loop.fields.push({ name, full, spec: one, type });
  }
  return { layout, kind, root };
}

/** What a format adapter does in its own structure. `S` is its scope: a loop, a row group, an element. */
export interface FormatAdapter<S> {
  readonly dates: FormatDefaults;
  /** The text at a partner path in a scope; undefined when absent. Empty text counts as absent. */
  get(scope: S, path: string): string | undefined;
  getAll(scope: S, path: string): string[];
  /** The instances of a loop in a scope, each a scope of its own. */
  instances(scope: S, loop: CompiledLoop): S[];
  set(scope: S, path: string, value: string): void;
  /** Add one more value to a repeating path (an array of texts). */
  append(scope: S, path: string, value: string): void;
  /** Create one instance of a loop; `values` are what the instance will hold, for structures it must find or create on the way. */
  add(scope: S, loop: CompiledLoop, values: Array<[string, string]>): S;
  /** A human location of a scope for messages. */
  where(scope: S): string;
  /** What the format found wrong in a document before any field is read (a character XML forbids). */
  documentProblems?(scope: S): TranslationProblem[];
}

export interface EngineContext {
  /** IANA zone the partner's unzoned dates and times are in. */
  zone: string;
  problems: TranslationProblem[];
  /** Outbound text cleaning (the partner's text policy); returns the text to write. */
  clean?: (text: string, field: string) => string;
}

type Obj = Record<string, unknown>;

/** Set a value at a dotted name with optional [n] on the last part (`shipTo.lines[0]`). */
export function setAt(obj: Obj, name: string, value: unknown): void {
  const parts = name.split('.');
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]] ??= {}) as Obj;
  const last = parts[parts.length - 1];
  const m = /^(.*)\[(\d+)\]$/.exec(last);
  if (m) {
    const arr = (o[m[1]] ??= []) as unknown[];
    arr[Number(m[2])] = value;
  } else o[last] = value;
}

export function getAt(obj: unknown, name: string): unknown {
  let o = obj as Obj | undefined;
  for (const part of name.split('.')) {
    if (o === undefined || o === null) return undefined;
    const m = /^(.*)\[(\d+)\]$/.exec(part);
    o = (m ? (o[m[1]] as unknown[] | undefined)?.[Number(m[2])] : o[part]) as Obj | undefined;
  }
  return o;
}

// ---------------------------------------------------------------- reading

function readField<S>(a: FormatAdapter<S>, scope: S, f: CompiledField, ctx: EngineContext): unknown {
  const spec = f.spec;
  const problem = (message: string, path?: string) => ctx.problems.push({ where: a.where(scope), field: f.full, message: path ? `${path}: ${message}` : message });
  // The value is this field's only where its qualifiers say so.
  for (const [path, want] of Object.entries(spec.with ?? {})) if (a.get(scope, path) !== want) return undefined;
  try {
    if (f.name.endsWith('[]')) {
      return a.getAll(scope, spec.path!).map((t) => fromPartner(t, f.type, spec, a.dates, ctx.zone));
    }
    if (spec.date !== undefined) {
      const date = a.get(scope, spec.date);
      if (date === undefined) {
        if (spec.required) problem('required, not sent', spec.date);
        return undefined;
      }
      const time = spec.time !== undefined ? a.get(scope, spec.time) : undefined;
      return fromPartner(date, f.type, spec, a.dates, ctx.zone, time);
    }
    const text = a.get(scope, spec.path!);
    if (text === undefined) {
      if (spec.required) problem('required, not sent', spec.path);
      return undefined;
    }
    return fromPartner(text, f.type, spec, a.dates, ctx.zone);
  } catch (e) {
    if (e instanceof FieldValueError) {
      problem(e.message, spec.path ?? spec.date);
      return undefined;
    }
    throw e;
  }
}

function mergeInto(target: Obj, source: Obj, loop: CompiledLoop, ctx: EngineContext, where: string): void {
  for (const [k, v] of Object.entries(source)) {
    const child = loop.loops.find((l) => l.name === k);
    if (child) {
      target[k] = mergeByKey([...((target[k] as Obj[] | undefined) ?? []), ...(v as Obj[])], child, ctx, where);
    } else if (target[k] === undefined) target[k] = v;
    else if (typeof v !== 'object' && target[k] !== v) {
      ctx.problems.push({ where, field: `${loop.full}[].${k}`, message: `the same ${loop.key} ${String(source[loop.key!])} comes with ${k} ${JSON.stringify(target[k])} and ${JSON.stringify(v)}` });
    } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) mergeInto(target[k] as Obj, v as Obj, { ...loop, loops: [] }, ctx, where);
  }
}

function mergeByKey(elements: Obj[], loop: CompiledLoop, ctx: EngineContext, where: string): Obj[] {
  if (!loop.key) return elements;
  const out: Obj[] = [];
  const byKey = new Map<string, Obj>();
  for (const el of elements) {
    const k = getAt(el, loop.key);
    if (k === undefined) {
      out.push(el);
      continue;
    }
    const seen = byKey.get(String(k));
    if (seen) mergeInto(seen, el, loop, ctx, where);
    else {
      byKey.set(String(k), el);
      out.push(el);
    }
  }
  return out;
}

function readFields<S>(a: FormatAdapter<S>, scope: S, fields: CompiledField[], obj: Obj, ctx: EngineContext, conditional: boolean, doc: Obj): void {
  for (const f of fields) {
    const isConditional = f.spec.when !== undefined || f.spec.unless !== undefined;
    if (isConditional !== conditional) continue;
    if (conditional && !applies(f.spec, doc)) continue;
    const name = f.name.endsWith('[]') ? f.name.slice(0, -2) : f.name;
    if (getAt(obj, name) !== undefined) continue;
    const v = readField(a, scope, f, ctx);
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) setAt(obj, name, v);
  }
}

function readElement<S>(a: FormatAdapter<S>, scope: S, loop: CompiledLoop, ctx: EngineContext, overlays: Map<CompiledLoop, Obj[]>): Obj {
  const obj: Obj = {};
  readFields(a, scope, loop.fields, obj, ctx, false, obj);
  // Conditions name document fields: the document's own unconditional fields are read first.
  if (loop.full === '') readFields(a, scope, loop.fields, obj, ctx, true, obj);
  for (const child of loop.loops) {
    const instances = a.instances(scope, child);
    const elements = instances.map((s) => readElement(a, s, child, ctx, overlays));
    for (const ov of child.overlays) {
      const acc = overlays.get(ov) ?? [];
      for (const s of instances) acc.push(readElement(a, s, { ...ov, loops: [], overlays: [] }, ctx, overlays));
      overlays.set(ov, acc);
    }
    const merged = mergeByKey(elements, child, ctx, a.where(scope));
    if (merged.length) setAt(obj, child.name, merged);
  }
  return obj;
}

/** Overlay elements grouped by key; `sum` fields added up, the others taken from the first. */
function foldOverlay(ov: CompiledLoop, elements: Obj[]): Obj[] {
  const byKey = new Map<string, Obj>();
  const out: Obj[] = [];
  for (const el of elements) {
    const k = String(getAt(el, ov.key!));
    const seen = byKey.get(k);
    if (!seen) {
      byKey.set(k, { ...el });
      out.push(byKey.get(k)!);
      continue;
    }
    for (const [name, v] of Object.entries(el)) {
      if (ov.sum.includes(name)) seen[name] = ((seen[name] as number | undefined) ?? 0) + ((v as number | undefined) ?? 0);
      else if (seen[name] === undefined) seen[name] = v;
    }
  }
  return out;
}

/**
 * A default fills a field the partner did not send: in every element of its array, and only
 * where the object holding it exists (a weight unit where there is a weight).
 */
function applyDefault(target: Obj, name: string, value: unknown): void {
  const at = name.indexOf('[].');
  if (at >= 0) {
    for (const el of (getAt(target, name.slice(0, at)) as Obj[] | undefined) ?? []) applyDefault(el, name.slice(at + 3), value);
    return;
  }
  const dot = name.lastIndexOf('.');
  if (dot >= 0 && getAt(target, name.slice(0, dot)) === undefined) return;
  if (getAt(target, name) === undefined) setAt(target, name, value);
}

/** Read one document from its scope: a plain object in the canonical shape (not yet checked). */
export function readDocument<S>(compiled: CompiledLayout, a: FormatAdapter<S>, scope: S, ctx: EngineContext): Obj {
  for (const p of a.documentProblems?.(scope) ?? []) ctx.problems.push(p);
  const overlays = new Map<CompiledLoop, Obj[]>();
  const doc = readElement(a, scope, compiled.root, ctx, overlays);
  for (const [ov, elements] of overlays) if (elements.length) setAt(doc, ov.name, foldOverlay(ov, elements));
  for (const [name, value] of Object.entries(compiled.layout.defaults)) applyDefault(doc, name, value);
  return doc;
}

// ---------------------------------------------------------------- writing

/** The partner texts one field writes: [path, text] pairs. */
function fieldTexts(f: CompiledField, value: unknown, a: FormatAdapter<unknown>, ctx: EngineContext): Array<[string, string]> {
  const clean = (t: string) => (ctx.clean && (f.type.kind === 'string' || f.type.kind === 'enum') ? ctx.clean(t, f.full) : t);
  const qualifiers = Object.entries(f.spec.with ?? {});
  if (f.spec.date !== undefined) {
    const parts = toPartner(value, f.type, f.spec, a.dates, ctx.zone, true) as { date: string; time?: string };
    const out: Array<[string, string]> = [...qualifiers, [f.spec.date, parts.date]];
    if (f.spec.time !== undefined && parts.time !== undefined) out.push([f.spec.time, parts.time]);
    return out;
  }
  return [...qualifiers, [f.spec.path!, clean(toPartner(value, f.type, f.spec, a.dates, ctx.zone, false) as string)]];
}

function writeFields<S>(a: FormatAdapter<S>, scope: S, fields: CompiledField[], el: Obj, ctx: EngineContext, doc: Obj, skip: string[] = []): void {
  for (const f of fields) {
    if (skip.includes(f.name) || !applies(f.spec, doc)) continue;
    const v = f.name.endsWith('[]') ? getAt(el, f.name.slice(0, -2)) : getAt(el, f.name);
    if (v === undefined || v === null) continue;
    try {
      if (f.name.endsWith('[]')) {
        for (const item of v as unknown[]) for (const [path, text] of fieldTexts(f, item, a as FormatAdapter<unknown>, ctx)) a.append(scope, path, text);
      } else for (const [path, text] of fieldTexts(f, v, a as FormatAdapter<unknown>, ctx)) a.set(scope, path, text);
    } catch (e) {
      if (e instanceof FieldValueError) ctx.problems.push({ where: a.where(scope), field: f.full, message: e.message });
      else throw e;
    }
  }
}

/** Partner texts an element will write, for adapters that find-or-create structures on the way. */
function previewTexts(loop: CompiledLoop, el: Obj, a: FormatAdapter<unknown>, ctx: EngineContext, doc: Obj): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of loop.fields) {
    if (!applies(f.spec, doc)) continue;
    const v = getAt(el, f.name);
    if (v === undefined || f.name.endsWith('[]')) continue;
    try {
      out.push(...fieldTexts(f, v, a, { ...ctx, clean: undefined }));
    } catch {
      /* reported when written */
    }
  }
  return out;
}

function writeElement<S>(a: FormatAdapter<S>, scope: S, loop: CompiledLoop, el: Obj, ctx: EngineContext, overlayData: Map<CompiledLoop, { elements: Obj[]; used: Set<number> }>, doc: Obj): void {
  writeFields(a, scope, loop.fields, el, ctx, doc);
  for (const child of loop.loops) {
    const elements = (getAt(el, child.name) as Obj[] | undefined) ?? [];
    for (const item of elements) {
      const inst = a.add(scope, child, previewTexts(child, item, a as FormatAdapter<unknown>, ctx, doc));
      writeElement(a, inst, child, item, ctx, overlayData, doc);
      for (const ov of child.overlays) {
        const data = overlayData.get(ov);
        if (!data) continue;
        const key = getAt(item, ov.key!);
        const i = data.elements.findIndex((o) => getAt(o, ov.key!) === key);
        if (i < 0) continue;
        data.used.add(i);
        writeFields(a, inst, ov.fields, data.elements[i], ctx, doc, ov.sum);
      }
    }
  }
}

/** Write one canonical document into a fresh scope. */
export function writeDocument<S>(compiled: CompiledLayout, a: FormatAdapter<S>, scope: S, doc: Obj, ctx: EngineContext): void {
  const overlayData = new Map<CompiledLoop, { elements: Obj[]; used: Set<number> }>();
  const collect = (loop: CompiledLoop) => {
    for (const ov of loop.overlays) overlayData.set(ov, { elements: (getAt(doc, ov.name) as Obj[] | undefined) ?? [], used: new Set() });
    loop.loops.forEach(collect);
  };
  collect(compiled.root);
  writeElement(a, scope, compiled.root, doc, ctx, overlayData, doc);
  for (const [ov, data] of overlayData) {
    data.elements.forEach((el, i) => {
      if (!data.used.has(i)) {
        ctx.problems.push({
          where: a.where(scope),
          field: `${ov.full}[${i}]`,
          message: `no ${ov.over} element has ${ov.key} ${JSON.stringify(getAt(el, ov.key!))}: this layout carries ${ov.full} on ${ov.over} only`,
        });
      }
    });
  }
}
