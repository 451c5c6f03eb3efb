/**
 * The HL hierarchy of an 856 (or any set whose schema declares one): HL01 ids unique and
 * increasing, HL02 naming an earlier HL, each level allowed under its parent's level; and the
 * loop tree re-nested so that each HL level sits under its parent.
 */
import { diagnostic, type Diagnostic, type Location } from '../diagnostics.ts';
import type { HierarchyRule } from '../schema/types.ts';
import type { Segment } from '../segment.ts';
import { isLoopNode, type LoopNode, type SegmentNode, type TreeNode } from '../tree.ts';

export function nestHierarchy(
  segments: Segment[],
  rule: HierarchyRule,
  base: Location,
  children: TreeNode[],
  buildTree: boolean,
  report: (d: Diagnostic) => void,
): { problems: number; children: TreeNode[] } {
  let count = 0;
  const levelOf = new Map<string, string>();
  let previous = 0;
  segments.forEach((seg, i) => {
    if (seg.id !== 'HL') return;
    const id = seg.element(1);
    const parent = seg.element(2);
    const level = seg.element(3);
    const at = (element: number): Location => ({ ...base, line: seg.line, segmentId: 'HL', segmentPosition: i + 1, loopId: rule.loop, element });
    const problems: Diagnostic[] = [];
    if (levelOf.has(id)) {
      problems.push(diagnostic('segment.hierarchy-invalid', `HL01 ${id} is used twice`, at(1), { found: id, expected: 'a unique hierarchical id' }));
    } else if (/^\d+$/.test(id)) {
      if (Number(id) <= previous) problems.push(diagnostic('segment.hierarchy-invalid', `HL01 ${id} does not increase (previous ${previous})`, at(1), { found: id, expected: `greater than ${previous}` }));
      previous = Number(id);
    }
    if (parent !== '' && !levelOf.has(parent)) {
      problems.push(diagnostic('segment.hierarchy-invalid', `HL02 ${parent} names no earlier HL`, at(2), { found: parent, expected: earlierIds(levelOf) }));
    } else if (level !== '') {
      const allowed = rule.parents[level];
      const parentLevel = parent === '' ? '' : levelOf.get(parent)!;
      if (allowed && !allowed.includes(parentLevel)) {
        problems.push(
          diagnostic(
            'segment.hierarchy-invalid',
            parentLevel === '' ? `HL level ${level} cannot be at the top of the hierarchy` : `HL level ${level} cannot sit under level ${parentLevel}`,
            at(parent === '' ? 3 : 2),
            { found: `${level} under ${parentLevel || '(top)'}`, expected: `${level} under ${allowed.map((a) => a || '(top)').join(' or ')}` },
          ),
        );
      }
    }
    levelOf.set(id, level);
    for (const d of problems) report(d);
    count += problems.length;
  });
  if (!buildTree) return { problems: count, children };
  // Re-nest: HL loop nodes move under their parent's node; anything broken stays where it was.
  const byId = new Map<string, LoopNode>();
  const out: TreeNode[] = [];
  for (const node of children) {
    if (!isLoopNode(node) || node.loop !== 'HL') {
      out.push(node);
      continue;
    }
    const hl = node.children[0] as SegmentNode;
    const id = String(hl.elements[0] ?? '');
    const parent = String(hl.elements[1] ?? '');
    node.hlId = id;
    const level = hl.elements[2];
    if (typeof level === 'string' && level !== '') node.level = level;
    const parentNode = parent ? byId.get(parent) : undefined;
    if (parentNode) parentNode.children.push(node);
    else out.push(node);
    if (!byId.has(id)) byId.set(id, node);
  }
  return { problems: count, children: out };
}

/** The HL01 ids seen so far, for a message: a few of them, never a list as long as the set. */
function earlierIds(levelOf: Map<string, string>): string {
  if (levelOf.size === 0) return 'an earlier HL01 (none yet)';
  const shown: string[] = [];
  for (const id of levelOf.keys()) {
    if (shown.length === 12) break;
    shown.push(id);
  }
  return `one of ${shown.join(', ')}${levelOf.size > shown.length ? `, … (${levelOf.size} ids)` : ''}`;
}
