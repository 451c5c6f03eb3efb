/**
 * Dockgate's X12 JSON form (docs/x12-json-form.md): interchanges -> groups -> sets, each set a
 * loop tree, independent of the separators the file used (those are kept once per
 * interchange so that reproduce mode can write the same bytes back).
 */
import { z } from 'zod';
import { separatorChars } from './dialect.ts';
import type { ReaderEvent, TransactionSet } from './envelope.ts';
import type { Segment } from './segment.ts';
import { isLoopNode, type InterchangeTree, type SegmentNode, type SetTree, type TreeNode, type X12Document } from './tree.ts';
import { X12DataError } from './writer.ts';

/** Envelope segments keep their elements as written: no component splitting (ISA16 IS the separator). */
function envelopeNode(seg: Segment): SegmentNode {
  return { segment: seg.id, elements: seg.elements(), line: seg.line };
}

/**
 * Problems that leave bytes the JSON form cannot hold (or, for an empty file, nothing to hold).
 * Blank lines between segments are not among them: the form holds every segment, and only
 * the skipped bytes do not come back from from-json.
 */
export const UNREPRESENTABLE = new Set(['file.empty', 'file.not-x12', 'file.trailing-data', 'file.set-without-envelope', 'isa.truncated', 'isa.separator-invalid', 'isa.terminator-not-found']);

/** One JSON escape for a character JSON.stringify would leave raw or that a terminal acts on. */
function controlEscape(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/**
 * JSON text of a value with every control character escaped: JSON.stringify escapes C0 but
 * leaves DEL, C1 (0x80-0x9f, which terminals act on) and U+2028/U+2029 raw.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f\u2028\u2029]/g, controlEscape);
}

/** Nesting deeper than this is not indented further: a 3,000-deep HL chain stays linear in size. */
const MAX_INDENT_DEPTH = 32;
const indent = (depth: number) => '  '.repeat(Math.min(depth, MAX_INDENT_DEPTH));

/**
 * The JSON text of one set, piece by piece, without recursion: loops nest as deep as the data
 * (an 856 HL chain), deeper than JSON.stringify's stack allows. One segment per line.
 */
function* setJson(tree: SetTree, depth: number): Generator<string> {
  yield `${indent(depth)}{ "id": ${jsonText(tree.id)}, "control": ${jsonText(tree.control)}, "version": ${jsonText(tree.version)}, "structured": ${tree.structured}, "children": [`;
  const stack: Array<{ nodes: TreeNode[]; next: number }> = [{ nodes: tree.children, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const d = depth + stack.length;
    if (top.next === top.nodes.length) {
      stack.pop();
      yield stack.length === 0 ? `\n${indent(depth)}] }` : `\n${indent(d - 1)}] }`;
      continue;
    }
    const node = top.nodes[top.next++];
    const comma = top.next > 1 ? ',' : '';
    if (isLoopNode(node)) {
      let head = `"loop": ${jsonText(node.loop)}`;
      if (node.loopId !== undefined) head += `, "loopId": ${jsonText(node.loopId)}`;
      if (node.level !== undefined) head += `, "level": ${jsonText(node.level)}`;
      if (node.hlId !== undefined) head += `, "hlId": ${jsonText(node.hlId)}`;
      yield `${comma}\n${indent(d)}{ ${head}, "children": [`;
      stack.push({ nodes: node.children, next: 0 });
    } else {
      yield `${comma}\n${indent(d)}${jsonText(node)}`;
    }
  }
}

/**
 * Write the JSON form of reader events as a stream of text: one interchange, group and set at a
 * time, so memory holds one set's tree, never the document. `structure` turns a set into its
 * loop tree; `write` takes each piece (and may wait for the output to drain).
 */
export async function writeJsonForm(
  events: AsyncIterable<ReaderEvent> | Iterable<ReaderEvent>,
  structure: (set: TransactionSet) => SetTree,
  write: (text: string) => void | Promise<void>,
): Promise<void> {
  let pending = '';
  const out = async (text: string) => {
    pending += text;
    if (pending.length >= 1 << 16) {
      const chunk = pending;
      pending = '';
      await write(chunk);
    }
  };
  await out('{\n  "format": "dockgate-x12",\n  "formatVersion": 1,\n  "interchanges": [');
  let interchanges = 0;
  let ic: { groups: number; service: SegmentNode[]; delimiters: InterchangeTree['delimiters'] } | null = null;
  let group: { sets: number } | null = null;
  for await (const e of events) {
    switch (e.type) {
      case 'diagnostic':
        if (UNREPRESENTABLE.has(e.diagnostic.code)) {
          throw new X12DataError(`line ${e.diagnostic.location.line ?? '?'}: ${e.diagnostic.message}; the JSON form holds enveloped X12 only`, {});
        }
        break;
      case 'interchange-start': {
        const seps = separatorChars(e.interchange.separators);
        ic = { groups: 0, service: [], delimiters: { ...seps, component: e.interchange.separators.component < 0 ? '' : seps.component } };
        await out(`${interchanges++ > 0 ? ',' : ''}\n    {\n      "ISA": ${jsonText(envelopeNode(e.interchange.isa))},\n      "delimiters": ${jsonText(ic.delimiters)},\n      "groups": [`);
        break;
      }
      case 'service-segment':
      case 'ta1':
        if (!ic) throw new X12DataError(`${e.segment.id} outside an interchange cannot be represented`, { segmentId: e.segment.id });
        // Service segments may follow the groups: held until the interchange ends (they are few).
        ic.service.push(envelopeNode(e.segment));
        break;
      case 'group-start':
        if (!ic) throw new X12DataError('a functional group outside an interchange cannot be represented', { segmentId: 'GS' });
        group = { sets: 0 };
        await out(`${ic.groups++ > 0 ? ',' : ''}\n        {\n          "GS": ${jsonText(envelopeNode(e.group.gs))},\n          "sets": [`);
        break;
      case 'set':
        if (!group || !e.set.group) throw new X12DataError(`transaction set ${e.set.control} has no envelope: the JSON form holds enveloped X12 only`, { set: e.set.control });
        await out(group.sets++ > 0 ? ',\n' : '\n');
        for (const piece of setJson(structure(e.set), 6)) await out(piece);
        break;
      case 'group-end':
        if (group) await out(`${group.sets > 0 ? '\n          ' : ''}]${e.trailer.ge ? `,\n          "GE": ${jsonText(envelopeNode(e.trailer.ge))}` : ''}\n        }`);
        group = null;
        break;
      case 'interchange-end':
        if (ic) {
          let tail = `${ic.groups > 0 ? '\n      ' : ''}]`;
          if (ic.service.length > 0) tail += `,\n      "service": [\n${ic.service.map((n) => `        ${jsonText(n)}`).join(',\n')}\n      ]`;
          const iea = e.trailer.iea;
          if (iea) {
            tail += `,\n      "IEA": ${jsonText(envelopeNode(iea))}`;
            const usual = ic.delimiters.segment + ic.delimiters.suffix;
            if (iea.ending !== undefined && iea.ending !== usual) tail += `,\n      "ending": ${jsonText(iea.ending)}`;
          }
          await out(`${tail}\n    }`);
        }
        ic = null;
        break;
    }
  }
  await out(`${interchanges > 0 ? '\n  ' : ''}]\n}\n`);
  if (pending) await write(pending);
}

// ---------- parsing the JSON form back ----------

const Value: z.ZodType<SegmentNode['elements'][number]> = z.union([
  z.string(),
  z.array(z.string()),
  z.object({ repeats: z.array(z.union([z.string(), z.array(z.string())])) }).strict(),
]);
const SegmentNodeSchema = z
  .object({ segment: z.string().regex(/^[A-Z0-9]{2,3}$/, 'a segment id of 2-3 upper-case letters or digits'), elements: z.array(Value), line: z.number().optional(), position: z.number().optional() })
  .strict();
/*
 * Loops nest as deep as the data (a 3,000-level HL chain), deeper than a recursive schema can
 * check on the stack: the document schema takes children as they come, and checkTree walks
 * them with a stack of its own.
 */
const LoopNodeSchema = z
  .object({ loop: z.string(), loopId: z.string().optional(), level: z.string().optional(), hlId: z.string().optional(), children: z.array(z.unknown()) })
  .strict();
const DocumentSchema = z
  .object({
    format: z.literal('dockgate-x12'),
    formatVersion: z.literal(1),
    interchanges: z.array(
      z
        .object({
          ISA: SegmentNodeSchema,
          delimiters: z
            .object({ element: z.string().length(1), component: z.string().max(1), repetition: z.string().length(1).nullable(), segment: z.string().length(1), suffix: z.enum(['', '\n', '\r\n']) })
            .strict(),
          service: z.array(SegmentNodeSchema).optional(),
          groups: z.array(
            z
              .object({
                GS: SegmentNodeSchema,
                sets: z.array(z.object({ id: z.string(), control: z.string(), version: z.string(), structured: z.boolean(), children: z.array(z.unknown()) }).strict()),
                GE: SegmentNodeSchema.optional(),
              })
              .strict(),
          ),
          IEA: SegmentNodeSchema.optional(),
          ending: z.string().max(3).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/** A JSON path, kept as links to its parent so that a deep walk does not copy it per level. */
interface PathLink {
  key: string | number;
  parent: PathLink | null;
}

function pathText(link: PathLink | null, tail: PropertyKey[]): string {
  const keys: PropertyKey[] = [];
  for (let l = link; l; l = l.parent) keys.push(l.key);
  keys.reverse().push(...tail);
  return keys.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function refuse(at: PathLink | null, issue: z.core.$ZodIssue): never {
  throw new X12DataError(`not the Dockgate X12 JSON form at $${pathText(at, issue.path)}: ${issue.message}`, {});
}

/** Check every node of a set's tree, without recursion. */
function checkTree(children: unknown[], at: PathLink): void {
  const stack: Array<{ nodes: unknown[]; at: PathLink }> = [{ nodes: children, at }];
  while (stack.length > 0) {
    const { nodes, at: parent } = stack.pop()!;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const here: PathLink = { key: i, parent };
      const loop = typeof node === 'object' && node !== null && 'loop' in node;
      if (loop) {
        const r = LoopNodeSchema.safeParse(node);
        if (!r.success) refuse(here, r.error.issues[0]);
        stack.push({ nodes: r.data.children, at: { key: 'children', parent: here } });
      } else {
        const r = SegmentNodeSchema.safeParse(node);
        if (!r.success) refuse(here, r.error.issues[0]);
      }
    }
  }
}

/** Validate a parsed JSON value as the X12 JSON form; errors name the JSON path. */
export function parseDocument(json: unknown): X12Document {
  const r = DocumentSchema.safeParse(json);
  if (!r.success) refuse(null, r.error.issues[0]);
  r.data.interchanges.forEach((ic, i) =>
    ic.groups.forEach((g, k) =>
      g.sets.forEach((set, j) => {
        let at: PathLink = { key: 'interchanges', parent: null };
        for (const key of [i, 'groups', k, 'sets', j, 'children']) at = { key, parent: at };
        checkTree(set.children, at);
      }),
    ),
  );
  return r.data as X12Document;
}
