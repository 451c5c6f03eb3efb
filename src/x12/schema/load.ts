/**
 * Loads transaction-set schema files (data) and compiles them once per (root, version, set):
 * element and composite references resolved, code lists as Sets, syntax rules parsed.
 *
 * Version choice: the GS08 version's own folder when it has the set, otherwise the nearest
 * LOWER version that has it (004060 -> 004010, 005020 -> 005010), as StAEDI does for its
 * control schemas. No lower version: no schema (the caller reports st.unsupported).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X12ConfigError } from '../diagnostics.ts';
import { compileRule, type CompiledRule } from './rules.ts';
import {
  isLoop,
  type CompositeDef,
  type ElementDef,
  type ElementType,
  type ElementUse,
  type HierarchyRule,
  type LoopRef,
  type Requirement,
  type SegmentDef,
  type SegmentRef,
  type TransactionSetSchema,
} from './types.ts';

export const DEFAULT_SCHEMA_ROOT = fileURLToPath(new URL('../schemas/', import.meta.url));

export interface CompiledElement {
  /** 1-based position in the segment (or composite). */
  position: number;
  ref: string;
  name: string;
  type: ElementType;
  /** 0 not numeric, 1 whole number (N, N0-N9), 2 decimal (R): precomputed for the hot path. */
  numeric: 0 | 1 | 2;
  min: number;
  max: number;
  req: Requirement;
  repeat: number;
  codes: Set<string> | null;
  /** Present for composite elements. */
  composite: { id: string; components: CompiledElement[]; rules: CompiledRule[] } | null;
}

export interface CompiledSegment {
  id: string;
  name: string;
  elements: CompiledElement[];
  rules: CompiledRule[];
}

export interface CompiledSegmentItem {
  kind: 'segment';
  id: string;
  /** The segment id that places this item (= id): one field to compare for segments and loops. */
  key: string;
  /** The segment's dictionary definition. */
  def: CompiledSegment;
  req: Requirement;
  max: number;
  pos: string;
  /** Narrower code lists at this position, by element position. */
  codes: Map<number, Set<string>> | null;
}

export interface CompiledLoop {
  kind: 'loop';
  /** Standard loop id (AK303), e.g. "0200"; "" for the set itself. */
  id: string;
  /** Trigger segment id (first item). */
  trigger: string;
  /** The segment id that places this item (= trigger). */
  key: string;
  req: Requirement;
  max: number;
  items: Array<CompiledSegmentItem | CompiledLoop>;
}

export interface CompiledSetSchema {
  id: string;
  version: string;
  functionalGroup: string;
  name: string;
  root: CompiledLoop;
  /** Every segment of the version's dictionary. */
  dictionary: Map<string, CompiledSegment>;
  /** Segment ids used anywhere in this set. */
  used: Set<string>;
  hierarchy: HierarchyRule | null;
}

export interface SchemaLookup {
  schema: CompiledSetSchema;
  /** Version folder actually used. */
  version: string;
  /** true when the GS08 version had no schema of its own. */
  fallback: boolean;
}

interface Dictionaries {
  elements: Record<string, ElementDef>;
  composites: Record<string, CompositeDef>;
  segments: Map<string, CompiledSegment>;
}

const dictionaryCache = new Map<string, Dictionaries>();
const setCache = new Map<string, CompiledSetSchema | null>();
const versionsCache = new Map<string, string[]>();

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new X12ConfigError(`cannot read schema file ${file}: ${(e as Error).message}`, { file });
  }
}

/** Version folders under the root, ascending. */
export function schemaVersions(root = DEFAULT_SCHEMA_ROOT): string[] {
  let v = versionsCache.get(root);
  if (!v) {
    v = existsSync(root) ? readdirSync(root).filter((d) => /^\d{6}$/.test(d)).sort() : [];
    versionsCache.set(root, v);
  }
  return v;
}

function compileElement(use: ElementUse, position: number, dict: Omit<Dictionaries, 'segments'>, where: string): CompiledElement {
  const repeat = use.repeat ?? 1;
  if (use.composite) {
    const def = dict.composites[use.composite];
    if (!def) throw new X12ConfigError(`${where}: composite ${use.composite} is not in composites.json`);
    const components = def.components.map((c, i) => compileElement(c, i + 1, dict, `${where} ${use.composite}-${String(i + 1).padStart(2, '0')}`));
    return {
      position,
      ref: use.composite,
      name: def.name,
      type: 'AN',
      numeric: 0,
      min: 0,
      max: 0,
      req: use.req,
      repeat,
      codes: null,
      composite: { id: use.composite, components, rules: (def.rules ?? []).map((r) => compileRule(r, `${where} ${use.composite}`, components.length)) },
    };
  }
  const ref = use.ref;
  if (!ref) throw new X12ConfigError(`${where}: an element use needs "ref" or "composite"`);
  const def = dict.elements[ref];
  if (!def) throw new X12ConfigError(`${where}: element ${ref} is not in elements.json`);
  const codes = use.codes ?? def.codes;
  const numeric = def.type === 'R' ? 2 : def.type.startsWith('N') ? 1 : 0;
  return { position, ref, name: def.name, type: def.type, numeric, min: def.min, max: def.max, req: use.req, repeat, codes: codes ? new Set(codes) : null, composite: null };
}

function loadDictionaries(root: string, version: string): Dictionaries {
  const key = `${root}\u0000${version}`;
  const cached = dictionaryCache.get(key);
  if (cached) return cached;
  const dir = join(root, version);
  const elements = readJson<Record<string, ElementDef>>(join(dir, 'elements.json'));
  const composites = existsSync(join(dir, 'composites.json')) ? readJson<Record<string, CompositeDef>>(join(dir, 'composites.json')) : {};
  const rawSegments = readJson<Record<string, SegmentDef>>(join(dir, 'segments.json'));
  const segments = new Map<string, CompiledSegment>();
  for (const [id, def] of Object.entries(rawSegments)) {
    if (id.startsWith('_')) continue;
    const where = `${version}/segments.json ${id}`;
    const compiled = def.elements.map((u, i) => compileElement(u, i + 1, { elements, composites }, `${where}${String(i + 1).padStart(2, '0')}`));
    segments.set(id, { id, name: def.name, elements: compiled, rules: (def.rules ?? []).map((r) => compileRule(r, where, compiled.length)) });
  }
  const dict = { elements, composites, segments };
  dictionaryCache.set(key, dict);
  return dict;
}

function compileItems(items: Array<SegmentRef | LoopRef>, dict: Dictionaries, used: Set<string>, where: string): Array<CompiledSegmentItem | CompiledLoop> {
  return items.map((item) => {
    if (isLoop(item)) {
      const inner = compileItems(item.content, dict, used, `${where} loop ${item.loop}`);
      const first = inner[0];
      if (!first || first.kind !== 'segment') throw new X12ConfigError(`${where}: loop ${item.loop} must start with a segment`);
      return { kind: 'loop', id: item.loop, trigger: first.id, key: first.id, req: item.req, max: item.max ?? 1, items: inner } satisfies CompiledLoop;
    }
    const def = dict.segments.get(item.segment);
    if (!def) throw new X12ConfigError(`${where}: segment ${item.segment} is not in segments.json`);
    used.add(item.segment);
    let codes: Map<number, Set<string>> | null = null;
    if (item.codes) {
      codes = new Map();
      for (const [pos, list] of Object.entries(item.codes)) codes.set(Number(pos), new Set(list));
    }
    return { kind: 'segment', id: item.segment, key: item.segment, def, req: item.req, max: item.max ?? 1, pos: item.pos ?? '', codes } satisfies CompiledSegmentItem;
  });
}

function compileSet(root: string, version: string, setId: string): CompiledSetSchema | null {
  const key = `${root}\u0000${version}\u0000${setId}`;
  if (setCache.has(key)) return setCache.get(key)!;
  const file = join(root, version, `${setId}.json`);
  if (!existsSync(file)) {
    setCache.set(key, null);
    return null;
  }
  const raw = readJson<TransactionSetSchema>(file);
  const dict = loadDictionaries(root, version);
  const used = new Set<string>();
  const items = compileItems(raw.content, dict, used, `${version}/${setId}.json`);
  const schema: CompiledSetSchema = {
    id: raw.id,
    version,
    functionalGroup: raw.functionalGroup,
    name: raw.name,
    root: { kind: 'loop', id: '', trigger: 'ST', key: 'ST', req: 'M', max: 1, items },
    dictionary: dict.segments,
    used,
    hierarchy: raw.hierarchy ?? null,
  };
  setCache.set(key, schema);
  return schema;
}

/** The schema for a set as sent under a GS08 version, or null when there is none. */
export function loadSetSchema(setId: string, gsVersion: string, root = DEFAULT_SCHEMA_ROOT): SchemaLookup | null {
  const wanted = gsVersion.slice(0, 6);
  if (!/^\d{6}$/.test(wanted) || !/^\d{3}$/.test(setId)) return null;
  const versions = schemaVersions(root);
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i];
    if (v > wanted) continue;
    const schema = compileSet(root, v, setId);
    if (schema) return { schema, version: v, fallback: v !== wanted };
  }
  return null;
}

/** The segment dictionary of the version a set would use (to tell unknown ids from misplaced ones). */
export function dictionaryFor(gsVersion: string, root = DEFAULT_SCHEMA_ROOT): Map<string, CompiledSegment> | null {
  const wanted = gsVersion.slice(0, 6);
  const versions = schemaVersions(root).filter((v) => v <= wanted);
  const v = versions[versions.length - 1];
  return v ? loadDictionaries(root, v).segments : null;
}
