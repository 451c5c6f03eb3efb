/**
 * Parsers for numeric options (commander argParser): plain decimal digits only, within a
 * range, or a usage error (exit 2) that names the option, what it takes and what it got.
 * `Number()` alone would take '', ' 5', '0x10', '1e3' and 'Infinity', and turn 'abc' into NaN.
 */
import { UsageError } from './usage-error.ts';

export interface Range {
  min: number;
  max: number;
  /** The minimum itself is not allowed (a number above 0). */
  aboveMin?: boolean;
  /** What the number counts, for the message: "milliseconds", "seconds". */
  unit?: string;
}

const WHOLE = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

function check(flag: string, v: string, pattern: RegExp, what: string, r: Range): number {
  const n = pattern.test(v) ? Number(v) : NaN;
  const low = r.aboveMin ? n > r.min : n >= r.min;
  if (!(low && n <= r.max)) {
    throw new UsageError(`${flag} takes ${what} ${r.aboveMin ? `above ${r.min} and up to` : `from ${r.min} to`} ${r.max}${r.unit ? ` (${r.unit})` : ''}, not ${JSON.stringify(v)}`);
  }
  return n;
}

/** A whole number in [min, max]. */
export function wholeNumber(flag: string, r: Range): (v: string) => number {
  return (v) => check(flag, v, WHOLE, 'a whole number', r);
}

/** A decimal number in [min, max]. */
export function decimalNumber(flag: string, r: Range): (v: string) => number {
  return (v) => check(flag, v, DECIMAL, 'a number', r);
}

/** A TCP port; 0 asks the system for any free one where `allowAny`. */
export function portNumber(flag: string, allowAny: boolean): (v: string) => number {
  return wholeNumber(flag, { min: allowAny ? 0 : 1, max: 65535 });
}

/** The longest delay Node's timers accept. */
export const MAX_TIMER_MS = 2_147_483_647;
