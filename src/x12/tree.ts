/**
 * The loop-aware tree of a transaction set: the shape of Dockgate's X12 JSON form, and what
 * paths (src/x12/path.ts) address. Independent of the separators the file used.
 *
 * Element values:
 *   - a string for a simple element ("" = present but empty);
 *   - an array of strings for a composite (an element that carried component separators);
 *   - { repeats: [...] } for an element that carried repetition separators.
 * An element that was absent (beyond the last element written) is simply not in the array, so
 * `N1*ST*NAME` has 2 elements and `N1*ST*NAME*` has 3, the last one "".
 */
export type ElementValue = string | string[] | { repeats: Array<string | string[]> };

export interface SegmentNode {
  segment: string;
  elements: ElementValue[];
  /** 1-based line in the source file (absent for generated data). */
  line?: number;
  /** Position counted from ST = 1 (absent for envelope segments). */
  position?: number;
}

export interface LoopNode {
  /** The trigger segment id (e.g. "N1", "LX", "HL"): what paths use. */
  loop: string;
  /** The standard loop id (e.g. "0200"), when known from the schema. */
  loopId?: string;
  /** HL03 for 856 hierarchical levels (S, O, T, P, I, ...). */
  level?: string;
  /** The HL01 id, for hierarchical levels. */
  hlId?: string;
  children: TreeNode[];
}

export type TreeNode = SegmentNode | LoopNode;

export function isLoopNode(n: TreeNode): n is LoopNode {
  return (n as LoopNode).loop !== undefined;
}

/** One transaction set: ST first and SE last among `children` (when present in the file). */
export interface SetTree {
  /** ST01 */
  id: string;
  /** ST02 */
  control: string;
  /** Version used to structure it (GS08, or the fallback schema's), '' when unstructured. */
  version: string;
  /** false when no schema was available: children are then a flat list of segments. */
  structured: boolean;
  children: TreeNode[];
}

export interface GroupTree {
  GS: SegmentNode;
  sets: SetTree[];
  GE?: SegmentNode;
}

export interface InterchangeTree {
  ISA: SegmentNode;
  /** Separators as characters, so reproduce mode can write the bytes back. */
  delimiters: { element: string; component: string; repetition: string | null; segment: string; suffix: string };
  /** Segments between ISA and the first GS other than GS (ISB, ISE, TA1), in order. */
  service?: SegmentNode[];
  groups: GroupTree[];
  IEA?: SegmentNode;
  /** What followed the IEA when it was not the usual terminator + suffix (e.g. '' at a file end without terminator). */
  ending?: string;
}

/** The whole JSON form of a file. */
export interface X12Document {
  format: 'dockgate-x12';
  formatVersion: 1;
  interchanges: InterchangeTree[];
}
