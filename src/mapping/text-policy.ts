/**
 * What happens to characters a partner format cannot carry: Amazon names and addresses are
 * Unicode, X12 is ASCII with the partner's separators reserved, a windows-1252 CSV holds only
 * its code page. Transliterate (é -> e, ß -> ss) or replace; every change is recorded on the
 * message so that nobody wonders why the label says "Muller". Never a stuck order.
 */

export interface TextChange {
  field: string;
  from: string;
  to: string;
}

export interface TextPolicy {
  nonAscii: 'transliterate' | 'replace';
  replacement: string;
}

/** Letters NFD does not decompose into a base letter plus marks. */
const SPECIAL: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'Th',
  ı: 'i', ħ: 'h', Ħ: 'H', ŋ: 'ng', Ŋ: 'NG', '‘': "'", '’': "'", '‚': "'", '“': '"', '”': '"', '„': '"', '–': '-', '—': '-', '…': '...',
  '\u00a0': ' ', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '©': '(C)', '®': '(R)', '™': 'TM', '°': ' deg', '×': 'x',
};

function transliterate(ch: string): string {
  if (SPECIAL[ch] !== undefined) return SPECIAL[ch];
  const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
  return base !== ch ? base : ch;
}

/**
 * A cleaner for one outbound message: `canCarry` says what the format holds; changes are
 * pushed to `changes`.
 */
export function textCleaner(policy: TextPolicy, canCarry: (ch: string) => boolean, changes: TextChange[]): (text: string, field: string) => string {
  return (text, field) => {
    let out = '';
    let changed = false;
    for (const ch of text) {
      if (canCarry(ch)) {
        out += ch;
        continue;
      }
      changed = true;
      let sub = policy.nonAscii === 'transliterate' ? transliterate(ch) : policy.replacement;
      if ([...sub].some((c) => !canCarry(c))) sub = [...sub].map((c) => (canCarry(c) ? c : policy.replacement)).join('');
      out += sub;
    }
    if (changed) changes.push({ field, from: text, to: out });
    return out;
  };
}

/** X12: printable ASCII, minus the separators the partner's interchange uses. */
export function x12CanCarry(separators: string[]): (ch: string) => boolean {
  const reserved = new Set(separators);
  return (ch) => {
    const c = ch.codePointAt(0)!;
    return c >= 0x20 && c <= 0x7e && !reserved.has(ch);
  };
}
