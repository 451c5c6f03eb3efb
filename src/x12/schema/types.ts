/**
 * Shapes of the transaction-set schema files (data, not code). One JSON file per set and
 * version under src/x12/schemas/<version>/<set>.json, referring by id to the version's shared
 * dictionaries: elements.json, composites.json, segments.json in the same folder.
 *
 * Partner overlays (a later issue) narrow a base schema: fewer repeats, narrower codes,
 * optional -> mandatory or unused. They never widen it.
 */

/** M mandatory, O optional, C conditional (required by a syntax rule of its segment). */
export type Requirement = 'M' | 'O' | 'C';

/** X12 data element types. N0..N9: implied-decimal numeric with that many decimals. */
export type ElementType =
  | 'AN' | 'ID' | 'DT' | 'TM' | 'R' | 'B'
  | 'N' | 'N0' | 'N1' | 'N2' | 'N3' | 'N4' | 'N5' | 'N6' | 'N7' | 'N8' | 'N9';

/** elements.json: { "<ref>": ElementDef } keyed by data element reference number ("67"). */
export interface ElementDef {
  name: string;
  type: ElementType;
  min: number;
  max: number;
  /** Code list for ID elements; absent means the list is not checked (too large or external). */
  codes?: string[];
}

/** Use of an element or composite at one position of a segment (or a component of a composite). */
export interface ElementUse {
  /** Data element reference number, e.g. "67". Exactly one of ref / composite. */
  ref?: string;
  /** Composite id, e.g. "C001". */
  composite?: string;
  req: Requirement;
  /** Maximum repetitions (005010 repeating elements); default 1. */
  repeat?: number;
  /** Narrower code list for this position (must be a subset of the element's). */
  codes?: string[];
}

/** composites.json: { "<id>": CompositeDef } */
export interface CompositeDef {
  name: string;
  components: ElementUse[];
  /** Syntax rules over component positions, same notation as segments. */
  rules?: string[];
}

/**
 * segments.json: { "<id>": SegmentDef }. `rules` use the X12 syntax-note notation: a letter and
 * two-digit element positions: P0102 (paired), R0203 (at least one required), E0102 (exclusion),
 * C0203 (if 02 then 03), L010203 (if 01 then at least one of 02, 03).
 */
export interface SegmentDef {
  name: string;
  elements: ElementUse[];
  rules?: string[];
}

/** A segment at a position of a transaction set or loop. */
export interface SegmentRef {
  segment: string;
  req: Requirement;
  /** Maximum use; omitted = 1. Use a large number for ">1". */
  max?: number;
  /** Position number in the standard table (e.g. "0200"), for documentation and AK3. */
  pos?: string;
  /** Narrower code lists at this position: { "01": ["ST","SF"] } by element position. */
  codes?: Record<string, string[]>;
}

/** A loop; its first content item is the trigger segment (mandatory in the loop). */
export interface LoopRef {
  /** Loop identifier as the standard names it (e.g. "0100", "0310"); the AK303 value. */
  loop: string;
  req: Requirement;
  /** Maximum repetitions of the loop; omitted = 1. */
  max?: number;
  content: Array<SegmentRef | LoopRef>;
}

/** Legal nesting of HL levels (856): level code (HL03) -> allowed parent level codes ('' = top). */
export interface HierarchyRule {
  /** Loop id of the HL loop in `content`. */
  loop: string;
  parents: Record<string, string[]>;
}

/** <version>/<set>.json */
export interface TransactionSetSchema {
  id: string;
  version: string;
  /** GS01 functional identifier this set travels under (OW, SW, SH, IB, AR, RE, FA). */
  functionalGroup: string;
  name: string;
  /** ST .. SE inclusive, in standard order. */
  content: Array<SegmentRef | LoopRef>;
  hierarchy?: HierarchyRule;
  /** Free-text notes on sources and deliberate choices. */
  notes?: string[];
}

export function isLoop(item: SegmentRef | LoopRef): item is LoopRef {
  return (item as LoopRef).loop !== undefined;
}
