/**
 * Text a partner's format cannot carry, in X12 and in a windows-1252 CSV alike: scripts with a
 * transliteration go out transliterated (recorded as a change); a name or address line that
 * would go out with no letter or digit in it holds the order with an exception, never blanks.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { loadMappings, type Mappings } from '../../src/mapping/index.ts';
import { translator, writePartner } from '../../src/mapping/translate.ts';
import { textCleaner, x12CanCarry, type TextChange } from '../../src/mapping/text-policy.ts';
import { parseCanonical, type ShipOrder } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const RUNS = Number(process.env.DOCKGATE_PROPERTY_RUNS ?? 60);

const order = parseCanonical({
  kind: 'ShipOrder', orderId: '113-1111111-2222222', type: 'mfn', seller: 'northwind', marketplaceId: 'ATVPDKIKX0DER', purpose: 'new',
  shipTo: { name: 'Sam Rivera', company: 'Ridge Co', lines: ['77 Ridge Rd', 'Unit 5'], city: 'Boulder', stateOrRegion: 'CO', postalCode: '80302', countryCode: 'US' },
  lines: [{ lineNumber: 1, sellerSku: 'NW-LANTERN', quantity: 3 }],
}) as ShipOrder;

const PARTNERS = ['reno-wms', 'cascade-csv'] as const;
/** What the partner received, as text. */
const sent = (partner: string, bytes: Buffer) => (partner === 'cascade-csv' ? iconv.decode(bytes, 'windows-1252') : bytes.toString('latin1'));

/**
 * Words of scripts the library transliterates: Cyrillic, Greek, CJK, Hangul, Hebrew, Arabic, Thai;
 * short enough that the transliteration fits N1-02 (60 characters; longer is rejected, located).
 */
const RANGES: Array<[number, number]> = [[0x410, 0x44f], [0x391, 0x3a9], [0x4e00, 0x9fa5], [0xac00, 0xd7a3], [0x5d0, 0x5ea], [0x627, 0x64a], [0xe01, 0xe2e]];
const foreign = fc
  .array(fc.constantFrom(...RANGES).chain(([lo, hi]) => fc.array(fc.integer({ min: lo, max: hi }), { minLength: 1, maxLength: 3 }).map((cps) => String.fromCodePoint(...cps))), { minLength: 1, maxLength: 3 })
  .map((words) => words.join(' '));

test('names in other scripts are transliterated for X12 and windows-1252 CSV, recorded, and never sent as blanks', () => {
  fc.assert(
    fc.property(foreign, fc.constantFrom(...PARTNERS), (name, partner) => {
      const w = writePartner(translator(mappings, partner, 'ship-order'), [{ ...order, shipTo: { ...order.shipTo, name } }]);
      const d = w.documents[0];
      const change = d.textChanges.find((c) => c.field === 'shipTo.name')!;
      assert.equal(change.from, name);
      // A letter with no sound of its own (a Cyrillic hard sign alone) has nothing to send: held.
      if (d.status === 'held') assert.deepEqual([d.exceptions.map((e) => e.code), /[A-Za-z0-9]/.test(change.to)], [['unsendable-text'], false]);
      else {
        assert.equal(d.status, 'ok', JSON.stringify(d));
        assert.match(change.to, /[A-Za-z]/);
        assert.ok(sent(partner, w.bytes!).includes(change.to));
      }
    }),
    { numRuns: RUNS },
  );
});

test('the issue: a Cyrillic ship-to name goes out as its transliteration in N1-02, not 16 spaces', () => {
  const w = writePartner(translator(mappings, 'reno-wms', 'ship-order'), [{ ...order, shipTo: { ...order.shipTo, name: 'Александр Пушкин' } }]);
  assert.match(w.bytes!.toString(), /N1\*ST\*Aleksandr Pushkin~/);
  assert.deepEqual(w.documents[0].textChanges, [{ field: 'shipTo.name', from: 'Александр Пушкин', to: 'Aleksandr Pushkin' }]);
});

/** Text with nothing to show once the format has had its say: symbols, emoji, marks, controls, punctuation, spaces. */
const unreadable = fc
  .array(fc.constantFrom('☃', '🎁', '\uFFFD', '①', '\u0301', '\u200b', '\u0007', '\u001b', '*', '~', '-', '.', ' ', '\u00a0', '…', '—'), { minLength: 1, maxLength: 12 })
  .map((p) => p.join(''));
const LABEL_FIELDS = ['name', 'company', 'lines[0]', 'lines[1]', 'city', 'stateOrRegion', 'postalCode'] as const;

function withField(field: (typeof LABEL_FIELDS)[number], value: string): ShipOrder {
  const shipTo = { ...order.shipTo, lines: [...order.shipTo.lines] };
  const m = /^lines\[(\d)\]$/.exec(field);
  if (m) shipTo.lines[Number(m[1])] = value;
  else (shipTo as Record<string, unknown>)[field] = value;
  return { ...order, shipTo };
}

test('a name or address line with nothing readable left holds the order with an exception naming the field and the partner file', () => {
  fc.assert(
    fc.property(unreadable, fc.constantFrom(...LABEL_FIELDS), fc.constantFrom(...PARTNERS), (value, field, partner) => {
      const w = writePartner(translator(mappings, partner, 'ship-order'), [withField(field, value), order]);
      assert.deepEqual(w.documents.map((d) => d.status), ['held', 'ok'], JSON.stringify(w.documents[0]));
      const e = w.documents[0].exceptions;
      assert.deepEqual(e.map((x) => [x.code, x.field, x.value]), [['unsendable-text', `shipTo.${field}`, value]]);
      assert.match(e[0].message, new RegExp(`partner ${partner}|no letter or digit`));
      // The order that is fine still goes; the held one is not in the file.
      assert.equal((sent(partner, w.bytes!).match(/113-1111111-2222222/g) ?? []).length, 1);
    }),
    { numRuns: RUNS },
  );
});

test('with nonAscii: replace, a name in another script is held rather than sent as replacement characters', () => {
  const strict: Mappings = { ...mappings, partners: new Map(mappings.partners), files: new Map(mappings.files) };
  for (const id of PARTNERS) {
    const partner = { ...mappings.partners.get(id)!, textPolicy: { nonAscii: 'replace' as const, replacement: ' ' } };
    strict.partners.set(id, partner);
    strict.files.set(partner, mappings.files.get(mappings.partners.get(id)!)!);
  }
  for (const partner of PARTNERS) {
    const w = writePartner(translator(strict, partner, 'ship-order'), [{ ...order, shipTo: { ...order.shipTo, name: '山田太郎' } }]);
    assert.equal(w.documents[0].status, 'held');
    assert.equal(w.bytes, null);
    assert.match(w.documents[0].exceptions[0].message, new RegExp(`shipTo.name "山田太郎" would go to partner ${partner} as "    " \\(text policy nonAscii: replace\\), nothing a label can show: correct the address, or the textPolicy in mappings/partners/${partner}.yaml`));
  }
});

test('the cleaner transliterates runs with the library, keeps currency codes, and records each change', () => {
  const changes: TextChange[] = [];
  const clean = textCleaner({ nonAscii: 'transliterate', replacement: ' ' }, x12CanCarry(['*', '>', '~', '^']), changes);
  assert.equal(clean('Łódź Straße', 'a'), 'Lodz Strasse');
  assert.equal(clean('東京都 港区', 'b'), 'Dong Jing Du Gang Qu');
  assert.equal(clean('€5 £3 ¥9 GROẞ', 'c'), 'EUR5 GBP3 JPY9 GROSS');
  assert.equal(clean('a*b', 'd'), 'a b');
  assert.equal(clean('plain', 'e'), 'plain');
  assert.deepEqual(changes.map((c) => c.field), ['a', 'b', 'c', 'd']);
});
