/**
 * Dockgate's X12 JSON form (docs/x12-json-form.md): interchanges -> groups -> sets, each set a
 * loop tree, independent of the separators the file used (those are kept once per
 * interchange so that reproduce mode can write the same bytes back).
 */
import { z } from 'zod';
import { separatorChars } from './dialect.ts';
import type { ReaderEvent, TransactionSet } from './envelope.ts';
import type { Segment } from './segment.ts';
import type { GroupTree, InterchangeTree, SegmentNode, SetTree, TreeNode, X12Document } from './tree.ts';
import { X12DataError } from './writer.ts';

/** Envelope segments keep their elements as written: no component splitting (ISA16 IS the separator). */
function envelopeNode(seg: Segment): SegmentNode {
  return { segment: seg.id, elements: seg.elements(), line: seg.line };
}

/** File-level problems that leave bytes the JSON form cannot hold. */
const UNREPRESENTABLE = new Set(['file.not-x12', 'file.trailing-data', 'file.set-without-envelope', 'file.data-between-segments', 'isa.truncated', 'isa.separator-invalid']);

/** Assemble the JSON form from reader events; `structure` turns a set into its loop tree. */
export async function toDocument(
  events: AsyncIterable<ReaderEvent> | Iterable<ReaderEvent>,
  structure: (set: TransactionSet) => SetTree,
): Promise<X12Document> {
  const doc: X12Document = { format: 'dockgate-x12', formatVersion: 1, interchanges: [] };
  let ic: InterchangeTree | null = null;
  let group: GroupTree | null = null;
  for await (const e of events) {
    switch (e.type) {
      case 'diagnostic':
        if (UNREPRESENTABLE.has(e.diagnostic.code)) {
          throw new X12DataError(`line ${e.diagnostic.location.line ?? '?'}: ${e.diagnostic.message}; the JSON form holds enveloped X12 only`, {});
        }
        break;
      case 'interchange-start': {
        const seps = separatorChars(e.interchange.separators);
        ic = {
          ISA: envelopeNode(e.interchange.isa),
          delimiters: { ...seps, component: e.interchange.separators.component < 0 ? '' : seps.component },
          groups: [],
        };
        doc.interchanges.push(ic);
        break;
      }
      case 'service-segment':
      case 'ta1':
        if (!ic) throw new X12DataError(`${e.segment.id} outside an interchange cannot be represented`, { segmentId: e.segment.id });
        (ic.service ??= []).push(envelopeNode(e.segment));
        break;
      case 'group-start':
        if (!ic) throw new X12DataError('a functional group outside an interchange cannot be represented', { segmentId: 'GS' });
        group = { GS: envelopeNode(e.group.gs), sets: [] };
        ic.groups.push(group);
        break;
      case 'set':
        if (!group || !e.set.group) throw new X12DataError(`transaction set ${e.set.control} has no envelope: the JSON form holds enveloped X12 only`, { set: e.set.control });
        group.sets.push(structure(e.set));
        break;
      case 'group-end':
        if (group && e.trailer.ge) group.GE = envelopeNode(e.trailer.ge);
        group = null;
        break;
      case 'interchange-end':
        if (ic && e.trailer.iea) {
          ic.IEA = envelopeNode(e.trailer.iea);
          const usual = ic.delimiters.segment + ic.delimiters.suffix;
          if (e.trailer.iea.ending !== undefined && e.trailer.iea.ending !== usual) ic.ending = e.trailer.iea.ending;
        }
        ic = null;
        break;
    }
  }
  return doc;
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
const TreeNodeSchema: z.ZodType<TreeNode> = z.lazy(() =>
  z.union([
    SegmentNodeSchema,
    z
      .object({ loop: z.string(), loopId: z.string().optional(), level: z.string().optional(), hlId: z.string().optional(), children: z.array(TreeNodeSchema) })
      .strict(),
  ]),
);
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
                sets: z.array(z.object({ id: z.string(), control: z.string(), version: z.string(), structured: z.boolean(), children: z.array(TreeNodeSchema) }).strict()),
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

/** Validate a parsed JSON value as the X12 JSON form; errors name the JSON path. */
export function parseDocument(json: unknown): X12Document {
  const r = DocumentSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new X12DataError(`not the Dockgate X12 JSON form at $${path}: ${issue.message}`, {});
  }
  return r.data as X12Document;
}
