/**
 * SSCC-18 (GS1 Serial Shipping Container Code) checks for MAN*GM: 18 digits whose last is the
 * GS1 mod-10 check digit, or 20 digits with the application identifier "00" in front (the
 * form Amazon and most retailers want in MAN02).
 */

/** GS1 mod-10 check digit of a digit string (weights 3,1,3,... from the right). */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

export type SsccProblem = 'not-digits' | 'length' | 'check-digit';

/** null when valid; otherwise what is wrong. */
export function ssccProblem(value: string): SsccProblem | null {
  if (!/^\d+$/.test(value)) return 'not-digits';
  let sscc = value;
  if (value.length === 20) {
    if (!value.startsWith('00')) return 'length';
    sscc = value.slice(2);
  } else if (value.length !== 18) return 'length';
  return gs1CheckDigit(sscc.slice(0, 17)) === sscc.charCodeAt(17) - 48 ? null : 'check-digit';
}

export function isValidSscc(value: string): boolean {
  return ssccProblem(value) === null;
}
