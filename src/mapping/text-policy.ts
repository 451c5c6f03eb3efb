/**
 * What happens to characters a partner format cannot carry: Amazon names and addresses are
 * Unicode, X12 is ASCII with the partner's separators reserved, a windows-1252 CSV holds only
 * its code page. Transliterate (é -> e, ß -> ss, Иван -> Ivan, 山田 -> Shan Tian) or replace;
 * every change is recorded on the message so that nobody wonders why the label says "Muller".
 * A name or address that would go out with nothing readable in it holds the order instead
 * (resolve.ts: unsendable-text).
 */
import { transliterate } from 'transliteration';

export interface TextChange {
  field: string;
  from: string;
  to: string;
}

export interface TextPolicy {
  nonAscii: 'transliterate' | 'replace';
  replacement: string;
}

/**
 * Where the transliteration library's table falls short of a shipping label: it has no capital
 * sharp s, and writes currency signs as EU, PS and Y= rather than their codes.
 */
const OVERRIDES: Record<string, string> = { ẞ: 'SS', '€': 'EUR', '£': 'GBP', '¥': 'JPY' };

/**
 * A cleaner for one outbound message: `canCarry` says what the format holds; changes are
 * pushed to `changes`. Runs of characters the format cannot carry are transliterated together,
 * so that the library can space out the syllables of CJK text.
 */
export function textCleaner(policy: TextPolicy, canCarry: (ch: string) => boolean, changes: TextChange[]): (text: string, field: string) => string {
  const substitute = (run: string) => {
    const sub = policy.nonAscii === 'transliterate' ? transliterate(run, { replace: OVERRIDES, unknown: policy.replacement }) : [...run].map(() => policy.replacement).join('');
    return [...sub].map((c) => (canCarry(c) ? c : policy.replacement)).join('');
  };
  return (text, field) => {
    let out = '';
    let run = '';
    for (const ch of text) {
      if (!canCarry(ch)) {
        run += ch;
        continue;
      }
      if (run) out += substitute(run);
      run = '';
      out += ch;
    }
    if (run) out += substitute(run);
    if (out !== text) changes.push({ field, from: text, to: out });
    return out;
  };
}

/** Does a name or address line still say something: a letter or a digit, in any script? */
export function readable(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** X12: printable ASCII, minus the separators the partner's interchange uses. */
export function x12CanCarry(separators: string[]): (ch: string) => boolean {
  const reserved = new Set(separators);
  return (ch) => {
    const c = ch.codePointAt(0)!;
    return c >= 0x20 && c <= 0x7e && !reserved.has(ch);
  };
}
