/**
 * Partner XML against hostile input: character references and raw characters outside XML 1.0's
 * Char production (decimal and hex, 0, C0 controls, surrogates, FFFE/FFFF, beyond 10FFFF, digit
 * strings of any length) reject the document they are in, located by line and column, and the
 * file's other documents are still read; outside any document they are the file's error. Garbled
 * and unbalanced tags are located errors, never a crash, and every check stays linear in the
 * size of the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadMappings } from '../../src/mapping/index.ts';
import { XmlAdapter, XmlFileError } from '../../src/mapping/formats/xml.ts';
import type { XmlLayoutFile } from '../../src/mapping/schema.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import type { Receipt } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const RUNS = Number(process.env.DOCKGATE_PROPERTY_RUNS ?? 60);
const t = translator(mappings, 'cascade-csv', 'receipt');
const good = readFileSync(join(root, 'samples/partners/cascade-csv/receipts.xml'), 'utf8');

// ------------------------------------------------------------------ generated references

const forbidden = fc.oneof(
  fc.integer({ min: 0, max: 8 }),
  fc.constantFrom(0xb, 0xc),
  fc.integer({ min: 0xe, max: 0x1f }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.constantFrom(0xfffe, 0xffff),
  fc.integer({ min: 0x110000, max: Number.MAX_SAFE_INTEGER }),
);
const allowed = fc.oneof(fc.integer({ min: 0x21, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xfffd }), fc.integer({ min: 0x10000, max: 0x10ffff }));
/** A reference to a code point as a partner might write it: decimal, hex in either case, with leading zeros. */
const reference = (cp: fc.Arbitrary<number>) =>
  fc.tuple(cp, fc.constantFrom('dec', 'hex', 'HEX'), fc.nat({ max: 6 })).map(([c, form, zeros]) => {
    const digits = form === 'dec' ? String(c) : form === 'hex' ? c.toString(16) : c.toString(16).toUpperCase();
    return `&#${form === 'dec' ? '' : 'x'}${'0'.repeat(zeros)}${digits};`;
  });
const hostile = fc.oneof(
  reference(forbidden),
  // Digit strings far past any code point, and references that name nothing.
  fc.stringMatching(/^[1-9][0-9]{16,400}$/).map((d) => `&#${d};`),
  fc.stringMatching(/^[1-9a-f][0-9a-f]{14,400}$/).map((d) => `&#x${d};`),
  fc.constantFrom('&#;', '&#x;', '&#12a;', '&#x12g;', '&#X41;', '&#65'),
  // Raw characters XML cannot hold.
  fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(0xb, 0xc, 0xfffe, 0xffff), fc.integer({ min: 0xe, max: 0x1f })).map((c) => String.fromCharCode(c)),
);

/** Places in the sample, each inside a receipt: text of an element, or an attribute value. */
const PLACES = ['<Warehouse>MEM1', '<Item>TS-RED-M', '<Receipt number="RC-2026-1124-01', '<LicensePlate>LPN7770001301', '<Item>TENT-2P-GRN', '<Receipt number="RC-2026-1124-02'];
const receiptOf = (at: number) => (good.slice(0, at).split('<Receipt ').length - 1);

function insert(text: string, place: string, value: string, nth = 0): { text: string; line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(place, at + 1);
  const offset = at + place.length;
  const before = text.slice(0, offset);
  return { text: before + value + text.slice(offset), line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

test('a character XML forbids, as a reference or raw, rejects its receipt with line and column; the other receipt is read', async () => {
  await fc.assert(
    fc.asyncProperty(hostile, fc.constantFrom(...PLACES), fc.constantFrom('', 'x'), async (bad, place, after) => {
      const { text, line, column } = insert(good, place, bad + after);
      const r = await readPartner(t, Buffer.from(text, 'utf8'));
      assert.deepEqual(r.fileProblems, []);
      assert.equal(r.documents.length, 2);
      const hit = receiptOf(good.indexOf(place) + place.length) - 1;
      const d = r.documents[hit];
      assert.equal(d.status, 'rejected', JSON.stringify(bad));
      assert.equal(d.problems[0].where, `Receipts/Receipt[${hit + 1}]`);
      assert.match(d.problems[0].message, new RegExp(`^line ${line}, column ${column}: the (reference|raw character) .* \\(XML 1.0 allows`));
      assert.ok(d.problems[0].message.length < 400, 'a huge reference is shown shortened');
      assert.equal(r.documents[1 - hit].status, 'ok');
    }),
    { numRuns: RUNS * 3 },
  );
});

test('many forbidden references in one receipt: one problem with the first and a count of the others', async () => {
  const { text, line, column } = insert(good, '<Warehouse>MEM1', '&#0;&#x1B;'.repeat(5000));
  const r = await readPartner(t, Buffer.from(text));
  assert.deepEqual(r.documents.map((d) => d.status), ['rejected', 'ok']);
  assert.equal(r.documents[0].problems.length, 1);
  assert.match(r.documents[0].problems[0].message, new RegExp(`^line ${line}, column ${column}: the reference &#0; .*; and 9999 more such in this document$`));
});

test('allowed references are decoded to their character, in text and in attributes', async () => {
  await fc.assert(
    fc.asyncProperty(reference(allowed), reference(allowed), async (a, b) => {
      const text = insert(insert(good, '<Warehouse>ME', a).text, '<Receipt number="RC-2026-1124-01', b).text;
      const r = await readPartner(t, Buffer.from(text));
      assert.deepEqual(r.documents.map((d) => d.status), ['ok', 'ok'], JSON.stringify(r.documents.map((d) => d.problems)));
      const doc = r.documents[0].document as Receipt;
      const cp = (ref: string) => (ref[2] === 'x' ? Number.parseInt(ref.slice(3, -1), 16) : Number.parseInt(ref.slice(2, -1), 10));
      assert.equal(doc.warehouse, `ME${String.fromCodePoint(cp(a))}M1`, a);
      assert.equal(doc.receiptId, `RC-2026-1124-01${String.fromCodePoint(cp(b))}`);
    }),
    { numRuns: RUNS },
  );
});

test("outside any receipt, a forbidden character is the file's error, with line and column", async () => {
  await fc.assert(
    fc.asyncProperty(hostile.filter((h) => h.startsWith('&')), fc.constantFrom('<Receipts', '<Receipts>', '</Receipt>'), async (bad, place) => {
      const value = place === '<Receipts' ? ` a="${bad}"` : bad;
      const { text, line, column } = insert(good, place, value);
      const r = await readPartner(t, Buffer.from(text));
      assert.equal(r.documents.length, 0);
      assert.equal(r.fileProblems.length, 1);
      assert.equal(r.fileProblems[0].where, `line ${line}`);
      assert.match(r.fileProblems[0].message, new RegExp(`at column ${column + (place === '<Receipts' ? 4 : 0)} \\(XML 1.0 allows`));
    }),
    { numRuns: RUNS },
  );
  const raw = await readPartner(t, Buffer.from(good.replace('<Receipts>', '<Receipts>\u001b')));
  assert.deepEqual(raw.fileProblems, [{ where: 'line 2', message: 'the raw character U+001B is not one XML allows, at column 11 (XML 1.0 allows #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF)' }]);
});

test('garbled and unbalanced tags are located errors of the file, never a crash', async () => {
  const TOKENS = ['<Receipt>', '</Receipt>', '<Lines>', '</Lines>', '<Line>', '</Line>', '<Item>', '</Item>', 'x', '<a', '</', '<', '>', '/>', '<!--', '-->', '<![CDATA[', ']]>', '<?pi', '?>', '"', "'", ' b="', '&#0;', '&amp;', '&', '\n'];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), async (tokens) => {
      const r = await readPartner(t, Buffer.from(`<?xml version="1.0"?>\n<Receipts>${tokens.join('')}</Receipts>`));
      for (const p of r.fileProblems) assert.match(p.where, /^line \d+$/);
      for (const d of r.documents) if (d.status !== 'ok') assert.ok(d.problems.length + d.exceptions.length > 0);
    }),
    { numRuns: RUNS * 5 },
  );
  const cases: Array<[string, RegExp]> = [
    ['<Receipts><Receipt></Receipts>', /^not well-formed XML: Expected closing tag 'Receipt'/],
    ['<Receipts></Receipt></Receipts>', /^not well-formed XML/],
    ['<Receipts><a<a<a', /^not well-formed XML: '<' at line 1, column 13, inside a tag that starts at line 1, column 11$/],
    ['<Receipts><a b="<">', /^not well-formed XML: '<' at line 1, column 17, inside an attribute value/],
    ['<Receipts>\n<!-- never closed', /^not well-formed XML: the file ends inside a comment that starts at line 2, column 1$/],
    ['<Receipts><![CDATA[ <x>', /^not well-formed XML: the file ends inside a CDATA section/],
    ['<Receipts><Receipt number="RC', /^not well-formed XML: the file ends inside an attribute value/],
  ];
  for (const [xml, want] of cases) {
    const r = await readPartner(t, Buffer.from(xml));
    assert.equal(r.fileProblems.length, 1, xml);
    assert.match(r.fileProblems[0].message, want, xml);
  }
});

// ------------------------------------------------------------------ linear time

/**
 * CPU milliseconds for the best of a few runs: CPU time, not wall time, so that other work on a
 * loaded machine does not count, and the best run, the least disturbed by caches and GC.
 */
function best(run: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    min = Math.min(min, (used.user + used.system) / 1e3);
  }
  return min;
}

test('the checks before parsing are linear: ten times the hostile input takes less than forty times as long (a hundred if quadratic)', () => {
  const adapter = new XmlAdapter(t.layout as XmlLayoutFile);
  const parse = (text: string) => {
    const bytes = Buffer.from(text);
    return () => {
      try {
        adapter.parseDocuments(bytes);
      } catch (e) {
        if (!(e instanceof XmlFileError)) throw e;
      }
    };
  };
  // [shape, repetitions in the smaller input]. The sizes keep both inputs well above what
  // allocation noise hides: the shapes the scan refuses at once cost little more than decoding,
  // and the parser builds an element per tag.
  const SHAPES: Array<[string, number, (n: number) => string]> = [
    ['unclosed tags <a<a<a', 1_000_000, (n) => `<Receipts>${'<a'.repeat(n)}`],
    ['an attribute value of quotes and tags', 400_000, (n) => `<Receipts><Receipt number="${'<a x="'.repeat(n)}`],
    ['unclosed tags in a comment', 200_000, (n) => `<Receipts><!--${'<a'.repeat(n)}--></Receipts>`],
    ['unclosed tags in CDATA', 200_000, (n) => `<Receipts><Receipt><Warehouse><![CDATA[${'<a'.repeat(n)}]]></Warehouse></Receipt></Receipts>`],
    ['forbidden references', 20_000, (n) => `<Receipts><Receipt><Warehouse>${'&#0;'.repeat(n)}</Warehouse></Receipt></Receipts>`],
    ['nesting at the limit, repeated', 3_000, (n) => `<Receipts>${`${'<a>'.repeat(30)}${'</a>'.repeat(30)}`.repeat(n / 60)}</Receipts>`],
  ];
  for (const [name, n, make] of SHAPES) {
    const small = parse(make(n));
    const large = parse(make(n * 10));
    large(); // compiled before it is timed
    const ratio = best(large) / best(small);
    // Linear is 10x, quadratic 100x: 40x leaves room for a loaded machine and its caches.
    assert.ok(ratio < 40, `${name}: 10x the input took ${ratio.toFixed(1)}x the time`);
  }
});
