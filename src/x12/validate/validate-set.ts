/**
 * Validates one transaction set against its schema and builds its loop tree.
 *
 * Placement (like StAEDI's and pyx12's matchers): each segment is looked for from the current
 * position forward in the innermost open loop, then in each enclosing loop outwards; a loop's
 * trigger segment opens a new loop instance. A segment found nowhere is reported (unrecognized,
 * not in the set, out of sequence or unexpected), kept in the tree where it stood, and the
 * state is left as it was, so one bad segment does not derail the rest of the set.
 */
import { diagnostic, DiagnosticList, type Diagnostic, type DiagnosticCounts, type Location } from '../diagnostics.ts';
import type { TransactionSet } from '../envelope.ts';
import { dictionaryFor, loadSetSchema, type CompiledLoop, type CompiledSegmentItem, type SchemaLookup } from '../schema/load.ts';
import type { Segment } from '../segment.ts';
import type { ElementValue, LoopNode, SegmentNode, SetTree, TreeNode } from '../tree.ts';
import { checkElements, type ElementCheckContext } from './elements.ts';
import { nestHierarchy } from './hierarchy.ts';

export interface ValidateSetOptions {
  /** Root folder of the schema files (tests); default src/x12/schemas. */
  root?: string;
  /** A schema chosen by the caller (partner overlays later); null forces "no schema". */
  lookup?: SchemaLookup | null;
  /** Build the loop tree (JSON form, translation). Default false. */
  buildTree?: boolean;
}

export interface SetValidation {
  /** Schema diagnostics in segment order, at most MAX_DIAGNOSTICS_KEPT (plus the first of each code). */
  diagnostics: Diagnostic[];
  /** Diagnostics found beyond those kept, by level. */
  omitted: DiagnosticCounts;
  tree: SetTree | null;
  /** Schema version used, '' when none. */
  schemaVersion: string;
}

interface Frame {
  loop: CompiledLoop;
  /** Index of the current item in loop.items. */
  index: number;
  /** Uses of each item in this loop instance (segments) or instances (loops). */
  counts: number[];
  node: LoopNode | null;
}

/** Turn a segment's elements into JSON-form values (composites and repetitions split). */
export function elementValues(seg: Segment): ElementValue[] {
  const seps = seg.separators;
  const comp = seps && seps.component >= 0 ? String.fromCharCode(seps.component) : null;
  const rep = seps?.repetition != null ? String.fromCharCode(seps.repetition) : null;
  const one = (text: string): string | string[] => (comp !== null && text.includes(comp) ? text.split(comp) : text);
  return seg.elements().map((text) => {
    if (rep !== null && text.includes(rep)) return { repeats: text.split(rep).map(one) };
    return one(text);
  });
}

function segmentNode(seg: Segment, position: number): SegmentNode {
  return { segment: seg.id, elements: elementValues(seg), line: seg.line, position };
}

export function validateSet(set: TransactionSet, options: ValidateSetOptions = {}): SetValidation {
  const version = set.group?.version ?? '';
  const lookup = options.lookup !== undefined ? options.lookup : loadSetSchema(set.id, version, options.root);
  const buildTree = options.buildTree ?? false;
  const list = new DiagnosticList();
  const diagnostics = { push: (d: Diagnostic) => list.add(d) };
  const base: Location = {
    interchange: set.interchange?.control.trim(),
    group: set.group?.control,
    set: set.control,
    setId: set.id,
  };
  // Object.assign, not spread: Node 20 spreads a small object some 50 times slower, and a
  // broken set builds one location per problem.
  const segAt = (seg: Segment, position: number, loopId?: string): Location => {
    const l: Location = Object.assign({}, base);
    l.line = seg.line;
    l.offset = seg.offset;
    l.segmentId = seg.id;
    l.segmentPosition = position;
    if (loopId) l.loopId = loopId;
    return l;
  };

  if (!lookup) {
    const st = set.segments[0];
    diagnostics.push(
      diagnostic('st.unsupported', `No schema for transaction set ${set.id} version ${version || '(none)'}: only the envelope was checked`, segAt(st, 1), {
        found: `${set.id} ${version}`,
      }),
    );
    return {
      diagnostics: list.kept,
      omitted: list.omitted,
      tree: buildTree ? { id: set.id, control: set.control, version: '', structured: false, children: set.segments.map((s, i) => segmentNode(s, i + 1)) } : null,
      schemaVersion: '',
    };
  }
  const schema = lookup.schema;
  if (lookup.fallback) {
    diagnostics.push(
      diagnostic('st.version-fallback', `Version ${version} has no schema for ${set.id}: validated against ${lookup.version}`, segAt(set.segments[0], 1), {
        found: version,
        expected: lookup.version,
      }),
    );
  }
  const dictionary = schema.dictionary;
  const place = { seg: set.segments[0], position: 1, loopId: '' };
  const elementContext: ElementCheckContext = {
    at: () => segAt(place.seg, place.position, place.loopId || undefined),
    codes: null,
    present: (n: number) => place.seg.byteLength(n) > 0,
  };
  const found: Diagnostic[] = [];
  const rootNode: LoopNode | null = buildTree ? { loop: 'ST', children: [] } : null;
  const stack: Frame[] = [{ loop: schema.root, index: 0, counts: new Array(schema.root.items.length).fill(0), node: rootNode }];
  let errors = 0;

  /** Mandatory items of `frame` from `from` (inclusive) to `to` (exclusive) never used: report them. */
  const reportMissing = (frame: Frame, from: number, to: number, at: Segment, position: number) => {
    for (let k = from; k < to; k++) {
      const item = frame.loop.items[k];
      if (frame.counts[k] > 0 || item.req !== 'M') continue;
      const id = item.kind === 'segment' ? item.id : item.trigger;
      if (id === 'SE') continue; // a missing trailer is the envelope reader's report (st.trailer-missing)
      diagnostics.push(
        diagnostic('segment.mandatory-missing', `Mandatory ${item.kind === 'loop' ? `loop ${item.id} (${id})` : `segment ${id}`} is missing${frame.loop.id ? ` in loop ${frame.loop.id}` : ''}`, {
          ...base,
          line: at.line,
          segmentId: id,
          segmentPosition: position,
          ...(item.kind === 'loop' ? { loopId: item.id } : frame.loop.id ? { loopId: frame.loop.id } : {}),
        }, { expected: `${id} before ${at.id}` }),
      );
      errors++;
    }
  };

  const segments = set.segments;
  for (let p = 0; p < segments.length; p++) {
    const seg = segments[p];
    const position = p + 1;
    const id = seg.id;
    if (p === 0) {
      // ST is matched by the envelope reader; it is item 0 of the set.
      stack[0].counts[0] = 1;
      rootNode?.children.push(segmentNode(seg, position));
      checkOne(seg, position, schema.root.items[0] as CompiledSegmentItem, '');
      continue;
    }
    // Find where the segment fits: innermost loop first, from the current item forward.
    let depth = -1;
    let itemIndex = -1;
    for (let d = stack.length - 1; d >= 0 && depth < 0; d--) {
      const f = stack[d];
      const items = f.loop.items;
      for (let k = f.index; k < items.length; k++) {
        const it = items[k];
        if (it.key === id) {
          // The current loop's own trigger again means a new instance of it, found one level up.
          if (k === 0 && d > 0 && it.kind === 'segment') break;
          depth = d;
          itemIndex = k;
          break;
        }
      }
    }
    if (depth < 0) {
      misplaced(seg, position);
      continue;
    }
    // Close deeper loop instances, reporting what they lacked.
    while (stack.length - 1 > depth) {
      const f = stack.pop()!;
      reportMissing(f, f.index + 1, f.loop.items.length, seg, position);
    }
    const frame = stack[depth];
    const item = frame.loop.items[itemIndex];
    reportMissing(frame, frame.index + (frame.counts[frame.index] > 0 ? 1 : 0), itemIndex, seg, position);
    frame.index = itemIndex;
    frame.counts[itemIndex]++;
    if (item.kind === 'segment') {
      if (frame.counts[itemIndex] > item.max) {
        diagnostics.push(
          diagnostic('segment.over-max-use', `${id} occurs ${frame.counts[itemIndex]} times${frame.loop.id ? ` in loop ${frame.loop.id}` : ''}, at most ${item.max} allowed`, segAt(seg, position, frame.loop.id), {
            expected: `at most ${item.max}`,
          }),
        );
        errors++;
      }
      frame.node?.children.push(segmentNode(seg, position));
      checkOne(seg, position, item, frame.loop.id);
    } else {
      if (frame.counts[itemIndex] > item.max) {
        diagnostics.push(
          diagnostic('segment.loop-over-max', `Loop ${item.id} (${item.trigger}) occurs ${frame.counts[itemIndex]} times, at most ${item.max} allowed`, segAt(seg, position, item.id), {
            expected: `at most ${item.max}`,
          }),
        );
        errors++;
      }
      const node: LoopNode | null = frame.node ? { loop: item.trigger, loopId: item.id, children: [] } : null;
      if (node && frame.node) frame.node.children.push(node);
      const inner: Frame = { loop: item, index: 0, counts: new Array(item.items.length).fill(0), node };
      inner.counts[0] = 1;
      stack.push(inner);
      node?.children.push(segmentNode(seg, position));
      checkOne(seg, position, item.items[0] as CompiledSegmentItem, item.id);
    }
  }
  // End of the set: whatever is still open must have had its mandatory parts.
  const last = segments[segments.length - 1];
  while (stack.length > 0) {
    const f = stack.pop()!;
    reportMissing(f, f.index + (f.counts[f.index] > 0 ? 1 : 0), f.loop.items.length, last, segments.length);
  }

  let children: TreeNode[] = rootNode?.children ?? [];
  if (schema.hierarchy) {
    const h = nestHierarchy(segments, schema.hierarchy, base, children, buildTree, diagnostics.push);
    errors += h.problems;
    children = h.children;
  }
  // Keep diagnostics in segment order (missing-segment reports come when the gap is noticed).
  list.kept.sort((a, b) => (a.location.segmentPosition ?? 0) - (b.location.segmentPosition ?? 0));
  if (errors > 0) {
    diagnostics.push(
      diagnostic('st.segments-in-error', `Transaction set ${set.id} ${set.control} has ${errors} segment or element error(s)`, { ...base, line: segments[0].line, segmentId: 'ST', segmentPosition: 1 }),
    );
  }
  const tree: SetTree | null = buildTree ? { id: set.id, control: set.control, version: lookup.version, structured: true, children } : null;
  return { diagnostics: list.kept, omitted: list.omitted, tree, schemaVersion: lookup.version };

  function checkOne(seg: Segment, position: number, item: CompiledSegmentItem, loopId: string): void {
    const def = item.def;
    // One context per set, updated per segment: a clean segment allocates nothing here.
    place.seg = seg;
    place.position = position;
    place.loopId = loopId;
    elementContext.codes = item.codes;
    checkElements(seg, def, elementContext, found);
    if (found.length === 0) return;
    diagnostics.push(diagnostic('segment.has-element-errors', `${seg.id} has ${found.length} element error(s)`, segAt(seg, position, loopId || undefined)));
    for (const d of found) diagnostics.push(d);
    found.length = 0;
    errors++;
  }

  function misplaced(seg: Segment, position: number): void {
    const id = seg.id;
    const current = stack[stack.length - 1];
    current.node?.children.push(segmentNode(seg, position));
    const at = segAt(seg, position, current.loop.id || undefined);
    errors++;
    if (!dictionary.has(id) && !(dictionaryFor(version, options.root)?.has(id) ?? false)) {
      diagnostics.push(diagnostic('segment.unrecognized', `Segment id ${id} is not an X12 ${schema.version} segment`, at, { found: seg.raw() }));
      return;
    }
    if (!schema.used.has(id)) {
      diagnostics.push(diagnostic('segment.not-in-set', `${id} is not a segment of transaction set ${schema.id}`, at, { found: seg.raw() }));
      return;
    }
    // Defined earlier in an open loop: out of sequence; otherwise not expected here at all.
    const earlier = stack.some((f) => f.loop.items.slice(0, f.index + 1).some((it) => (it.kind === 'segment' ? it.id === id : it.trigger === id)));
    diagnostics.push(
      earlier
        ? diagnostic('segment.out-of-sequence', `${id} is out of sequence: it belongs earlier${current.loop.id ? ` in loop ${current.loop.id}` : ''}`, at, { found: seg.raw() })
        : diagnostic('segment.unexpected', `${id} is not expected here${current.loop.id ? ` (inside loop ${current.loop.id})` : ''}`, at, { found: seg.raw() }),
    );
    // Its elements are still checked, so a misplaced segment's own errors are not hidden.
    const def = dictionary.get(id);
    if (def) {
      const elementDiagnostics: Diagnostic[] = [];
      checkElements(seg, def, { at, codes: null }, elementDiagnostics);
      for (const d of elementDiagnostics) diagnostics.push(d);
    }
  }
}
