/**
 * The X12 interchange dialect: fixed ISA offsets and separator rules, in one place.
 * Everything else asks this module where things are instead of using magic numbers.
 */

/** Length of a fixed-width ISA segment including its terminator (positions 0..105). */
export const ISA_LENGTH = 106;
/** Byte offset of the element separator in a fixed-width ISA. */
export const ISA_ELEMENT_SEPARATOR_AT = 3;
/** Byte offset of ISA11 (repetition separator from 00402 on, standards identifier before). */
export const ISA_REPETITION_SEPARATOR_AT = 82;
/** Byte offset of ISA16, the component element separator. */
export const ISA_COMPONENT_SEPARATOR_AT = 104;
/** Byte offset of the segment terminator. */
export const ISA_SEGMENT_TERMINATOR_AT = 105;
/** Number of elements in an ISA. */
export const ISA_ELEMENT_COUNT = 16;

/** Fixed widths of ISA01..ISA16 (index 0 = ISA01). */
export const ISA_WIDTHS: readonly number[] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/** The first ISA12 version that gives ISA11 the meaning "repetition separator". */
export const REPETITION_SEPARATOR_FROM_VERSION = '00402';

/**
 * The four separators of an interchange, as byte values (ASCII), plus what followed the
 * segment terminator in the ISA (CR/LF habit) so that reproduce mode can write it back.
 */
export interface Separators {
  element: number;
  component: number;
  /** null when ISA12 < 00402 (ISA11 is the standards identifier "U" then). */
  repetition: number | null;
  segment: number;
  /** Characters written after every segment terminator: '', '\n' or '\r\n'. */
  suffix: string;
}

export const DEFAULT_SEPARATORS: Separators = {
  element: 0x2a, // *
  component: 0x3e, // >
  repetition: 0x5e, // ^
  segment: 0x7e, // ~
  suffix: '\n',
};

/** Separators as characters, for messages and JSON. */
export function separatorChars(s: Separators): { element: string; component: string; repetition: string | null; segment: string; suffix: string } {
  return {
    element: String.fromCharCode(s.element),
    component: String.fromCharCode(s.component),
    repetition: s.repetition === null ? null : String.fromCharCode(s.repetition),
    segment: String.fromCharCode(s.segment),
    suffix: s.suffix,
  };
}

/** True when the version string (ISA12) uses ISA11 as repetition separator. */
export function usesRepetitionSeparator(isa12: string): boolean {
  return /^\d{5}$/.test(isa12) && isa12 >= REPETITION_SEPARATOR_FROM_VERSION;
}

/** Printable name of a separator byte for diagnostics ("'~'", "LF"). */
export function describeByte(b: number): string {
  if (b === 0x0a) return 'LF';
  if (b === 0x0d) return 'CR';
  if (b === 0x20) return 'space';
  if (b < 0x20 || b === 0x7f) return `0x${b.toString(16).padStart(2, '0')}`;
  return `'${String.fromCharCode(b)}'`;
}
