/**
 * X12 relational syntax rules (X12.6 "syntax notes"), one small validator per rule type,
 * registered in one table. Notation: a letter then two-digit positions, e.g. P0304.
 *
 *   P paired:            if any of the elements is present, all must be present
 *   R required:          at least one of the elements must be present
 *   E exclusion:         not more than one of the elements may be present
 *   C conditional:       if the first is present, all the others must be present
 *   L list conditional:  if the first is present, at least one of the others must be present
 */
import { X12ConfigError } from '../diagnostics.ts';

export type RuleType = 'P' | 'R' | 'E' | 'C' | 'L';

export interface RuleViolation {
  /** 'element.conditional-missing' or 'element.exclusion-violated'. */
  code: 'element.conditional-missing' | 'element.exclusion-violated';
  /** Position the violation is reported at (the missing element, or the excess one). */
  position: number;
  message: string;
}

export interface CompiledRule {
  type: RuleType;
  positions: number[];
  text: string;
  /** `present(n)` says whether element (or component) n has a value. */
  check(present: (n: number) => boolean): RuleViolation | null;
}

const two = (n: number) => String(n).padStart(2, '0');

type Check = (positions: number[], present: (n: number) => boolean, text: string) => RuleViolation | null;

// Plain loops, no closures: these run for most segments of every set.
const VALIDATORS: Record<RuleType, Check> = {
  P(positions, present, text) {
    let any = false;
    let missing = 0;
    for (const p of positions) {
      if (present(p)) any = true;
      else if (missing === 0) missing = p;
    }
    if (!any || missing === 0) return null;
    return { code: 'element.conditional-missing', position: missing, message: `${text}: elements ${positions.map(two).join(', ')} go together; ${two(missing)} is missing` };
  },
  R(positions, present, text) {
    for (const p of positions) if (present(p)) return null;
    return { code: 'element.conditional-missing', position: positions[0], message: `${text}: at least one of elements ${positions.map(two).join(', ')} is required` };
  },
  E(positions, present, text) {
    let first = 0;
    for (const p of positions) {
      if (!present(p)) continue;
      if (first === 0) first = p;
      else return { code: 'element.exclusion-violated', position: p, message: `${text}: only one of elements ${positions.map(two).join(', ')} may be used; ${two(first)} and ${two(p)} are` };
    }
    return null;
  },
  C(positions, present, text) {
    if (!present(positions[0])) return null;
    for (let i = 1; i < positions.length; i++) {
      if (!present(positions[i])) {
        return { code: 'element.conditional-missing', position: positions[i], message: `${text}: element ${two(positions[0])} requires ${positions.slice(1).map(two).join(', ')}; ${two(positions[i])} is missing` };
      }
    }
    return null;
  },
  L(positions, present, text) {
    if (!present(positions[0])) return null;
    for (let i = 1; i < positions.length; i++) if (present(positions[i])) return null;
    return { code: 'element.conditional-missing', position: positions[1], message: `${text}: element ${two(positions[0])} requires at least one of ${positions.slice(1).map(two).join(', ')}` };
  },
};

/** Parse "P0304" into a rule; `elementCount` bounds the positions. */
export function compileRule(text: string, where: string, elementCount: number): CompiledRule {
  const m = /^([PRECL])((?:\d\d){2,})$/.exec(text);
  if (!m) throw new X12ConfigError(`${where}: syntax rule '${text}' is not of the form P0102 (P R E C L and two-digit positions)`);
  const type = m[1] as RuleType;
  const positions: number[] = [];
  for (let i = 0; i < m[2].length; i += 2) positions.push(Number(m[2].slice(i, i + 2)));
  for (const p of positions) {
    if (p < 1 || p > elementCount) throw new X12ConfigError(`${where}: syntax rule ${text} names position ${two(p)}, which the segment does not have`);
  }
  const validator = VALIDATORS[type];
  return {
    type,
    positions,
    text,
    check(present) {
      return validator(positions, present, text);
    },
  };
}
